import EMDiagTestSupport
import Foundation
import Testing

@testable import EMDiagCore

/// `--max-log-bytes`: a log over the cap keeps its first tenth and its newest bytes, whole lines, and says so.
@Suite struct LogCaptureTests {
    /// Streams `lines` through a capture with cap `maxBytes`; returns the stored text and its manifest entry.
    func capture(_ lines: [String], maxBytes: Int64) throws -> (text: String, file: Manifest.File) {
        let folder = try TemporaryFolder("log-capture")
        defer { folder.remove() }
        let staging = try BundleStaging(root: folder.url.appendingPathComponent("stage"))
        let path = BundleLayout.logPath(namespace: "em", pod: "p", container: "app", previous: false)
        let capture = try LogCapture(staging: staging, path: path, redactor: try RedactFixtures.redactor(), maxBytes: maxBytes)
        let bytes = Array(lines.map { $0 + "\n" }.joined().utf8)
        for start in stride(from: 0, to: bytes.count, by: 4096) {  // in pieces, as libcurl hands them over
            try bytes[start..<min(start + 4096, bytes.count)].withUnsafeBytes { try capture.sink.write($0) }
        }
        #expect(try capture.finish(keep: true))
        let file = try #require(staging.files.first { $0.path == path })
        let text = try String(contentsOf: staging.root.appendingPathComponent(path), encoding: .utf8)
        return (text, file)
    }

    static func line(_ n: Int) -> String {
        "2026-11-20T10:05:\(String(format: "%02d", n % 60)).\(String(format: "%09d", n))Z INFO line \(n) of the service log"
    }

    @Test func aLogOverTheCapKeepsItsStartAndItsEnd() throws {
        let lines = (0..<20_000).map(Self.line)
        let cap: Int64 = 100_000
        let (text, file) = try capture(lines, maxBytes: cap)
        #expect(Int64(file.size) <= cap)
        #expect(file.truncated == true)
        let stored = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        let marker = try #require(stored.firstIndex { $0.contains("[emdiag]") })
        // Whole lines on both sides, in order: the first ones, then the newest ones up to the very last.
        #expect(Array(stored[..<marker]) == Array(lines.prefix(marker)))
        let tail = Array(stored[(marker + 1)...])
        #expect(tail == Array(lines.suffix(tail.count)))
        #expect(tail.last == lines.last)
        let head = stored[..<marker].joined(separator: "\n").utf8.count
        #expect(head >= Int(cap / 10) && head < Int(cap / 10) + 200, "head \(head) bytes")
        // The marker carries the next line's timestamp (serve strips it without eating a word) and the cut size.
        let timestamp = String(tail[0].prefix { $0 != " " })
        #expect(stored[marker].hasPrefix("\(timestamp) [emdiag] "))
        let cutBytes = lines.map { $0.utf8.count + 1 }.reduce(0, +) - (head + 1) - tail.map { $0.utf8.count + 1 }.reduce(0, +)
        #expect(stored[marker].contains(" \(cutBytes) bytes cut here"), "\(stored[marker])")
    }

    @Test func aLogWithinTheCapIsKeptAsItIs() throws {
        let lines = (0..<100).map(Self.line)
        let (text, file) = try capture(lines, maxBytes: 1 << 20)
        #expect(text == lines.map { $0 + "\n" }.joined())
        #expect(file.truncated == nil)
    }

    @Test func aSmallCapKeepsTheNewestLinesOnly() throws {
        let lines = (0..<1000).map(Self.line)
        let (text, file) = try capture(lines, maxBytes: 2000)
        #expect(!text.contains("[emdiag]") && file.truncated == true && file.size <= 2000)
        #expect(text.hasSuffix(lines[999] + "\n"))
        #expect(text.hasPrefix("2026-"))  // cut at a line start
    }

    /// One line longer than the cap (a JSON blob with no newline) keeps its newest bytes rather than nothing.
    @Test func aSingleLineOverTheCapKeepsItsNewestBytes() throws {
        let line = (0..<5000).map { "k\($0)=v;" }.joined()
        let (text, file) = try capture([line], maxBytes: 10_000)
        #expect(file.truncated == true && file.size <= 10_000 && file.size > 9_000, "\(file.size)")
        #expect(text.hasSuffix("k4999=v;\n"))
        #expect((line + "\n").hasSuffix(text))
    }
}
