import Foundation
import Logging

/// The query options of a container log request (`kubectl logs` flags).
package struct KubeLogOptions: Sendable, Hashable {
    package var container: String?
    package var previous = false
    package var timestamps = false
    package var tailLines: Int?
    package var limitBytes: Int?
    package var sinceSeconds: Int?

    package init(
        container: String? = nil, previous: Bool = false, timestamps: Bool = false, tailLines: Int? = nil,
        limitBytes: Int? = nil, sinceSeconds: Int? = nil
    ) {
        self.container = container
        self.previous = previous
        self.timestamps = timestamps
        self.tailLines = tailLines
        self.limitBytes = limitBytes
        self.sinceSeconds = sinceSeconds
    }

    var query: [(String, String)] {
        var items: [(String, String)] = []
        if let container { items.append(("container", container)) }
        if previous { items.append(("previous", "true")) }
        if timestamps { items.append(("timestamps", "true")) }
        if let tailLines { items.append(("tailLines", String(tailLines))) }
        if let limitBytes { items.append(("limitBytes", String(limitBytes))) }
        if let sinceSeconds { items.append(("sinceSeconds", String(sinceSeconds))) }
        return items
    }
}

/// A read-only Kubernetes API client over any `HTTPTransport`: version, list (paginated), get, and container logs.
/// All requests of one client share a concurrency limit, are retried with backoff when the cluster is struggling,
/// and fail with `KubeError`s that say what to fix. Logs show method, URL and status only, never credentials.
package final class KubeClient: Sendable {
    /// Builds a transport for the given client settings (TLS from the endpoint or an exec plugin's certificate).
    package typealias TransportFactory = @Sendable (HTTPClientConfiguration) throws -> any HTTPTransport

    package let endpoint: KubeEndpoint
    let limiter: KubeConcurrencyLimiter
    let credentials: KubeCredentialSource
    let retry: KubeRetryPolicy
    let clock: KubeClock
    let requestTimeout: Duration
    let logger: Logger
    private let transports: TransportCache

    /// - Parameters:
    ///   - endpoint: the resolved connection.
    ///   - concurrency: requests in flight at once (shared by every call on this client).
    ///   - requestTimeout: time limit of one try.
    ///   - transportFactory: makes the HTTP transport (libcurl in production, a test double in tests).
    ///   - logger: receives one line per request (method, URL, status) at debug level.
    ///   - retry: the retry policy.
    ///   - clock: time and sleep, injectable so tests do not wait.
    ///   - environment: the environment exec plugins inherit.
    ///   - interactiveExec: whether exec plugins may prompt on the terminal.
    package init(
        endpoint: KubeEndpoint, concurrency: Int = 8, requestTimeout: Duration = .seconds(30),
        transportFactory: @escaping TransportFactory, logger: Logger, retry: KubeRetryPolicy = KubeRetryPolicy(),
        clock: KubeClock = .system, environment: [String: String] = ProcessInfo.processInfo.environment,
        interactiveExec: Bool = false
    ) {
        self.endpoint = endpoint
        self.limiter = KubeConcurrencyLimiter(limit: concurrency)
        self.credentials = KubeCredentialSource(
            endpoint: endpoint, environment: environment, clock: clock, interactive: interactiveExec)
        self.retry = retry
        self.clock = clock
        self.requestTimeout = requestTimeout
        self.logger = logger
        let base = HTTPClientConfiguration(
            tls: endpoint.tls, proxyURL: endpoint.proxyURL, requestTimeout: requestTimeout,
            maxConcurrentTransfers: max(1, concurrency))
        self.transports = TransportCache(base: base, factory: transportFactory)
    }

    /// A client for the connection options (concurrency and timeout taken from them).
    package convenience init(
        endpoint: KubeEndpoint, options: KubeConnectionOptions, transportFactory: @escaping TransportFactory, logger: Logger
    ) {
        self.init(endpoint: endpoint, concurrency: options.concurrency, requestTimeout: options.requestTimeout,
                  transportFactory: transportFactory, logger: logger)
    }

    // MARK: Reads

    /// `GET /version`.
    package func serverVersion(deadline: ContinuousClock.Instant? = nil) async throws -> JSONValue {
        let action = KubeAction(verb: "get", resource: "/version", namespace: nil, object: "the /version endpoint")
        return try await json(path: "/version", query: [], action: action, deadline: deadline).value
    }

    /// One object, as the API returned it.
    /// - Parameter namespace: ignored for cluster-scoped types; nil uses the endpoint's namespace.
    package func get(
        _ type: ResourceType, name: String, namespace: String? = nil, deadline: ContinuousClock.Instant? = nil
    ) async throws -> [UInt8] {
        let ns = type.namespaced ? (namespace ?? endpoint.namespace) : nil
        let scope = ns.map { " in namespace \"\($0)\"" } ?? ""
        let action = KubeAction(verb: "get", resource: type.description, namespace: ns,
                                object: "\(type.description) \"\(name)\"\(scope)")
        let path = Self.collectionPath(type, namespace: ns) + "/" + Self.escapePath(name)
        return try await request(path: path, query: [], sink: .memory(limit: Self.objectLimit), action: action,
                                 deadline: deadline).body
    }

    /// Any GET path under the API server (for example `/api/v1/namespaces/em`), as JSON bytes.
    package func getRaw(path: String, query: [(String, String)] = [], deadline: ContinuousClock.Instant? = nil) async throws
        -> [UInt8]
    {
        let action = KubeAction(verb: "get", resource: path, namespace: nil, object: path)
        return try await request(path: path, query: query, sink: .memory(limit: Self.objectLimit), action: action,
                                 deadline: deadline).body
    }

    /// Streams a container's log into `sink` (a file or consumer); init containers are named like any container.
    /// On failure a file sink is removed, so no Status JSON masquerades as a log.
    /// - Returns: the response (status, headers, byte count).
    package func logs(
        pod: String, namespace: String? = nil, options: KubeLogOptions = KubeLogOptions(), to sink: HTTPResponseSink,
        deadline: ContinuousClock.Instant? = nil
    ) async throws -> HTTPResponse {
        let ns = namespace ?? endpoint.namespace
        let container = options.container.map { "container \"\($0)\" of " } ?? ""
        let action = KubeAction(verb: "get", resource: "pods/log", namespace: ns,
                                object: "the \(options.previous ? "previous " : "")log of \(container)pod \"\(pod)\" in namespace \"\(ns)\"")
        let path = Self.collectionPath(.pods, namespace: ns) + "/" + Self.escapePath(pod) + "/log"
        return try await request(path: path, query: options.query, sink: sink, action: action, deadline: deadline)
    }

    // MARK: Paths

    static let objectLimit = 64 << 20
    static let pageLimit = 256 << 20

    /// `/api/v1/namespaces/NS/pods`, or the cluster-wide `/api/v1/pods` when `namespace` is nil.
    static func collectionPath(_ type: ResourceType, namespace: String?) -> String {
        if type.namespaced, let namespace {
            return "\(type.apiPrefix)/namespaces/\(escapePath(namespace))/\(type.resource)"
        }
        return "\(type.apiPrefix)/\(type.resource)"
    }

    static func escapePath(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: unreserved) ?? segment
    }

    /// RFC 3986 unreserved characters: everything else in a query value is percent-encoded (`app=x` -> `app%3Dx`, as kubectl sends).
    static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    func url(path: String, query: [(String, String)]) -> String {
        let encoded = query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? $0.1)" }
        return endpoint.server + path + (encoded.isEmpty ? "" : "?" + encoded.joined(separator: "&"))
    }

    func transport(for tls: TLSConfiguration) async throws -> any HTTPTransport {
        try await transports.transport(for: tls)
    }
}

/// What a request does, for error messages: RBAC verb, resource, namespace, and the object in words.
struct KubeAction: Sendable {
    var verb: String
    var resource: String
    var namespace: String?
    var object: String
}

/// One transport per distinct TLS setting (an exec plugin may hand out a new client certificate).
private actor TransportCache {
    private let base: HTTPClientConfiguration
    private let factory: KubeClient.TransportFactory
    private var transports: [TLSConfiguration: any HTTPTransport] = [:]

    init(base: HTTPClientConfiguration, factory: @escaping KubeClient.TransportFactory) {
        self.base = base
        self.factory = factory
    }

    func transport(for tls: TLSConfiguration) throws -> any HTTPTransport {
        if let existing = transports[tls] { return existing }
        var configuration = base
        configuration.tls = tls
        let made = try factory(configuration)
        transports[tls] = made
        return made
    }
}
