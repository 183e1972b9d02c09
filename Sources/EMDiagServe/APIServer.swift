import EMDiagCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Problems starting `emdiag serve`; each description names the address or file and what to do.
package enum ServeError: Error, CustomStringConvertible, Sendable, Equatable {
    case bind(address: String, port: Int, message: String)
    case tls(file: String, message: String)
    case bundle(path: String, message: String)
    case output(path: String, message: String)

    package var description: String {
        switch self {
        case .bind(let address, let port, let message):
            "cannot listen on \(address):\(port): \(message). Pick another --port (0 picks a free one) or --address."
        case .tls(let file, let message):
            "cannot use \(file) for TLS: \(message). Pass a PEM certificate with --tls-cert and its PEM private key with --tls-key."
        case .bundle(let path, let message):
            "\(path): \(message)"
        case .output(let path, let message):
            "cannot write \(path): \(message). Choose another --kubeconfig-out path."
        }
    }
}

/// The read-only Kubernetes API server of `emdiag serve`: SwiftNIO HTTP/1 (optionally TLS) around
/// `APIRouter`. Small answers go out in one write; logs stream from the bundle in chunks read on NIO's
/// thread pool, each written only once the previous one has been accepted by the socket, so memory stays flat.
package final class APIServer: Sendable {
    /// Where and how to listen.
    package struct Configuration: Sendable {
        package var address: String
        /// 0 picks a free port.
        package var port: Int
        /// PEM certificate (chain) and PEM private key files; nil serves plain HTTP.
        package var tls: (certificate: String, key: String)?

        package init(address: String = "127.0.0.1", port: Int = 0, tls: (certificate: String, key: String)? = nil) {
            self.address = address
            self.port = port
            self.tls = tls
        }
    }

    /// The port actually bound.
    package let port: Int
    /// `http://127.0.0.1:PORT` (or https).
    package let url: String
    private let group: MultiThreadedEventLoopGroup
    private let threadPool: NIOThreadPool
    private let serveTask: Task<Void, Never>

    private typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private init(
        port: Int, url: String, group: MultiThreadedEventLoopGroup, threadPool: NIOThreadPool, serveTask: Task<Void, Never>
    ) {
        self.port = port
        self.url = url
        self.group = group
        self.threadPool = threadPool
        self.serveTask = serveTask
    }

    /// Binds and starts answering.
    /// - Parameters:
    ///   - router: answers each request.
    ///   - faults: optional fault injection (`--faults`).
    ///   - configuration: address, port and TLS files.
    ///   - logger: receives one debug line per request.
    /// - Throws: `ServeError` when TLS files are unusable or the address cannot be bound.
    package static func start(
        router: APIRouter, faults: FaultInjector? = nil, configuration: Configuration = Configuration(), logger: Logger
    ) async throws -> APIServer {
        let sslContext = try configuration.tls.map(Self.makeSSLContext)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(2, System.coreCount))
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let server: NIOAsyncChannel<Connection, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: configuration.address, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let sslContext {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                        }
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            try? await threadPool.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw ServeError.bind(address: configuration.address, port: configuration.port, message: "\(error)")
        }
        let port = server.channel.localAddress?.port ?? configuration.port
        let responder = Responder(router: router, faults: faults, threadPool: threadPool, logger: logger)
        let task = Task {
            await withDiscardingTaskGroup { connections in
                do {
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            connections.addTask { await responder.serve(connection) }
                        }
                    }
                } catch {
                    logger.debug("the listening socket closed", metadata: ["error": "\(error)"])
                }
            }
        }
        let host = configuration.address.contains(":") ? "[\(configuration.address)]" : configuration.address
        let scheme = sslContext == nil ? "http" : "https"
        logger.debug("listening", metadata: ["url": "\(scheme)://\(host):\(port)"])
        return APIServer(port: port, url: "\(scheme)://\(host):\(port)", group: group, threadPool: threadPool, serveTask: task)
    }

    /// Stops listening, ends open connections (streams stop at the next chunk) and releases the threads.
    package func stop() async {
        serveTask.cancel()
        await serveTask.value
        try? await threadPool.shutdownGracefully()
        try? await group.shutdownGracefully()
    }

    private static func makeSSLContext(_ files: (certificate: String, key: String)) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificate)
        } catch {
            throw ServeError.tls(file: files.certificate, message: "\(error)")
        }
        guard !chain.isEmpty else { throw ServeError.tls(file: files.certificate, message: "no PEM certificate in the file") }
        do {
            key = try NIOSSLPrivateKey(file: files.key, format: .pem)
        } catch {
            throw ServeError.tls(file: files.key, message: "\(error)")
        }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.applicationProtocols = ["http/1.1"]
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw ServeError.tls(file: files.certificate, message: "the certificate and key do not make a TLS context (\(error))")
        }
    }
}

