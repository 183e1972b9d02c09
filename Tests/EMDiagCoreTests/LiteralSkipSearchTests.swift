import Testing

@testable import EMDiagCore

/// The skip search must find exactly the occurrences the byte-by-byte automaton finds.
@Suite struct LiteralSkipSearchTests {
    /// A small deterministic generator (SplitMix64), so a failure reproduces.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Every occurrence as (start, literal id), sorted.
    func automatonMatches(_ literals: [[UInt8]], _ text: [UInt8]) -> [[Int]] {
        let automaton = LiteralAutomaton(literals: literals)
        var found: [[Int]] = []
        text.withUnsafeBufferPointer { buffer in
            automaton.forEachMatch(in: buffer) { start, id in found.append([start, id]) }
        }
        return found.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }
    }

    func skipMatches(_ search: LiteralSkipSearch, _ text: [UInt8], from: Int = 0, to: Int? = nil) -> [[Int]] {
        var found: [[Int]] = []
        text.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            search.forEachMatch(base, from: from, to: to ?? buffer.count) { start, id in found.append([start, id]) }
        }
        return found
    }

    @Test func findsWhatTheAutomatonFindsOnRandomTexts() throws {
        // A small alphabet (with upper case, digits that share hash bits with letters, and a newline) makes
        // occurrences, overlaps and hash collisions frequent.
        let alphabet = Array("abcdeABCDE 0p\n\"".utf8)
        var random = Generator(state: 42)
        for round in 0..<300 {
            let literals: [[UInt8]] = (0..<Int.random(in: 1...12, using: &random)).map { _ in
                (0..<Int.random(in: 5...14, using: &random)).map { _ in
                    LiteralAutomaton.lower(alphabet.randomElement(using: &random)!)
                }
            }
            var text: [UInt8] = (0..<Int.random(in: 0...400, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
            // Plant a few literals, some upper-cased, one at each end of the text.
            for _ in 0..<3 {
                let literal = literals.randomElement(using: &random)!.map { Bool.random(using: &random) ? ($0 >= 97 && $0 <= 122 ? $0 - 32 : $0) : $0 }
                let at = Int.random(in: 0...text.count, using: &random)
                text.insert(contentsOf: literal, at: at)
            }
            text = literals[0] + text + literals[literals.count - 1]
            let search = try #require(LiteralSkipSearch(literals: literals))
            #expect(skipMatches(search, text) == automatonMatches(literals, text), "round \(round)")
        }
    }

    @Test func firstMatchIsTheEarliestStartWithinTheRange() throws {
        let literals = ["refused", "connection refused", "timeout expired"].map { Array($0.utf8) }
        let search = try #require(LiteralSkipSearch(literals: literals))
        let text = Array("x: Connection REFUSED; port 5432 failed: timeout expired".utf8)
        text.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            #expect(search.firstMatch(base, from: 0, to: buffer.count).map { [$0.start, $0.literal] } == [3, 1])
            #expect(search.firstMatch(base, from: 4, to: buffer.count).map { [$0.start, $0.literal] } == [14, 0])
            // An occurrence that runs past `to` is not one.
            #expect(search.firstMatch(base, from: 40, to: buffer.count - 1) == nil)
            #expect(search.firstMatch(base, from: 40, to: buffer.count).map { [$0.start, $0.literal] } == [41, 2])
        }
        #expect(skipMatches(search, text, from: 4) == [[14, 0], [41, 2]])
    }

    @Test func literalsShorterThanTheWindowFallBackToTheAutomaton() {
        #expect(LiteralSkipSearch(literals: [Array("abcd".utf8), Array("refused".utf8)]) == nil)
        #expect(LiteralSkipSearch(literals: []) == nil)
        #expect(LiteralSkipSearch(literals: [Array("abcde".utf8)])?.window == 5)
    }

    @Test func theScannerFindsTheSameLinesWithEitherSearch() throws {
        // "abcd" makes the second scanner fall back to the automaton; it never occurs, so both must agree.
        let patterns = [#"database "(?P<database>[^"]+)" does not exist"#, "Connection refused", "timeout expired"]
        let skipping = try LogScanner(patterns: patterns.map { LogPattern(regex: try PortableRegex($0)) })
        let walking = try LogScanner(patterns: (patterns + ["abcd"]).map { LogPattern(regex: try PortableRegex($0)) })
        var lines: [String] = []
        var random = Generator(state: 7)
        let pieces = ["INFO ok", #"FATAL:  database "assets" does not exist"#, "connection REFUSED", "port 5432: Connection refused", "timeout", "expired timeout expired", #"database "x" exists"#]
        for _ in 0..<2000 { lines.append((0..<3).map { _ in pieces.randomElement(using: &random)! }.joined(separator: " ")) }
        let text = Array((lines.joined(separator: "\n") + "\n").utf8)
        let a = skipping.scan(chunks: [text], applying: [0, 1, 2])
        let b = walking.scan(chunks: [text], applying: [0, 1, 2])
        #expect(a.counts == b.counts)
        #expect(a.matches == b.matches)
        #expect((a.counts[0] ?? 0) > 0 && (a.counts[1] ?? 0) > 0 && (a.counts[2] ?? 0) > 0)
        #expect(a.matches.first?.captures == ["database": "assets"])
    }
}
