import EMDiagCore
import EMDiagTestSupport
import Foundation
import Synchronization
import Testing

/// `--upload URL`: an HTTP PUT of the finished bundle to a local `TestHTTPServer`, as to a pre-signed URL.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct UploadTests {
    /// The requests a test server received.
    final class Received: Sendable {
        private let requests = Mutex<[TestRequest]>([])
        func append(_ request: TestRequest) { requests.withLock { $0.append(request) } }
        var all: [TestRequest] { requests.withLock { $0 } }
    }

    static let signature = "X-Amz-Signature=0123456789abcdef"

    /// Collects `healthy` with `--upload` to a server answering `status`; returns the outcome, what it received
    /// and the upload URL's host:port.
    private func collectAndUpload(answering status: Int, in sandbox: Sandbox) async throws -> (Outcome, [TestRequest], String) {
        let received = Received()
        return try await withHTTPServer({ request in
            received.append(request)
            return .text(status == 200 ? "" : "InternalError: try again later", status: status)
        }) { server in
            let url = "\(server.baseURL)/bucket/emdiag-em.tar.gz?\(Self.signature)"
            let outcome = try await sandbox.withServe(Repository.scenario("healthy")) { served in
                try await sandbox.collect(served, ["--no-http-checks", "--upload", url])
            }
            return (outcome, received.all, "127.0.0.1:\(server.port)")
        }
    }

    @Test func uploadPutsTheBundleByteForByte() async throws {
        try await Sandbox.with { sandbox in
            let (outcome, requests, host) = try await collectAndUpload(answering: 200, in: sandbox)
            #expect(outcome.status == 0, "\(outcome)")
            let put = try #require(requests.first)
            #expect(requests.count == 1)
            #expect(put.method == "PUT")
            #expect(put.path == "/bucket/emdiag-em.tar.gz")
            #expect(put.query == Self.signature)
            #expect(put.header("Content-Type") == "application/gzip")
            let local = try Data(contentsOf: URL(fileURLWithPath: sandbox.output()))
            #expect(Data(put.body) == local, "the uploaded body is the local bundle (same bytes, same sha256)")
            #expect(outcome.stderr.contains("uploaded to http://\(host)/bucket/emdiag-em.tar.gz"))
            #expect(!outcome.stderr.contains("0123456789abcdef"), "the query (the pre-signed credential) is never printed")
        }
    }

    @Test func failedUploadExitsFourAndKeepsTheBundle() async throws {
        try await Sandbox.with { sandbox in
            let (outcome, requests, host) = try await collectAndUpload(answering: 500, in: sandbox)
            #expect(outcome.status == 4, "\(outcome)")
            #expect(requests.count == 3, "retried: \(requests.count) tries")
            #expect(try outcome.report().findings.isEmpty, "the report is still printed")
            #expect(outcome.stderr.contains(host), "stderr names the host: \(outcome.stderr)")
            #expect(outcome.stderr.contains("500"))
            #expect(!outcome.stderr.contains("0123456789abcdef") && !outcome.stderr.contains("Signature"), "no query string: \(outcome.stderr)")
            let verified = try await sandbox.emdiag(["bundle", "verify", sandbox.output()])
            #expect(verified.status == 0, "the local bundle is kept intact: \(verified.text)")
        }
    }
}
