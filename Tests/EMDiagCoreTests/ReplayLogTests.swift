import EMDiagCore
import EMDiagTestSupport
import Foundation
import Testing

@Suite struct ReplayLogTests {
    let router: APIRouter
    init() throws { router = try ReplayHarness.router() }

    private func logText(_ query: String, pod: String = ReplayTestBundle.crashLoopPod) throws -> (status: Int, text: String) {
        let response = router.handle(ReplayRequest(target: "/api/v1/namespaces/em/pods/\(pod)/log?\(query)"))
        switch response.body {
        case .file(let body):
            #expect(response.contentType == "text/plain")
            return (response.status, String(decoding: try LogFileReader(body, chunkSize: 7).readAll(), as: UTF8.self))
        case .bytes(let bytes):
            return (response.status, String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test func previousLogIsServedAsStored() throws {
        let (status, text) = try logText("container=governance&previous=true")
        #expect(status == 200)
        #expect(text == ReplayTestBundle.previousLog)
    }

    @Test func storedTimestampsAreStrippedUnlessAsked() throws {
        #expect(try logText("container=governance").text == ReplayTestBundle.currentLogPlain)
        #expect(try logText("container=governance&timestamps=true").text == ReplayTestBundle.currentLogStored)
        // A log stored without timestamps is returned as stored either way.
        #expect(try logText("timestamps=true", pod: ReplayTestBundle.databasePod).text == ReplayTestBundle.postgresLog)
    }

    @Test func theOnlyContainerIsTheDefault() throws {
        #expect(try logText("").text == ReplayTestBundle.currentLogPlain)
    }

    @Test func tailLinesAndLimitBytes() throws {
        #expect(try logText("tailLines=1").text == "exiting with code 1\n")
        #expect(try logText("tailLines=2&timestamps=true").text.hasPrefix("2025-03-01T11:59:59.000000001Z ERROR"))
        #expect(try logText("tailLines=0").text == "")
        #expect(try logText("tailLines=99").text == ReplayTestBundle.currentLogPlain)
        #expect(try logText("limitBytes=10").text == "INFO start")
        #expect(try logText("tailLines=1&limitBytes=7").text == "exiting")
        #expect(try logText("tailLines=-1").status == 400)
        #expect(try logText("limitBytes=0").status == 400)
    }

    @Test func ambiguousContainerIsABadRequest() throws {
        let (status, body) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods/\(ReplayTestBundle.terminatingPod)/log")
        #expect(status == 400)
        #expect(body["message"]?.string == "a container name must be specified for pod openfga-0, choose one of: [openfga sidecar]")
        let (_, initBody) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods/\(ReplayTestBundle.initPod)/log?container=nope")
        #expect(initBody["message"]?.string == "container nope is not valid for pod \(ReplayTestBundle.initPod)")
    }

    @Test func missingLogsAreStatusErrors() throws {
        let (previous, body) = try ReplayHarness.get(
            router, "/api/v1/namespaces/em/pods/\(ReplayTestBundle.databasePod)/log?container=postgresql&previous=true")
        #expect(previous == 400)
        #expect(body["reason"]?.string == "BadRequest")
        #expect(body["message"]?.string == #"previous terminated container "postgresql" in pod "postgresql-0" not found"#)

        let (missing, why) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods/\(ReplayTestBundle.initPod)/log?container=assets")
        #expect(missing == 404)
        #expect(why["message"]?.string?.contains("waiting to start: PodInitializing") == true)

        let (noPod, notFound) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods/ghost/log")
        #expect(noPod == 404)
        #expect(notFound["message"]?.string == #"pods "ghost" not found"#)
    }

    @Test func filterKeepsNonTimestampTokensAndSplitsAcrossChunks() {
        var filter = LogFilter(options: LogOptions(stripTimestamps: true))
        let input = Array("2025-03-01T00:00:00Z a\nplain line\n\n2025-03-01T00:00:01.5Z b".utf8)
        var out: [UInt8] = []
        for byte in input { out += filter.process([byte]) }
        out += filter.finish()
        #expect(String(decoding: out, as: UTF8.self) == "a\nplain line\n\nb")
    }

    @Test func tailOffsetCountsLinesFromTheEnd() {
        let text = Array("one\ntwo\nthree\n".utf8)
        let read = { (offset: Int, count: Int) in Array(text[offset..<(offset + count)]) }
        #expect(LogTail.startOffset(size: text.count, lines: 1, blockSize: 3, read: read) == 8)
        #expect(LogTail.startOffset(size: text.count, lines: 2, blockSize: 3, read: read) == 4)
        #expect(LogTail.startOffset(size: text.count, lines: 5, blockSize: 3, read: read) == 0)
        let unterminated = Array("one\ntwo".utf8)
        #expect(LogTail.startOffset(size: unterminated.count, lines: 1) { Array(unterminated[$0..<($0 + $1)]) } == 4)
    }
}
