import Foundation
import Logging

extension KubeClient {
    /// Sends a request whose answer is JSON, keeping it in memory, and parses it.
    func json(
        path: String, query: [(String, String)], method: String = "GET", body: [UInt8]? = nil, action: KubeAction,
        deadline: ContinuousClock.Instant?
    ) async throws -> (value: JSONValue, bytes: [UInt8]) {
        let response = try await request(path: path, query: query, method: method, body: body,
                                         sink: .memory(limit: Self.pageLimit), action: action, deadline: deadline)
        do {
            return (try JSONValue.parse(response.body), response.body)
        } catch {
            throw KubeError.invalidResponse(url: url(path: path, query: query), message: "the body is not JSON")
        }
    }

    /// Sends one request with credentials, under the shared concurrency limit, retrying what a later try can fix
    /// (only reads and side-effect-free POSTs such as access reviews go through here, so retrying is safe).
    /// - Throws: `KubeError` describing the final failure.
    func request(
        path: String, query: [(String, String)], method: String = "GET", body: [UInt8]? = nil, sink: HTTPResponseSink,
        action: KubeAction, deadline: ContinuousClock.Instant?
    ) async throws -> HTTPResponse {
        let target = url(path: path, query: query)
        let sendsCredentials = endpoint.server.lowercased().hasPrefix("https://")  // client-go never sends them over plain http
        var attempt = 0
        var refreshedCredentials = false
        while true {
            attempt += 1
            try Task.checkCancellation()
            let credentials = try await self.credentials.current()
            var headers = [HTTPHeader("Accept", "application/json, */*")]
            if body != nil { headers.append(HTTPHeader("Content-Type", "application/json")) }
            if sendsCredentials, let authorization = credentials.authorization {
                headers.append(HTTPHeader("Authorization", authorization))
            }
            var timeout = requestTimeout
            if let deadline {
                let remaining = clock.now().duration(to: deadline)
                guard remaining > .zero else {
                    throw KubeError.deadlineExceeded(url: target, attempts: attempt - 1, lastFailure: "no time left to try")
                }
                timeout = min(timeout, remaining)
            }
            let capture = ErrorBodyCapture(sink: sink)
            let request = HTTPRequest(method: method, url: target, headers: headers, body: body.map { .bytes($0) },
                                      timeout: timeout)
            let transport = try await self.transport(for: credentials.tls)
            await limiter.acquire()
            let outcome: Result<HTTPResponse, HTTPError>
            do {
                outcome = .success(try await transport.send(request, sink: capture.sink))
            } catch let error as HTTPError {
                outcome = .failure(error)
            } catch {
                await limiter.release()
                throw error
            }
            await limiter.release()

            let failure: String
            let retryAfter: Duration?
            switch outcome {
            case .success(let response):
                logger.debug("\(method) \(target) \(response.status)", metadata: ["attempt": "\(attempt)"])
                if (200..<300).contains(response.status) { return response }
                let body = capture.errorBody(response)
                if response.status == 401, !refreshedCredentials, await self.credentials.invalidate() {
                    refreshedCredentials = true  // a rotated token or an expired exec credential: one fresh try
                    attempt -= 1
                    continue
                }
                guard KubeRetryPolicy.isRetryable(status: response.status), capture.canRetry, attempt < retry.maxAttempts else {
                    throw statusError(response.status, body: body, url: target, action: action, attempts: attempt)
                }
                failure = "HTTP \(response.status)"
                retryAfter = KubeRetryPolicy.retryAfter(response.headers["retry-after"])
            case .failure(let error):
                logger.debug("\(method) \(target) failed: \(error.kind.rawValue)", metadata: ["attempt": "\(attempt)"])
                guard KubeRetryPolicy.isRetryable(error), capture.canRetry, attempt < retry.maxAttempts else {
                    throw transportError(error, attempts: attempt)
                }
                failure = "\(error)"
                retryAfter = nil
            }
            let pause = retry.delay(afterAttempt: attempt, retryAfter: retryAfter)
            if let deadline, clock.now().advanced(by: pause) >= deadline {
                throw KubeError.deadlineExceeded(url: target, attempts: attempt, lastFailure: failure)
            }
            logger.debug("retrying \(method) \(target) in \(pause)", metadata: ["attempt": "\(attempt)"])
            try await clock.sleep(pause)
        }
    }