/// Serves the requests of one connection after another (keep-alive), applying faults.
private struct Responder: Sendable {
    let router: APIRouter
    let faults: FaultInjector?
    let threadPool: NIOThreadPool
    let logger: Logger

    /// Thrown to drop a connection in the middle of a body (`resetAfterBytes`).
    private struct InjectedReset: Error {}

    func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                for try await part in inbound {
                    switch part {
                    case .head(let h): head = h
                    case .body: continue
                    case .end:
                        guard let h = head else { continue }
                        head = nil
                        guard try await respond(to: h, outbound) else { return }
                    }
                }
            }
        } catch {
            logger.debug("connection closed", metadata: ["error": "\(error)"])
        }
    }

    /// Writes the answer to one request; returns whether the connection stays open.
    private func respond(to head: HTTPRequestHead, _ outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws -> Bool {
        let request = ReplayRequest(method: head.method.rawValue, target: head.uri, accept: head.headers.first(name: "accept") ?? "")
        let fault = faults?.decide(method: request.method, path: request.path)
        if let latency = fault?.latencyMs, latency > 0 {
            try await Task.sleep(for: .milliseconds(latency))
        }
        var response = fault?.response ?? router.handle(request)
        var reader: LogFileReader?
        if case .file(let body) = response.body {
            do {
                reader = try await threadPool.runIfActive { try LogFileReader(body) }
            } catch {
                response = .status(500, reason: "InternalError", message: "\(error)")
            }
        }
        let faultNote = fault.map { " (fault rule \($0.rule))" } ?? ""
        logger.debug("\(request.method) \(head.uri) -> \(response.status)\(faultNote)")

        let keepAlive = head.isKeepAlive
        var headers = HTTPHeaders([("Content-Type", response.contentType), ("Cache-Control", "no-cache, private")])
        for header in response.headers { headers.add(name: header.name, value: header.value) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        var budget = fault?.resetAfterBytes ?? Int.max
        let sendBody = head.method != .HEAD

        if case .bytes(let bytes) = response.body {
            headers.add(name: "Content-Length", value: "\(bytes.count)")
            let responseHead = HTTPResponseHead(version: head.version, status: .init(statusCode: response.status), headers: headers)
            guard sendBody else {
                try await outbound.write(contentsOf: [.head(responseHead), .end(nil)])
                return keepAlive
            }
            if bytes.count > budget {
                try await outbound.write(contentsOf: [.head(responseHead), .body(.byteBuffer(ByteBuffer(bytes: bytes.prefix(budget))))])
                throw InjectedReset()
            }
            try await outbound.write(contentsOf: [.head(responseHead), .body(.byteBuffer(ByteBuffer(bytes: bytes))), .end(nil)])
            return keepAlive
        }

        // A log: chunked, streamed. Each write returns once the channel is writable again (backpressure).
        try await outbound.write(.head(HTTPResponseHead(version: head.version, status: .init(statusCode: response.status), headers: headers)))
        guard sendBody, let reader else {
            try await outbound.write(.end(nil))
            return keepAlive
        }
        while let chunk = try await threadPool.runIfActive({ try reader.next() }) {
            try Task.checkCancellation()
            if chunk.count > budget {
                try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk.prefix(budget)))))
                throw InjectedReset()
            }
            budget -= chunk.count
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk))))
        }
        try await outbound.write(.end(nil))
        return keepAlive
    }
}
