import EMDiagCore
@testable import EMDiagSystem
import EMDiagTestSupport
import Foundation
import Synchronization
import Testing

/// Real libcurl against real loopback servers (SwiftNIO, optionally TLS).
@Suite("CurlTransport over loopback", .serialized, .timeLimit(.minutes(3)))
final class CurlTransportTests {
    let folder: TemporaryFolder

    init() throws {
        folder = try TemporaryFolder("emdiag-curl")
    }

    deinit { folder.remove() }

    private func transport(
        _ tls: EMDiagCore.TLSConfiguration = .init(), connectTimeout: Duration = .seconds(5),
        requestTimeout: Duration = .seconds(60), concurrency: Int = 8
    ) throws -> CurlTransport {
        try CurlTransport(configuration: HTTPClientConfiguration(
            tls: tls, connectTimeout: connectTimeout, requestTimeout: requestTimeout, maxConcurrentTransfers: concurrency))
    }

    /// Runs `body` against a fresh server and always shuts the server down.
    private func withServer<T>(
        tls: TestTLS? = nil, _ handler: @escaping @Sendable (TestRequest) async -> TestResponse,
        _ body: (TestHTTPServer) async throws -> T
    ) async throws -> T {
        let server = try await TestHTTPServer.start(tls: tls, handler: handler)
        do {
            let result = try await body(server)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }

    private func expectHTTPError(
        _ kind: HTTPError.Kind, url: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ call: () async throws -> HTTPResponse
    ) async {
        do {
            let response = try await call()
            Issue.record("expected \(kind), got status \(response.status)", sourceLocation: sourceLocation)
        } catch let error as HTTPError {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
            #expect(error.url == url, sourceLocation: sourceLocation)
            #expect(error.description.contains(url), sourceLocation: sourceLocation)
            #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected HTTPError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func getReturnsStatusHeadersAndBodyAndSendsHeaders() async throws {
        try await withServer({ request in
            request.header("Authorization") == "Bearer t0ken" && request.header("X-Extra") == "1"
                ? .json(#"{"path":"\#(request.path)","q":"\#(request.queryItems["limit"] ?? "")"}"#)
                : .text("unauthorised", status: 401)
        }) { server in
            let client = try transport()
            let url = server.baseURL + "/api/v1/pods?limit=5"
            let ok = try await client.send(
                HTTPRequest(url: url, headers: [HTTPHeader("Authorization", "Bearer t0ken"), HTTPHeader("X-Extra", "1")]),
                sink: .memory(limit: 1 << 20))
            #expect(ok.status == 200)
            #expect(ok.headers["content-type"] == "application/json")
            #expect(String(decoding: ok.body, as: UTF8.self) == #"{"path":"/api/v1/pods","q":"5"}"#)
            let denied = try await client.send(HTTPRequest(url: url), sink: .memory(limit: 1 << 20))
            #expect(denied.status == 401)  // 4xx is an answer, not an error
            #expect(String(decoding: denied.body, as: UTF8.self) == "unauthorised")
        }
    }

    /// Measured in a separate `emdiag fetch` process, so tests running in parallel in this process
    /// cannot disturb (or hide) the memory figure.
    @Test func get200MBStreamsToDiskWithFlatMemory() async throws {
        let chunk = [UInt8](repeating: 0x5a, count: 1 << 20)
        let chunks = 200
        try await withServer({ _ in
            TestResponse(headers: [HTTPHeader("Content-Length", "\(chunk.count * chunks)")], body: .stream { writer in
                for _ in 0..<chunks { try await writer.write(chunk) }
            })
        }) { server in
            let out = folder.url.appendingPathComponent("big.bin").path
            let run = try await EMDiagCLI.run(["fetch", server.baseURL + "/big", "-o", out])
            #expect(run.status == 0, "\(run.output)")
            var fields: [String: String] = [:]
            for word in run.output.split(whereSeparator: \.isWhitespace) {
                let pair = word.split(separator: "=", maxSplits: 1)
                if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
            }
            #expect(fields["status"] == "200")
            #expect(fields["bytes"] == "\(chunk.count * chunks)")
            let size = try FileManager.default.attributesOfItem(atPath: out)[.size] as? Int
            #expect(size == chunk.count * chunks)
            let before = try #require(fields["rss_before_kb"].flatMap { Int($0) })
            let peak = try #require(fields["peak_rss_kb"].flatMap { Int($0) })
            #expect(before > 0 && peak >= before)
            #expect(peak - before < 60 * 1024, "peak RSS grew by \(peak - before) KiB while streaming 200 MB")
        }
    }

    @Test func tlsWithCAGivenAsData() async throws {
        let certs = try TestCertificates.make(in: folder.url.appendingPathComponent("pki"))
        try await withServer(tls: TestTLS(certs), { _ in .text("secure") }) { server in
            let client = try transport(.init(certificateAuthority: .data(certs.ca.certificatePEM)))
            let response = try await client.send(HTTPRequest(url: server.baseURL + "/"), sink: .memory(limit: 1024))
            #expect(response.status == 200)
            #expect(response.body == Array("secure".utf8))
            // A CA file, and `localhost` in the URL, work as well.
            let fromFile = try transport(.init(certificateAuthority: .file(certs.ca.certificatePath)))
            let viaName = try await fromFile.send(
                HTTPRequest(url: "https://localhost:\(server.port)/"), sink: .memory(limit: 1024))
            #expect(viaName.status == 200)
        }
    }

    @Test func serverNameOverrideVerifiesAgainstThatName() async throws {
        let certs = try TestCertificates.make(
            in: folder.url.appendingPathComponent("pki"), serverNames: ["DNS:kubernetes.internal"])
        try await withServer(tls: TestTLS(certs), { request in .text(request.header("Host") ?? "-") }) { server in
            let url = server.baseURL + "/"
            let named = try transport(
                .init(certificateAuthority: .data(certs.ca.certificatePEM), serverName: "kubernetes.internal"))
            let response = try await named.send(HTTPRequest(url: url), sink: .memory(limit: 1024))
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "127.0.0.1:\(server.port)")
            let plain = try transport(.init(certificateAuthority: .data(certs.ca.certificatePEM)))
            await expectHTTPError(.tlsHostname, url: url) {
                try await plain.send(HTTPRequest(url: url), sink: .memory(limit: 1024))
            }
        }
    }

    @Test func caMismatchIsReportedAsCertificateAuthority() async throws {
        let certs = try TestCertificates.make(in: folder.url.appendingPathComponent("pki"))
        let other = try TestCertificates.make(in: folder.url.appendingPathComponent("other"), caName: "some-other-ca")
        try await withServer(tls: TestTLS(certs), { _ in .text("secure") }) { server in
            let url = server.baseURL + "/"
            let client = try transport(.init(certificateAuthority: .data(other.ca.certificatePEM)))
            await expectHTTPError(.tlsCertificateAuthority, url: url) {
                try await client.send(HTTPRequest(url: url), sink: .memory(limit: 1024))
            }
            let insecure = try transport(
                .init(certificateAuthority: .data(other.ca.certificatePEM), insecureSkipVerify: true))
            #expect(try await insecure.send(HTTPRequest(url: url), sink: .memory(limit: 1024)).status == 200)
        }
    }

    @Test func clientCertificateAcceptedWhenDemandedAndRefusedWithout() async throws {
        let certs = try TestCertificates.make(in: folder.url.appendingPathComponent("pki"))
        let tls = TestTLS(certs, requireClientCertificate: true)
        try await withServer(tls: tls, { _ in .text("hello test-user") }) { server in
            let url = server.baseURL + "/"
            let withData = try transport(.init(
                certificateAuthority: .data(certs.ca.certificatePEM), clientCertificate: .data(certs.client.certificatePEM),
                clientKey: .data(certs.client.keyPEM)))
            #expect(try await withData.send(HTTPRequest(url: url), sink: .memory(limit: 1024)).status == 200)
            let withFiles = try transport(.init(
                certificateAuthority: .file(certs.ca.certificatePath), clientCertificate: .file(certs.client.certificatePath),
                clientKey: .file(certs.client.keyPath)))
            #expect(try await withFiles.send(HTTPRequest(url: url), sink: .memory(limit: 1024)).status == 200)
            let without = try transport(.init(certificateAuthority: .data(certs.ca.certificatePEM)))
            await expectHTTPError(.tlsClientCertificate, url: url) {
                try await without.send(HTTPRequest(url: url), sink: .memory(limit: 1024))
            }
        }
    }

    @Test func connectionRefusedNamesTheURL() async throws {
        let server = try await TestHTTPServer.start { _ in .text("gone") }
        let url = server.baseURL + "/api"
        await server.shutdown()
        let client = try transport()
        await expectHTTPError(.connectionRefused, url: url) {
            try await client.send(HTTPRequest(url: url), sink: .memory(limit: 1024))
        }
    }

    @Test func connectTimeoutIsTyped() async throws {
        let blackhole = try TestBlackholeListener()
        let url = "http://127.0.0.1:\(blackhole.port)/api"
        let client = try transport(connectTimeout: .milliseconds(300))
        await expectHTTPError(.timeout, url: url) {
            try await client.send(HTTPRequest(url: url), sink: .memory(limit: 1024))
        }
        withExtendedLifetime(blackhole) {}
    }

    @Test func overallTimeoutIsTyped() async throws {
        try await withServer({ _ in
            try? await Task.sleep(for: .seconds(20))
            return .text("late")
        }) { server in
            let url = server.baseURL + "/slow"
            let client = try transport()
            await expectHTTPError(.timeout, url: url) {
                try await client.send(HTTPRequest(url: url, timeout: .milliseconds(400)), sink: .memory(limit: 1024))
            }
        }
    }

    @Test func fiftyConcurrentRequestsComplete() async throws {
        let seen = Counter()
        try await withServer({ request in
            seen.value.withLock { $0 += 1 }
            try? await Task.sleep(for: .milliseconds(20))
            return .text("answer \(request.path)")
        }) { server in
            let client = try transport(concurrency: 8)
            let bodies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for i in 0..<50 {
                    group.addTask {
                        let response = try await client.send(
                            HTTPRequest(url: server.baseURL + "/r\(i)"), sink: .memory(limit: 1024))
                        return (i, String(decoding: response.body, as: UTF8.self))
                    }
                }
                return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
            }
            #expect(bodies.count == 50)
            #expect((0..<50).allSatisfy { bodies[$0] == "answer /r\($0)" })
            #expect(seen.value.withLock { $0 } == 50)
        }
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        try await withServer({ request in .text("\(request.connection)") }) { server in
            let client = try transport()
            var connections: [String] = []
            for i in 0..<5 {
                let response = try await client.send(HTTPRequest(url: server.baseURL + "/\(i)"), sink: .memory(limit: 64))
                connections.append(String(decoding: response.body, as: UTF8.self))
            }
            #expect(connections == Array(repeating: "1", count: 5))
        }
    }

    @Test func putOfAFileArrivesIntact() async throws {
        let source = folder.url.appendingPathComponent("upload.bin")
        let payload = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
        try Data(payload).write(to: source)
        try await withServer({ request in
            .text("\(request.method) \(request.body.count) \(SHA256Digest.hex(of: request.body))")
        }) { server in
            let client = try transport()
            let response = try await client.send(
                HTTPRequest(method: "PUT", url: server.baseURL + "/upload", body: .file(path: source.path)),
                sink: .memory(limit: 1024))
            #expect(String(decoding: response.body, as: UTF8.self) == "PUT \(payload.count) \(SHA256Digest.hex(of: payload))")
            let tiny = Array("tiny".utf8)
            let small = try await client.send(
                HTTPRequest(method: "PUT", url: server.baseURL + "/upload", body: .bytes(tiny)), sink: .memory(limit: 1024))
            #expect(String(decoding: small.body, as: UTF8.self) == "PUT 4 \(SHA256Digest.hex(of: tiny))")
        }
    }

    @Test func gzipBodyIsDecoded() async throws {
        let text = String(repeating: "level=info msg=\"all good\"\n", count: 2000)
        let compressed = try TestProcess.gzip(Array(text.utf8))
        try await withServer({ request in
            guard request.header("Accept-Encoding")?.contains("gzip") == true else {
                return .text("no gzip offered", status: 400)
            }
            return TestResponse(headers: [HTTPHeader("Content-Encoding", "gzip")], body: .bytes(compressed))
        }) { server in
            let client = try transport()
            let response = try await client.send(HTTPRequest(url: server.baseURL + "/log"), sink: .memory(limit: 1 << 20))
            #expect(response.status == 200)
            #expect(compressed.count < text.utf8.count / 10)
            #expect(String(decoding: response.body, as: UTF8.self) == text)
        }
    }

    @Test func connectionClosedMidBodyIsAReset() async throws {
        try await withServer({ _ in .truncated(declaredLength: 100_000, sent: 1000) }) { server in
            let url = server.baseURL + "/cut"
            let client = try transport()
            let out = folder.url.appendingPathComponent("cut").path
            await expectHTTPError(.connectionReset, url: url) {
                try await client.send(HTTPRequest(url: url), sink: .file(path: out))
            }
            #expect(!FileManager.default.fileExists(atPath: out), "a failed transfer must not leave a partial file")
        }
    }

    @Test func consumerGetsEveryChunkAndOneFinishAndCanStop() async throws {
        let body = (0..<300_000).map { UInt8(truncatingIfNeeded: $0) }
        try await withServer({ _ in TestResponse(body: .bytes(body)) }) { server in
            let url = server.baseURL + "/stream"
            let client = try transport()
            let all = RecordingConsumer(stopAfter: nil)
            let response = try await client.send(HTTPRequest(url: url), sink: .consumer(all))
            #expect(response.bodyBytes == body.count)
            #expect(all.state.withLock { $0 } == RecordingConsumer.State(bytes: body, finished: 1))
            let stopping = RecordingConsumer(stopAfter: 1000)
            await expectHTTPError(.aborted, url: url) { try await client.send(HTTPRequest(url: url), sink: .consumer(stopping)) }
            #expect(stopping.state.withLock { $0.finished } == 1)
        }
    }

    @Test func memoryLimitAndBadSinkPathAreTyped() async throws {
        try await withServer({ _ in .text(String(repeating: "x", count: 10_000)) }) { server in
            let url = server.baseURL + "/x"
            let client = try transport()
            await expectHTTPError(.bodyTooLarge, url: url) {
                try await client.send(HTTPRequest(url: url), sink: .memory(limit: 100))
            }
            await expectHTTPError(.localFile, url: url) {
                try await client.send(HTTPRequest(url: url), sink: .file(path: "/nonexistent-dir/x"))
            }
        }
    }

    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        try await withServer({ _ in
            try? await Task.sleep(for: .seconds(20))
            return .text("late")
        }) { server in
            let client = try transport()
            let url = server.baseURL + "/slow"
            let task = Task { try await client.send(HTTPRequest(url: url), sink: .memory(limit: 1024)) }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            await expectHTTPError(.aborted, url: url) { try await task.value }
        }
    }