    /// Turns a non-success status into the error a support engineer can act on.
    func statusError(_ status: Int, body: [UInt8], url: String, action: KubeAction, attempts: Int) -> KubeError {
        let message = Self.serverMessage(body)
        switch status {
        case 401:
            return .unauthorized(url: url, identity: endpoint.identity, serverMessage: message)
        case 403:
            return .forbidden(url: url, identity: endpoint.identity, verb: action.verb, resource: action.resource,
                              namespace: action.namespace, serverMessage: message)
        case 404:
            return .notFound(url: url, object: action.object, serverMessage: message)
        default:
            return .httpStatus(url: url, status: status, attempts: attempts, serverMessage: message)
        }
    }

    /// Adds which kubeconfig entry to look at for connection and TLS failures.
    func transportError(_ error: HTTPError, attempts: Int) -> KubeError {
        let cluster = endpoint.clusterName.map { "cluster \"\($0)\"" } ?? "the in-cluster API server"
        let file = endpoint.clusterOrigin.map { " in \($0.file)" } ?? ""
        let hint: String
        switch error.kind {
        case .connectionRefused:
            hint = "Nothing accepted the connection at \(endpoint.server) (server of \(cluster)\(file)): is the API server up, "
                + "and is that the right address and port?"
        case .tlsCertificateAuthority:
            hint = "The CA check failed: the server's certificate is not signed by the certificate-authority of \(cluster)\(file)."
        case .tlsHostname:
            hint = "The hostname check failed: the server's certificate does not name \(endpoint.server); set tls-server-name "
                + "of \(cluster)\(file) or use the name the certificate was issued for."
        case .tlsClientCertificate:
            hint = "The client certificate of \(endpoint.identity) was unusable or refused."
        default:
            hint = "Server: \(endpoint.server) (\(cluster)\(file))."
        }
        return .transport(server: endpoint.server, error: error, attempts: attempts, hint: hint)
    }

    /// The `message` of a Kubernetes Status body, else the start of the body as text.
    static func serverMessage(_ body: [UInt8]) -> String {
        if let json = try? JSONValue.parse(body), let message = json["message"]?.string { return message }
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text
    }
}

/// Watches a request's sink so an error answer can be read back: memory bodies directly, files by reading them back
/// (then removing them), consumer streams through a copy of their first bytes.
private struct ErrorBodyCapture {
    let sink: HTTPResponseSink
    private let tap: TappingConsumer?

    init(sink original: HTTPResponseSink) {
        if case .consumer(let consumer) = original {
            let tap = TappingConsumer(wrapping: consumer)
            self.tap = tap
            self.sink = .consumer(tap)
        } else {
            self.tap = nil
            self.sink = original
        }
    }

    /// A consumer that already received bytes cannot be rewound, so such a request is not retried.
    var canRetry: Bool { tap?.delivered == false || tap == nil }

    func errorBody(_ response: HTTPResponse) -> [UInt8] {
        switch sink {
        case .memory: return response.body
        case .file(let path):
            let bytes = FileManager.default.contents(atPath: path).map { [UInt8]($0.prefix(64 << 10)) } ?? []
            try? FileManager.default.removeItem(atPath: path)
            return bytes
        case .consumer: return tap?.head ?? []
        }
    }
}

/// Forwards every chunk to the wrapped consumer and keeps the first 64 KiB for error messages.
/// `@unchecked Sendable`: the transport calls `consume`/`finish` from one thread at a time, and `head`/`delivered`
/// are read only after `send` returned; the lock makes those accesses safe regardless.
private final class TappingConsumer: HTTPBodyConsumer, @unchecked Sendable {
    private let wrapped: any HTTPBodyConsumer
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private var count = 0

    init(wrapping consumer: any HTTPBodyConsumer) { self.wrapped = consumer }

    var head: [UInt8] { lock.withLock { bytes } }
    var delivered: Bool { lock.withLock { count > 0 } }

    func consume(_ chunk: UnsafeRawBufferPointer) -> Bool {
        lock.withLock {
            count += chunk.count
            if bytes.count < 64 << 10 { bytes.append(contentsOf: chunk.prefix(64 << 10 - bytes.count)) }
        }
        return wrapped.consume(chunk)
    }

    func finish() { wrapped.finish() }
}
