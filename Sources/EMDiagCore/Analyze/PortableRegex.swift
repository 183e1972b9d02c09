import Foundation

/// A playbook regular expression in emdiag's portable syntax, translated to POSIX ERE.
///
/// The portable syntax is the ERE subset that POSIX `regcomp`, ripgrep, RE2 and PCRE all read the same way, plus
/// named groups `(?P<name>...)` / `(?<name>...)`, non-capturing groups `(?:...)` and the classes `\d \s \w \D \S \W`.
/// Lookaround, backreferences, inline flags and lazy or possessive quantifiers are refused, so a playbook never
/// depends on one engine's exotic features. Translation turns every group into a plain ERE group and keeps a map
/// from capture names to group numbers. Each pattern also yields the literals a matching line must contain (one per
/// top-level alternative), which the scanner's prefilter searches for before any regex runs.
package struct PortableRegex: Sendable, Hashable {
    /// The pattern as written in the playbook.
    package let source: String
    /// The POSIX ERE text handed to `regcomp`.
    package let ere: String
    /// Capture names and their 1-based ERE group numbers, in order of appearance.
    package let captureNames: [(name: String, group: Int)]
    /// Number of groups in `ere`.
    package let groupCount: Int
    /// Literals a matching line contains (any one of them), lower-cased; empty when no literal could be derived.
    package let requiredLiterals: [String]

    /// Problems with a pattern: `offset` is the 0-based character offset in the source.
    package struct SyntaxError: Error, Sendable, Equatable {
        package var offset: Int
        package var message: String
    }

    /// The shortest derived literal that is still worth a prefilter.
    static let minimumLiteralLength = 3

    /// Translates `source`.
    /// - Parameter declaredLiterals: literals the playbook author declares (overrides derivation when non-empty).
    /// - Throws: `SyntaxError` for constructs outside the portable subset.
    package init(_ source: String, declaredLiterals: [String] = []) throws(SyntaxError) {
        var translator = Translator(chars: Array(source))
        try translator.run()
        self.source = source
        self.ere = translator.out
        self.captureNames = translator.names
        self.groupCount = translator.groupCount
        if !declaredLiterals.isEmpty {
            self.requiredLiterals = declaredLiterals.map { $0.lowercased() }
        } else {
            let required = translator.frames.first?.required() ?? []
            let usable = required.allSatisfy { $0.count >= Self.minimumLiteralLength }
            self.requiredLiterals = usable ? Array(Set(required.map { $0.lowercased() })).sorted() : []
        }
    }

    package static func == (lhs: PortableRegex, rhs: PortableRegex) -> Bool { lhs.source == rhs.source }
    package func hash(into hasher: inout Hasher) { hasher.combine(source) }
}

/// What a matching line must contain, per group: a sequence of items per alternative.
private struct LiteralFrame {
    enum Item {
        case char(Character)
        /// Something that is not a fixed character (a class, `.`, an anchor, an optional part).
        case other
        /// A group: any one of these strings is required (nil: nothing is).
        case group([String]?)
    }

    var branches: [[Item]] = [[]]

    mutating func append(_ item: Item) { branches[branches.count - 1].append(item) }

    /// A quantifier on the last item: optional ones (`?`, `*`, `{0,`) require nothing; `+`/`{n,` keep one copy
    /// but end a run of characters.
    mutating func quantify(optional: Bool) {
        guard let last = branches[branches.count - 1].popLast() else { return }
        if optional {
            append(.other)
        } else {
            append(last)
            if case .char = last { append(.other) }
        }
    }

    /// Any one of the returned strings occurs in every match (nil: no such set). Within an alternative the best
    /// candidate wins: the run of characters or group set whose shortest string is longest.
    func required() -> [String]? {
        var union: [String] = []
        for branch in branches {
            var candidates: [[String]] = []
            var run = ""
            for item in branch + [.other] {
                switch item {
                case .char(let c):
                    run.append(c)
                    continue
                case .group(let set):
                    if let set { candidates.append(set) }
                case .other:
                    break
                }
                if !run.isEmpty { candidates.append([run]) }
                run = ""
            }
            func score(_ set: [String]) -> Int { set.map(\.count).min() ?? 0 }
            guard let best = candidates.max(by: { score($0) < score($1) }), score(best) > 0 else { return nil }
            union += best
        }
        return union
    }
}