    @Test(arguments: [
        (60, "SSL certificate problem: unable to get local issuer certificate", HTTPError.Kind.tlsCertificateAuthority),
        (60, "SSL certificate problem: self-signed certificate in certificate chain", .tlsCertificateAuthority),
        (60, "SSL: no alternative certificate subject name matches target host name 'x'", .tlsHostname),
        (56, "OpenSSL SSL_read: error:0A00045C:SSL routines::tlsv13 alert certificate required, errno 0", .tlsClientCertificate),
        (58, "could not load PEM client certificate", .tlsClientCertificate),
        (7, "Failed to connect to 127.0.0.1 port 1: Connection refused", .connectionRefused),
        (6, "Could not resolve host: nowhere.invalid", .couldNotResolveHost),
        (28, "Connection timed out after 300 milliseconds", .timeout),
        (18, "transfer closed with 99000 bytes remaining to read", .connectionReset),
        (52, "Empty reply from server", .connectionReset),
        (35, "OpenSSL SSL_connect: SSL_ERROR_SYSCALL", .tls),
        (3, "URL using bad/illegal format or missing URL", .invalidURL),
    ])
    func curlCodesMapToKinds(code: Int, message: String, kind: HTTPError.Kind) {
        #expect(CurlErrorMapping.kind(code: code, message: message) == kind)
    }
}

/// A shared count for handlers (a Mutex itself cannot be captured by an escaping closure).
final class Counter: Sendable {
    let value = Mutex(0)
}

/// Collects a streamed body and counts `finish()` calls; refuses chunks past `stopAfter` bytes.
final class RecordingConsumer: HTTPBodyConsumer {
    struct State: Equatable {
        var bytes: [UInt8] = []
        var finished = 0
    }

    let state = Mutex(State())
    let stopAfter: Int?

    init(stopAfter: Int?) {
        self.stopAfter = stopAfter
    }

    func consume(_ chunk: UnsafeRawBufferPointer) -> Bool {
        state.withLock { state in
            state.bytes.append(contentsOf: chunk)
            return stopAfter.map { state.bytes.count <= $0 } ?? true
        }
    }

    func finish() {
        state.withLock { $0.finished += 1 }
    }
}
