import Foundation
import Testing

@testable import EMDiagCore

private let chromiumPath = "/usr/bin/chromium"
private let chromiumInstalled = FileManager.default.isExecutableFile(atPath: chromiumPath)

/// The HTML report opened in real headless Chromium (Debian's `chromium`): the page renders (exit 0, a screenshot
/// that is not blank) and the parsed DOM holds the findings, the pod table and the timeline, with no script.
@Suite(
    .serialized,
    .enabled(if: chromiumInstalled, "chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
)
struct ReportChromiumTests {
    typealias F = ReportFixtures

    /// Decodes an 8-bit RGB/RGBA PNG (zlib + scanline filters, Python stdlib only) and prints
    /// `width height distinct-colours non-white-pixels`.
    static let pngStats = """
        import struct, sys, zlib
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'not a PNG'
        pos, idat = 8, b''
        while pos < len(data):
            length, kind = struct.unpack('>I4s', data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + length]
            if kind == b'IHDR':
                width, height, depth, colour = struct.unpack('>IIBB', body[:10])
            elif kind == b'IDAT':
                idat += body
            pos += 12 + length
        assert depth == 8 and colour in (2, 6), 'unsupported PNG depth/colour type %d/%d' % (depth, colour)
        bpp = 3 if colour == 2 else 4
        raw = zlib.decompress(idat)
        stride = width * bpp
        previous = bytearray(stride)
        colours, ink = set(), 0
        for y in range(height):
            kind = raw[y * (stride + 1)]
            line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = previous[i]
                c = previous[i - bpp] if i >= bpp else 0
                if kind == 1: line[i] = (line[i] + a) & 255
                elif kind == 2: line[i] = (line[i] + b) & 255
                elif kind == 3: line[i] = (line[i] + (a + b) // 2) & 255
                elif kind == 4:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            for x in range(0, stride, bpp):
                pixel = bytes(line[x:x + 3])
                colours.add(pixel)
                if pixel != b'\\xff\\xff\\xff':
                    ink += 1
            previous = line
        print(width, height, len(colours), ink)
        """

    private func writeHTML(_ report: DiagnosticReport) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "emdiag-report-\(UUID().uuidString).html"
        )
        try Data(ReportFormat.html.render(report).utf8).write(to: url)
        return url
    }

    private func headless(_ arguments: [String]) throws -> ReportFixtures.ProcessResult {
        try F.run(chromiumPath, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"] + arguments)
    }

    @Test(.timeLimit(.minutes(3)))
    func screenshotIsNotBlank() throws {
        let html = try writeHTML(try F.failingScenario.map(F.report(scenario:)) ?? F.report())
        let png = html.deletingPathExtension().appendingPathExtension("png")
        defer {
            try? FileManager.default.removeItem(at: html)
            try? FileManager.default.removeItem(at: png)
        }
        let shot = try headless(["--screenshot=\(png.path)", "--window-size=1200,1600", html.absoluteString])
        #expect(shot.status == 0, "chromium failed: \(shot.stderr)")
        let stats = try F.python(["-c", Self.pngStats, png.path])
        #expect(stats.status == 0, "PNG decode failed: \(stats.stderr)")
        let numbers = stats.stdout.split(separator: " ").compactMap {
            Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        try #require(numbers.count == 4, "unexpected stats \(stats.stdout)")
        #expect(numbers[0] == 1200 && numbers[1] == 1600)
        #expect(numbers[2] > 20, "only \(numbers[2]) distinct colours: the page looks blank")
        #expect(numbers[3] > numbers[0] * numbers[1] / 20, "only \(numbers[3]) non-white pixels")
    }

    @Test(.timeLimit(.minutes(3)))
    func domHoldsFindingsPodsAndTimeline() throws {
        let report = try F.report()
        let html = try writeHTML(report)
        defer { try? FileManager.default.removeItem(at: html) }
        let dump = try headless(["--dump-dom", html.absoluteString])
        #expect(dump.status == 0, "chromium failed: \(dump.stderr)")
        let dom = dump.stdout
        for finding in report.findings {
            #expect(dom.contains(HTMLReport.escape(finding.title)), "finding \(finding.id) missing from the DOM")
        }
        #expect(dom.contains("<article class=\"finding critical\" id=\"finding-1\">"))
        #expect(dom.contains("Init:0/3") && dom.contains("CrashLoopBackOff"))
        #expect(dom.contains("<svg") && dom.contains("OOMKilled"))
        #expect(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!dom.contains("<script"), "the hostile excerpt became an element")
        #expect(!dom.contains("parsererror"))
    }
}
