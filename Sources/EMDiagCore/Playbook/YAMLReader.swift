import Yams

/// Collects the problems of one playbook file while it is read, so `lint` reports them all at once.
final class PlaybookDiagnostics {
    let file: String
    private(set) var errors: [PlaybookError] = []

    init(file: String) { self.file = file }

    func report(_ kind: PlaybookError.Kind, at mark: Mark?, _ message: String) {
        report(kind, line: mark?.line ?? 1, column: mark?.column ?? 1, message)
    }

    func report(_ kind: PlaybookError.Kind, line: Int, column: Int, _ message: String) {
        errors.append(PlaybookError(file: file, line: line, column: column, kind: kind, message: message))
    }
}

/// Typed, located access to one YAML mapping. Unknown and duplicate keys are reported when the reader is made;
/// wrong types and missing fields when a value is asked for. Nothing throws: readers return nil and report.
struct MappingReader {
    let mark: Mark?
    let what: String
    let diagnostics: PlaybookDiagnostics
    private let values: [String: Node]
    private let keyMarks: [String: Mark?]

    /// - Parameters:
    ///   - node: the node that should be a mapping.
    ///   - what: how messages name it ("rule \"crash-loop\"", "the `log` condition").
    ///   - allowed: the keys this mapping may have.
    init?(_ node: Node, what: String, allowed: [String], diagnostics: PlaybookDiagnostics) {
        guard let mapping = node.mapping else {
            diagnostics.report(.wrongType, at: node.mark, "\(what) must be a mapping (key: value), not \(node.kindName).")
            return nil
        }
        self.mark = node.mark
        self.what = what
        self.diagnostics = diagnostics
        var values: [String: Node] = [:]
        var keyMarks: [String: Mark?] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                diagnostics.report(.wrongType, at: keyNode.mark, "\(what) has a key that is not a plain string.")
                continue
            }
            if values[key] != nil {
                diagnostics.report(.invalidValue, at: keyNode.mark, "\(what) has the key `\(key)` twice; keep one.")
            }
            guard allowed.contains(key) else {
                let hint = Self.closest(to: key, in: allowed).map { " Did you mean `\($0)`?" } ?? ""
                diagnostics.report(
                    .unknownKey, at: keyNode.mark,
                    "unknown key `\(key)` in \(what).\(hint) Allowed: \(allowed.sorted().joined(separator: ", ")).")
                continue
            }
            values[key] = value
            keyMarks[key] = keyNode.mark
        }
        self.values = values
        self.keyMarks = keyMarks
    }

    func has(_ key: String) -> Bool { values[key] != nil }
    func node(_ key: String) -> Node? { values[key] }
    func mark(of key: String) -> Mark? { values[key]?.mark ?? mark }

    func missing(_ key: String) {
        diagnostics.report(.missingField, at: mark, "\(what) needs the field `\(key)`.")
    }

    func string(_ key: String, required: Bool = false) -> String? {
        guard let node = values[key] else {
            if required { missing(key) }
            return nil
        }
        guard let scalar = node.scalar else {
            diagnostics.report(.wrongType, at: node.mark, "`\(key)` in \(what) must be a string, not \(node.kindName).")
            return nil
        }
        if required, scalar.string.isEmpty {
            diagnostics.report(.missingField, at: node.mark, "`\(key)` in \(what) must not be empty.")
            return nil
        }
        return scalar.string
    }

    func int(_ key: String) -> Int? {
        guard let node = values[key] else { return nil }
        guard let text = node.scalar?.string, let value = Int(text) else {
            diagnostics.report(.wrongType, at: node.mark, "`\(key)` in \(what) must be a whole number.")
            return nil
        }
        return value
    }

    func bool(_ key: String) -> Bool? {
        guard let node = values[key] else { return nil }
        switch node.scalar?.string {
        case "true": return true
        case "false": return false
        default:
            diagnostics.report(.wrongType, at: node.mark, "`\(key)` in \(what) must be true or false.")
            return nil
        }
    }

    /// A list of strings; a single string is accepted as a one-element list.
    func strings(_ key: String, required: Bool = false) -> [String] {
        guard let node = values[key] else {
            if required { missing(key) }
            return []
        }
        if let scalar = node.scalar { return [scalar.string] }
        guard let sequence = node.sequence else {
            diagnostics.report(.wrongType, at: node.mark, "`\(key)` in \(what) must be a list of strings.")
            return []
        }
        return sequence.compactMap { item in
            guard let text = item.scalar?.string else {
                diagnostics.report(.wrongType, at: item.mark, "each item of `\(key)` in \(what) must be a string.")
                return nil
            }
            return text
        }
    }

    func ints(_ key: String) -> [Int] {
        strings(key).compactMap { text in
            guard let value = Int(text) else {
                diagnostics.report(.wrongType, at: mark(of: key), "`\(key)` in \(what) must hold whole numbers.")
                return nil
            }
            return value
        }
    }

    func sequence(_ key: String, required: Bool = false) -> [Node] {
        guard let node = values[key] else {
            if required { missing(key) }
            return []
        }
        guard let sequence = node.sequence else {
            diagnostics.report(.wrongType, at: node.mark, "`\(key)` in \(what) must be a list.")
            return []
        }
        return Array(sequence)
    }

    func mapping(_ key: String, what inner: String? = nil, allowed: [String], required: Bool = false) -> MappingReader? {
        guard let node = values[key] else {
            if required { missing(key) }
            return nil
        }
        return MappingReader(node, what: inner ?? "`\(key)` in \(what)", allowed: allowed, diagnostics: diagnostics)
    }

    /// A portable regular expression; a bad one is reported at its position inside the scalar.
    func regex(_ key: String, required: Bool = false, literals: [String] = []) -> PortableRegex? {
        guard let text = string(key, required: required) else { return nil }
        return Self.regex(text, node: values[key], key: key, what: what, literals: literals, diagnostics: diagnostics)
    }

    static func regex(
        _ text: String, node: Node?, key: String, what: String, literals: [String] = [],
        diagnostics: PlaybookDiagnostics
    ) -> PortableRegex? {
        do {
            let regex = try PortableRegex(text, declaredLiterals: literals)
            _ = try regex.compile()
            return regex
        } catch {
            let base = node?.mark
            let quoted = node?.scalar.map { $0.style == .singleQuoted || $0.style == .doubleQuoted } ?? false
            let column = (base?.column ?? 1) + error.offset + (quoted ? 1 : 0)
            diagnostics.report(
                .badRegex, line: base?.line ?? 1, column: column,
                "bad regular expression in `\(key)` of \(what): \(error.message).")
            return nil
        }
    }

    /// A duration such as `90s`, `5m`, `1h30m`, or a plain number of seconds.
    func seconds(_ key: String) -> Int? {
        guard let text = string(key) else { return nil }
        guard let value = Self.parseDuration(text) else {
            diagnostics.report(.invalidValue, at: mark(of: key), "`\(key)` in \(what) must be a duration like 90s, 5m or 1h.")
            return nil
        }
        return value
    }

    static func parseDuration(_ text: String) -> Int? {
        if let plain = Int(text) { return plain }
        var total = 0
        var number = ""
        for c in text {
            if c.isNumber {
                number.append(c)
                continue
            }
            guard let n = Int(number) else { return nil }
            switch c {
            case "s": total += n
            case "m": total += n * 60
            case "h": total += n * 3600
            default: return nil
            }
            number = ""
        }
        return number.isEmpty && !text.isEmpty ? total : nil
    }

    /// A value of a closed set (an enum's raw values).
    func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) -> T? where T.RawValue == String {
        guard let text = string(key) else { return nil }
        guard let value = T(rawValue: text) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            diagnostics.report(.invalidValue, at: mark(of: key), "`\(key)` in \(what) must be one of \(allowed), not `\(text)`.")
            return nil
        }
        return value
    }

    /// Edit-distance suggestion for a misspelt key.
    static func closest(to key: String, in allowed: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var row = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var previous = row[0]
                row[0] = i
                for j in stride(from: 1, through: b.count, by: 1) {
                    let current = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                    previous = current
                }
            }
            return row[b.count]
        }
        let scored = allowed.map { ($0, distance(Array(key.lowercased()), Array($0.lowercased()))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, key.count / 3) else { return nil }
        return best.0
    }
}

extension Node {
    var kindName: String {
        switch self {
        case .scalar: "a single value"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }
}
