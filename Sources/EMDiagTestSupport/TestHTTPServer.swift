import EMDiagCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A request as the test server's handler sees it.
package struct TestRequest: Sendable {
    package var method: String
    /// The path without the query: "/api/v1/pods".
    package var path: String
    /// The raw query without "?" ("" when none).
    package var query: String
    package var headers: [HTTPHeader]
    package var body: [UInt8]
    /// Which TCP connection carried the request (1, 2, … in accept order): equal numbers mean a reused connection.
    package var connection: Int

    /// The first value of a header (case-insensitive name).
    package func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Query parameters, percent-decoded; the last value wins.
    package var queryItems: [String: String] {
        var items: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            items[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return items
    }
}

/// Streams a response body from a `.stream` handler. Each write waits for the socket (backpressure),
/// so a large body never piles up in memory.
package struct TestBodyWriter: Sendable {
    fileprivate let outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>

    package func write(_ bytes: some Sequence<UInt8>) async throws {
        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
    }
}

/// Thrown from a `.stream` body to make the server drop the connection mid-body.
package struct TestCloseConnection: Error {
    package init() {}
}

/// A response body: bytes, or a closure that writes chunks (throwing closes the connection mid-body).
package enum TestResponseBody: Sendable {
    case bytes([UInt8])
    case stream(@Sendable (TestBodyWriter) async throws -> Void)
}

/// A handler's answer. `.bytes` bodies get a Content-Length; `.stream` bodies are chunked unless the
/// handler sets Content-Length itself.
package struct TestResponse: Sendable {
    package var status: Int
    package var headers: [HTTPHeader]
    package var body: TestResponseBody

    package init(status: Int = 200, headers: [HTTPHeader] = [], body: TestResponseBody = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    package static func text(_ text: String, status: Int = 200) -> TestResponse {
        TestResponse(status: status, headers: [HTTPHeader("Content-Type", "text/plain")], body: .bytes(Array(text.utf8)))
    }

    package static func json(_ json: String, status: Int = 200) -> TestResponse {
        TestResponse(status: status, headers: [HTTPHeader("Content-Type", "application/json")], body: .bytes(Array(json.utf8)))
    }

    /// Announces `declaredLength` bytes, sends `sent` of them, then closes the connection.
    package static func truncated(declaredLength: Int, sent: Int) -> TestResponse {
        TestResponse(headers: [HTTPHeader("Content-Length", "\(declaredLength)")], body: .stream { writer in
            try await writer.write([UInt8](repeating: 0x61, count: sent))
            throw TestCloseConnection()
        })
    }
}

/// TLS settings of a test server: its certificate and key, and optionally a CA that client certificates
/// must chain to (the server then refuses clients without one).
package struct TestTLS: Sendable {
    package var certificatePath: String
    package var keyPath: String
    package var clientCAPath: String?

    package init(certificatePath: String, keyPath: String, clientCAPath: String? = nil) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.clientCAPath = clientCAPath
    }

    /// The server pair of `certificates`, demanding a client certificate from their CA when asked.
    package init(_ certificates: TestCertificates, requireClientCertificate: Bool = false) {
        self.init(
            certificatePath: certificates.server.certificatePath, keyPath: certificates.server.keyPath,
            clientCAPath: requireClientCertificate ? certificates.ca.certificatePath : nil)
    }

    fileprivate func makeContext() throws -> NIOSSLContext {
        var config = NIOSSL.TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem)))
        if let clientCAPath {
            config.certificateVerification = .noHostnameVerification
            config.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientCAPath))
        }
        return try NIOSSLContext(configuration: config)
    }
}

/// A real HTTP/1.1 (optionally TLS) server on 127.0.0.1 and a free port, built on SwiftNIO, for tests that
/// drive real clients (libcurl, kubectl) over loopback. Every request goes to one async handler.
///
/// ```swift
/// let server = try await TestHTTPServer.start { request in .text("hello \(request.path)") }
/// defer { Task { await server.shutdown() } }   // or `await server.shutdown()` at the end
/// let url = server.baseURL + "/x"
/// ```
package final class TestHTTPServer: Sendable {
    package let port: Int
    /// "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT" (no trailing slash).
    package let baseURL: String
    private let group: MultiThreadedEventLoopGroup
    private let serverChannel: any Channel
    private let acceptTask: Task<Void, Never>

    private init(port: Int, tls: Bool, group: MultiThreadedEventLoopGroup, channel: any Channel, task: Task<Void, Never>) {
        self.port = port
        self.baseURL = "\(tls ? "https" : "http")://127.0.0.1:\(port)"
        self.group = group
        self.serverChannel = channel
        self.acceptTask = task
    }

    /// Starts listening; the handler is called once per request, concurrently across connections.
    package static func start(
        tls: TestTLS? = nil, handler: @escaping @Sendable (TestRequest) async -> TestResponse
    ) async throws -> TestHTTPServer {
        let sslContext = try tls?.makeContext()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        let port = server.channel.localAddress?.port ?? 0
        let channel = server.channel
        let task = Task<Void, Never> {
            await withDiscardingTaskGroup { connections in
                do {
                    try await server.executeThenClose { inbound in
                        var accepted = 0
                        for try await connection in inbound {
                            accepted += 1
                            let number = accepted
                            connections.addTask { await serve(connection, number: number, handler: handler) }
                        }
                    }
                } catch {
                    // The listening socket was closed: shutting down.
                }
            }
        }
        return TestHTTPServer(port: port, tls: tls != nil, group: group, channel: channel, task: task)
    }

    /// Stops accepting, drops open connections and stops the server's thread.
    package func shutdown() async {
        acceptTask.cancel()
        try? await serverChannel.close()
        await acceptTask.value
        try? await group.shutdownGracefully()
    }

    private static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, number: Int,
        handler: @Sendable (TestRequest) async -> TestResponse
    ) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body = []
                case .body(let buffer):
                    body.append(contentsOf: buffer.readableBytesView)
                case .end:
                    guard let requestHead = head else { continue }
                    let response = await handler(TestRequest(head: requestHead, body: body, connection: number))
                    try await write(response, keepAlive: requestHead.isKeepAlive, to: outbound)
                    if !requestHead.isKeepAlive { return }
                }
            }
        }
    }

    private static func write(
        _ response: TestResponse, keepAlive: Bool, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        var headers = HTTPHeaders(response.headers.map { ($0.name, $0.value) })
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        if case .bytes(let bytes) = response.body, !headers.contains(name: "Content-Length") {
            headers.replaceOrAdd(name: "Content-Length", value: "\(bytes.count)")
        }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        try await outbound.write(.head(head))
        switch response.body {
        case .bytes(let bytes):
            if !bytes.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes)))) }
        case .stream(let produce):
            try await produce(TestBodyWriter(outbound: outbound))
        }
        try await outbound.write(.end(nil))
    }
}

extension TestRequest {
    fileprivate init(head: HTTPRequestHead, body: [UInt8], connection: Int) {
        let uri = head.uri
        let question = uri.firstIndex(of: "?")
        self.init(
            method: head.method.rawValue,
            path: String(uri[..<(question ?? uri.endIndex)]),
            query: question.map { String(uri[uri.index(after: $0)...]) } ?? "",
            headers: head.headers.map { HTTPHeader($0.name, $0.value) },
            body: body, connection: connection)
    }
}
