import Foundation
import Testing

@testable import EMDiagCore

@Suite struct AnalyzeLogScannerTests {
    func scanner(_ patterns: [String], before: Int = 0, after: Int = 0, ignoreCase: Bool = false) throws -> LogScanner {
        try LogScanner(patterns: patterns.map {
            LogPattern(regex: try PortableRegex($0), ignoreCase: ignoreCase, before: before, after: after)
        })
    }

    func bytes(_ lines: [String]) -> [UInt8] { Array((lines.joined(separator: "\n") + "\n").utf8) }

    @Test func timestampPrefixNeverBreaksAMatch() throws {
        let s = try scanner(["^FATAL: +password authentication failed", "^INFO start$"])
        let result = s.scan(chunks: [bytes([
            "2025-01-02T03:04:05.123456789Z FATAL:  password authentication failed for user \"keycloak\"",
            "FATAL: password authentication failed for user \"x\"",
            "2025-01-02T03:04:06Z INFO start",
            "2025-01-02T03:04:06Z INFO start later",
        ])])
        #expect(result.matches.map(\.line) == [1, 2, 3])
        #expect(result.matches[0].text.hasPrefix("2025-01-02T03:04:05.123456789Z FATAL"))
    }

    @Test func namedCapturesAreReturnedByName() throws {
        let s = try scanner([#"database "(?P<database>[^"]+)" does not exist"#, #"user "(?<user>[^"]+)""#])
        let result = s.scan(chunks: [bytes([
            #"psycopg2.OperationalError: ... FATAL:  database "utils" does not exist"#,
            #"FATAL:  password authentication failed for user "governance""#,
        ])])
        #expect(result.matches.count == 2)
        #expect(result.matches[0].captures == ["database": "utils"])
        #expect(result.matches[1].captures == ["user": "governance"])
    }

    @Test func contextLinesBeforeAndAfter() throws {
        let s = try scanner(["Input should be a valid URL"], before: 2, after: 1)
        let result = s.scan(chunks: [bytes([
            "pydantic_core._pydantic_core.ValidationError: 1 validation error for Settings",
            "base_url",
            "  Input should be a valid URL, relative URL without a base [type=url_parsing]",
            "    For further information visit https://errors.pydantic.dev/2.11/v/url_parsing",
            "unrelated",
        ])])
        let match = try #require(result.matches.first)
        #expect(match.line == 3)
        #expect(match.before == ["pydantic_core._pydantic_core.ValidationError: 1 validation error for Settings", "base_url"])
        #expect(match.after == ["    For further information visit https://errors.pydantic.dev/2.11/v/url_parsing"])
    }

    @Test func lineNumbersAndContextAcrossChunkBoundaries() throws {
        let s = try scanner(["needle"], before: 1, after: 2)
        let result = s.scan(chunks: [
            bytes(["a", "b", "before"]), bytes(["needle here", "after 1"]), bytes(["after 2", "c", "needle again"]),
        ])
        #expect(result.matches.map(\.line) == [4, 8])
        #expect(result.matches[0].before == ["before"])
        #expect(result.matches[0].after == ["after 1", "after 2"])
        #expect(result.matches[1].before == ["c"])
    }

    @Test func aMatchSplitAcrossAReadBoundaryStillMatches() throws {
        let folder = try AnalyzeTestBundle()
        // 100 filler lines of 37 bytes, then the signature; with 64-byte reads it straddles many read boundaries.
        var lines = (0..<100).map { String(format: "filler line number %05d of the log..", $0) }
        lines.insert("FAILED: Multiple head revisions are present for given argument 'head'", at: 51)
        try folder.write("x.log", lines.joined(separator: "\n") + "\n")
        var s = try scanner(["Multiple head(s| revisions) are present"])
        s.chunkSize = 64
        let result = try s.scan("x.log", in: folder.bundle, applying: [0])
        #expect(result.matches.map(\.line) == [52])
        #expect(result.counts[0] == 1)
    }

    @Test func patternsWithoutALiteralRunOnEveryLine() throws {
        let s = try scanner(["^[0-9]+$", "boom"])
        #expect(s.patterns[0].regex.requiredLiterals.isEmpty)
        let result = s.scan(chunks: [bytes(["abc", "12345", "boom", "7"])])
        #expect(result.matches.map(\.line) == [2, 3, 4])
    }

    @Test func onlyApplicablePatternsAreConfirmed() throws {
        let s = try scanner(["alpha", "beta"])
        let result = s.scan(chunks: [bytes(["alpha beta"])], applying: [1])
        #expect(result.matches.map(\.pattern) == [1])
    }

    @Test func ignoreCaseAndCountsBeyondKeptMatches() throws {
        let s = try scanner(["connection refused"], ignoreCase: true)
        let result = s.scan(chunks: [bytes(Array(repeating: "Connection REFUSED", count: 10))])
        #expect(result.matches.count == s.maxKeptPerPattern)
        #expect(result.counts[0] == 10)
    }

    @Test func fiftyMegabyteLogScansWithFlatMemory() throws {
        let folder = try AnalyzeTestBundle()
        let url = folder.root.appendingPathComponent("big.log")
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        let filler = String(repeating: "2025-01-02T03:04:05.000000000Z INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.\n", count: 10_000)
        var planted = 0
        while (try handle.offset()) < 50 << 20 {
            try handle.write(contentsOf: Data(filler.utf8))
            try handle.write(contentsOf: Data("2025-01-02T03:04:06Z FATAL:  database \"utils\" does not exist\n".utf8))
            planted += 1
        }
        try handle.close()
        var s = try scanner([#"database "(?P<database>[^"]+)" does not exist"#, "Multiple head"])
        s.chunkSize = 1 << 20
        let before = peakResidentKiB()
        let result = try s.scan("big.log", in: folder.bundle, applying: [0, 1])
        let grown = peakResidentKiB() - before
        #expect(result.bytes >= 50 << 20)
        #expect(result.counts[0] == planted)
        #expect(result.matches.first?.line == 10_001)
        #expect(grown < 24 << 10, "peak memory grew by \(grown) KiB scanning a 50 MB log")
    }

    @Test func parallelScanReturnsOneResultPerJobInOrder() async throws {
        let folder = try AnalyzeTestBundle()
        for i in 0..<6 { try folder.write("f\(i).log", String(repeating: "x\n", count: i * 100) + "needle \(i)\n") }
        let s = try scanner(["needle (?P<n>[0-9])"])
        let jobs = (0..<6).map { LogScanJob(path: "f\($0).log", patterns: [0]) }
        let results = try await s.scanAll(jobs, in: folder.bundle)
        #expect(results.map(\.path) == jobs.map(\.path))
        #expect(results.map { $0.matches.first?.captures["n"] } == (0..<6).map { String($0) })
        #expect(results.map { $0.matches.first?.line } == (0..<6).map { $0 * 100 + 1 })
    }
}

@Suite struct PlaybookPortableRegexTests {
    @Test func namedAndNonCapturingGroupsBecomePlainGroups() throws {
        let r = try PortableRegex(#"(?:a|b)(?P<db>[^"]+)x(?<user>\w+)"#)
        #expect(r.ere == #"(a|b)([^"]+)x([[:alnum:]_]+)"#)
        #expect(r.captureNames.map(\.name) == ["db", "user"])
        #expect(r.captureNames.map(\.group) == [2, 3])
    }

    @Test func requiredLiteralsPerTopLevelAlternative() throws {
        #expect(try PortableRegex("Multiple head(s| revisions) are present").requiredLiterals == ["multiple head"])
        #expect(try PortableRegex("ErrImagePull|ImagePullBackOff").requiredLiterals == ["errimagepull", "imagepullbackoff"])
        #expect(try PortableRegex("colou?r of the sky").requiredLiterals == ["r of the sky"])
        #expect(try PortableRegex(#"port [0-9]+ failed: Connection refused"#).requiredLiterals == [" failed: connection refused"])
        #expect(try PortableRegex("ab|[0-9]+").requiredLiterals.isEmpty)
        #expect(try PortableRegex("x+yz", declaredLiterals: ["YZ"]).requiredLiterals == ["yz"])
    }

    @Test func bracketEscapesAreRewrittenForPOSIX() throws {
        #expect(try PortableRegex(#"[\d.]+"#).ere == "[0-9.]+")
        #expect(try PortableRegex(#"\d+\s\S"#).ere == "[0-9]+[[:space:]][^[:space:]]")
    }

    @Test(arguments: [
        ("a(?=b)", "lookahead"), ("(?<=a)b", "lookbehind"), (#"(a)\1"#, "backreferences"), ("a*?", "lazy"),
        ("(?i)abc", "inline flags"), ("(abc", "not closed"), ("[abc", "never closed"), (#"[\]]"#, "not portable"),
        (#"\q"#, "unknown escape"), ("a{2", "never closed"),
    ])
    func nonPortableSyntaxIsRefused(pattern: String, reason: String) {
        #expect(throws: PortableRegex.SyntaxError.self) { try PortableRegex(pattern) }
        do {
            _ = try PortableRegex(pattern)
        } catch {
            #expect(error.message.contains(reason), "\(pattern): \(error.message)")
        }
    }

    @Test func prefilterFindsOverlappingLiteralsCaseInsensitively() {
        let filter = LiteralAutomaton(literals: ["he", "she", "hers"].map { Array($0.utf8) })
        let text = Array("uSHErs".utf8)
        var found: [Int: [Int]] = [:]
        text.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var state: UInt16 = 0
            var pos = 0
            while let hit = filter.nextHit(base, from: pos, to: buffer.count, state: &state) {
                found[hit] = Array(filter.literals(endingIn: state))
                pos = hit + 1
            }
        }
        // At "sHE" both "she" (1) and its suffix "he" (0) end, the longer literal first.
        #expect(found == [3: [1, 0], 5: [2]])
    }
}