/// One left-to-right pass over the source: emits ERE, numbers groups, and tracks which literals a match needs.
private struct Translator {
    let chars: [Character]
    var i = 0
    var out = ""
    var names: [(name: String, group: Int)] = []
    var groupCount = 0
    var depth = 0
    /// Literal bookkeeping: the top level, then one frame per open group.
    var frames = [LiteralFrame()]

    init(chars: [Character]) { self.chars = chars }

    typealias SyntaxError = PortableRegex.SyntaxError

    mutating func fail(_ message: String, at offset: Int? = nil) -> SyntaxError {
        SyntaxError(offset: offset ?? i, message: message)
    }

    mutating func run() throws(SyntaxError) {
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "\\": try escape()
            case "[": try bracket()
            case "(": try openGroup()
            case ")":
                guard depth > 0 else { throw fail("unbalanced `)`") }
                depth -= 1
                out.append(")")
                i += 1
                let group = frames.removeLast()
                frames[frames.count - 1].append(.group(group.required()))
            case "|":
                out.append("|")
                i += 1
                frames[frames.count - 1].branches.append([])
            case "*", "+", "?", "{":
                try quantifier()
            case ".", "^", "$":
                out.append(c)
                i += 1
                breakRun()
            default:
                literal(c, ere: String(c))
                i += 1
            }
        }
        guard depth == 0 else { throw fail("unbalanced `(`: a group is not closed") }
    }

    mutating func literal(_ c: Character, ere: String) {
        out += ere
        frames[frames.count - 1].append(.char(c))
    }

    /// An atom that is not a fixed character.
    mutating func breakRun() {
        frames[frames.count - 1].append(.other)
    }

    mutating func openFrame() {
        depth += 1
        out += "("
        frames.append(LiteralFrame())
    }

    /// `?`, `*`, `{0,..}` make the previous literal optional; `+`, `{n,..}` keep one copy and end the run.
    mutating func quantifier() throws(SyntaxError) {
        let c = chars[i]
        var text = String(c)
        var optional = c != "+"
        if c == "{" {
            var j = i + 1
            while j < chars.count, chars[j] != "}" { j += 1 }
            guard j < chars.count else { throw fail("`{` starts a repetition that is never closed; write `\\{` for a brace") }
            let body = String(chars[(i + 1)..<j])
            guard body.range(of: #"^[0-9]+(,[0-9]*)?$"#, options: .regularExpression) != nil else {
                throw fail("`{\(body)}` is not a repetition count; write `\\{` for a literal brace")
            }
            optional = body == "0" || body.hasPrefix("0,")
            text = "{\(body)}"
            i = j
        }
        guard let previous = out.last, previous != "(", previous != "|", previous != "^" || out.count > 1 else {
            throw fail("`\(c)` has nothing to repeat")
        }
        i += 1
        if i < chars.count, chars[i] == "?" || chars[i] == "+" {
            throw fail("lazy and possessive quantifiers (`\(text)\(chars[i])`) are not portable; remove the `\(chars[i])`")
        }
        out += text
        frames[frames.count - 1].quantify(optional: optional)
    }

    mutating func escape() throws(SyntaxError) {
        guard i + 1 < chars.count else { throw fail("a pattern cannot end with `\\`") }
        let e = chars[i + 1]
        let start = i
        i += 2
        switch e {
        case "d": out += "[0-9]"; breakRun()
        case "D": out += "[^0-9]"; breakRun()
        case "s": out += "[[:space:]]"; breakRun()
        case "S": out += "[^[:space:]]"; breakRun()
        case "w": out += "[[:alnum:]_]"; breakRun()
        case "W": out += "[^[:alnum:]_]"; breakRun()
        case "b", "B", "<", ">": out += "\\\(e)"; breakRun()
        case "t": literal("\t", ere: "\t")
        case "1"..."9":
            throw fail("backreferences (`\\\(e)`) are not portable; match the text again instead", at: start)
        default:
            if e.isLetter || e.isNumber {
                throw fail("unknown escape `\\\(e)`; the portable escapes are \\d \\s \\w \\D \\S \\W \\b \\t and escaped punctuation", at: start)
            }
            literal(e, ere: "\\\(e)")
        }
    }

    /// A bracket expression. POSIX brackets have no escapes, so the few portable ones are rewritten here.
    mutating func bracket() throws(SyntaxError) {
        let start = i
        var body = "["
        i += 1
        if i < chars.count, chars[i] == "^" { body += "^"; i += 1 }
        if i < chars.count, chars[i] == "]" { body += "]"; i += 1 }
        while i < chars.count, chars[i] != "]" {
            let c = chars[i]
            if c == "[", i + 1 < chars.count, chars[i + 1] == ":" || chars[i + 1] == "." || chars[i + 1] == "=" {
                let close: [Character] = [chars[i + 1], "]"]
                var j = i + 2
                while j + 1 < chars.count, !(chars[j] == close[0] && chars[j + 1] == close[1]) { j += 1 }
                guard j + 1 < chars.count else { throw fail("unterminated `[\(chars[i + 1])` class", at: i) }
                body += String(chars[i...(j + 1)])
                i = j + 2
                continue
            }
            if c == "\\" {
                guard i + 1 < chars.count else { break }
                let e = chars[i + 1]
                switch e {
                case "d": body += "0-9"
                case "s": body += "[:space:]"
                case "w": body += "[:alnum:]_"
                case "t": body += "\t"
                case "\\": body += "\\"
                case "]", "-", "^", "D", "S", "W":
                    throw fail(
                        "`\\\(e)` inside `[...]` is not portable (POSIX brackets have no escapes); put `]` first, `-` last, `^` not first",
                        at: i)
                default:
                    guard !(e.isLetter || e.isNumber) else {
                        throw fail("unknown escape `\\\(e)` inside `[...]`", at: i)
                    }
                    body.append(e)
                }
                i += 2
                continue
            }
            body.append(c)
            i += 1
        }
        guard i < chars.count else { throw fail("`[` is never closed", at: start) }
        body += "]"
        i += 1
        out += body
        breakRun()
    }

    mutating func openGroup() throws(SyntaxError) {
        let start = i
        i += 1
        if i < chars.count, chars[i] == "?" {
            i += 1
            guard i < chars.count else { throw fail("incomplete group `(?`", at: start) }
            switch chars[i] {
            case ":":
                i += 1
            case "P", "<":
                if chars[i] == "P" { i += 1 }
                guard i < chars.count, chars[i] == "<" else { throw fail("named groups are written `(?P<name>...)`", at: start) }
                i += 1
                if i < chars.count, chars[i] == "=" || chars[i] == "!" {
                    throw fail("lookbehind `(?<\(chars[i])` is not portable", at: start)
                }
                var name = ""
                while i < chars.count, chars[i] != ">" { name.append(chars[i]); i += 1 }
                guard i < chars.count, !name.isEmpty,
                    name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }),
                    name.first?.isLetter == true
                else {
                    throw fail("a capture name must be letters, digits or `_`, starting with a letter", at: start)
                }
                i += 1
                guard !names.contains(where: { $0.name == name }) else {
                    throw fail("the capture name `\(name)` is used twice", at: start)
                }
                groupCount += 1
                names.append((name, groupCount))
                openFrame()
                return
            case "=", "!":
                throw fail("lookahead `(?\(chars[i])` is not portable", at: start)
            default:
                throw fail("inline flags and `(?\(chars[i])` groups are not portable; use `ignoreCase: true` for case", at: start)
            }
            groupCount += 1  // ERE has no non-capturing groups: (?:...) becomes a numbered group nobody reads.
        } else {
            groupCount += 1
        }
        openFrame()
    }
}
