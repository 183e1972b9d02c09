import Foundation
import Synchronization
import Testing

@testable import EMDiagCore

/// The streaming sink: chunk boundaries, CRLF, a last line without newline, very long lines, large inputs.
@Suite struct RedactingSinkTests {
    static let text = """
        line one is clean\r
        password=ChunkPass-2001 and more\r
        -----BEGIN RSA PRIVATE KEY-----\r
        QmxvY2tCb2R5MjAwMg==\r
        -----END RSA PRIVATE KEY-----\r
        {"name":"DB_PASSWORD",
         "value":"NextLine-2003"}
        Authorization: Bearer tok-2004-abcdefgh
        last line without newline token=Tail-2005
        """
    static let secrets = ["ChunkPass-2001", "QmxvY2tCb2R5MjAwMg==", "NextLine-2003", "tok-2004-abcdefgh", "Tail-2005"]

    /// Every chunk size gives the same output as redacting the whole text at once, and CRLF survives.
    @Test(arguments: [1, 2, 3, 5, 8, 13, 64, 4096])
    func chunkBoundariesDoNotMatter(chunkSize: Int) throws {
        let whole = try RedactFixtures.redactor().redact(text: Self.text, file: "whole")
        let redactor = try RedactFixtures.redactor()
        let streamed = try RedactFixtures.stream(Self.text, through: redactor, chunkSize: chunkSize)
        #expect(streamed == whole)
        for secret in Self.secrets { #expect(!streamed.contains(secret)) }
        #expect(streamed.components(separatedBy: "\r\n").count == 6)
        #expect(!streamed.hasSuffix("\n") && streamed.hasSuffix(">"))
        #expect(redactor.report().files["t.log"]?.values.reduce(0, +) == Self.secrets.count)
    }

    /// `password: |` hides the block's lines (one value), keeps blank lines and everything after the block.
    @Test(arguments: [1, 7, 4096])
    func yamlBlockScalarOfASecretKeyIsHiddenLineByLine(chunkSize: Int) throws {
        let text = "config:\n  password: |\n    BlockLine-3001\n\n    BlockLine-3002\n  host: db.internal\nnext: value\n"
        let redactor = try RedactFixtures.redactor()
        let lines = try RedactFixtures.stream(text, through: redactor, chunkSize: chunkSize).components(separatedBy: "\n")
        #expect(Array(lines[0...1]) == ["config:", "  password: |"])
        #expect(lines[2].hasPrefix("    <redacted:") && lines[4].hasPrefix("    <redacted:"), "\(lines)")
        #expect(lines[3] == "")
        #expect(Array(lines[5...]) == ["  host: db.internal", "next: value", ""])
        #expect(redactor.report().totals["secret-key-value"] == 1)
    }

    @Test func secretSplitAcrossChunksIsFound() throws {
        let redactor = try RedactFixtures.redactor()
        redactor.register(secretValues: ["SplitAcross-2006"])
        let input = "aaa SplitAcross-2006 bbb\nclean\n"
        for cut in 1..<input.utf8.count {
            let out = MemoryByteSink()
            let sink = redactor.sink(file: "split", output: out)
            let bytes = Array(input.utf8)
            try bytes[..<cut].withUnsafeBytes { try sink.write($0) }
            try bytes[cut...].withUnsafeBytes { try sink.write($0) }
            try sink.close()
            let text = String(decoding: out.bytes, as: UTF8.self)
            #expect(!text.contains("SplitAcross-2006") && text.hasSuffix("bbb\nclean\n"), "cut at \(cut)")
        }
    }

    /// A line with no newline at all is redacted in pieces: memory stays bounded and secrets are still found.
    @Test func veryLongLineIsBoundedAndRedacted() throws {
        let redactor = try RedactFixtures.redactor()
        let out = CountingSink()
        let sink = redactor.sink(file: "long", output: out)
        let filler = Array(repeating: UInt8(ascii: "x"), count: 999) + [UInt8(ascii: " ")]
        let secret = Array(" password=LongLine-2007 ".utf8)
        for i in 0..<5_000 {  // 5 MB on one line
            try (i % 1000 == 500 ? secret + filler : filler).withUnsafeBytes { try sink.write($0) }
        }
        try sink.close()
        #expect(sink.peakBufferedBytes <= RedactionStream.maxLineBytes + 2 * OutputBuffer.flushBytes + 1000)
        #expect(!out.contains("LongLine-2007"))
        #expect(redactor.report().files["long"]?["secret-key-value"] == 5)
    }

    /// 50 MB of log lines in 64 KiB chunks: what the sink holds stays small, all planted values are counted.
    @Test func largeInputStreamsWithFlatMemory() throws {
        let redactor = try RedactFixtures.redactor()
        let out = CountingSink()
        let sink = redactor.sink(file: "big", output: out)
        let lines = (0..<64).map { i in
            i == 17
                ? "2026-01-05T10:00:00Z ERROR retry with postgresql://em:BigPass-2008@db/em\n"
                : "2026-01-05T10:00:00.\(1000 + i)Z INFO request \(i) GET /api/v1/items?page=\(i) 200 OK in \(i)ms\n"
        }
        let block = Array(lines.joined().utf8)
        var chunk: [UInt8] = []
        var written = 0
        var planted = 0
        while written < 50_000_000 {
            chunk += block
            planted += 1
            if chunk.count >= 65_536 {
                try chunk.withUnsafeBytes { try sink.write($0) }
                written += chunk.count
                chunk.removeAll(keepingCapacity: true)
            }
        }
        try chunk.withUnsafeBytes { try sink.write($0) }
        try sink.close()
        #expect(sink.peakBufferedBytes <= 2 * OutputBuffer.flushBytes + 4096)
        #expect(redactor.report().files["big"]?["url-credentials"] == planted)
        #expect(!out.contains("BigPass-2008"))
        let placeholder = redactor.placeholder(for: Array("BigPass-2008".utf8))
        #expect(out.count == written + chunk.count + planted * (placeholder.utf8.count - "BigPass-2008".utf8.count))
    }

    @Test func disabledRedactionPassesBytesThrough() throws {
        let redactor = try Redactor(policy: RedactionPolicy(enabled: false))
        redactor.register(secretValues: ["Disabled-2009"])
        let input = "password=Disabled-2009\nAuthorization: Bearer abcdefgh12345\n"
        #expect(try RedactFixtures.stream(input, through: redactor, chunkSize: 5) == input)
        #expect(redactor.redact(text: input, file: "x") == input)
        let report = redactor.report()
        #expect(!report.enabled && report.rules.isEmpty && report.totals.isEmpty)
        #expect(report.warning?.contains("--no-redact") == true)
        #expect(redactor.manifestEntry == Manifest.Redaction(enabled: false, rules: [], report: "redaction-report.json"))
    }

    @Test func writeErrorsStopTheTransfer() throws {
        struct Full: Error {}
        final class FailingSink: ByteSink {
            func write(_ bytes: UnsafeRawBufferPointer) throws { throw Full() }
        }
        let sink = try RedactFixtures.redactor().sink(file: "f", output: FailingSink())
        let big = [UInt8](repeating: UInt8(ascii: "a"), count: 300_000) + [10]
        let accepted = big.withUnsafeBytes { sink.consume($0) }
        #expect(!accepted)
        #expect(sink.error is Full)
        #expect(throws: Full.self) { try sink.close() }
    }
}

/// Counts and scans bytes without keeping them (a stand-in for the hashing staging writer).
final class CountingSink: ByteSink {
    private struct State {
        var count = 0
        var tail: [UInt8] = []
        var found: Set<String> = []
    }
    private let state = Mutex(State())
    private let watch = ["LongLine-2007", "BigPass-2008"]

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        state.withLock { state in
            state.count += bytes.count
            let window = state.tail + Array(bytes)
            let text = String(decoding: window, as: UTF8.self)
            for word in watch where text.contains(word) { state.found.insert(word) }
            state.tail = Array(window.suffix(64))
        }
    }

    var count: Int { state.withLock { $0.count } }
    func contains(_ word: String) -> Bool { state.withLock { $0.found.contains(word) } }
}
