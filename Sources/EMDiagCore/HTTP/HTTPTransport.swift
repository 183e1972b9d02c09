import Foundation

/// One HTTP header, in the order it is sent.
package struct HTTPHeader: Sendable, Hashable {
    package var name: String
    package var value: String
    package init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// Where a request body comes from: small bodies from memory, large ones streamed from a file.
package enum HTTPRequestBody: Sendable {
    case bytes([UInt8])
    case file(path: String)
}

/// An HTTP request as the product sends it (GET and PUT are all emdiag needs).
package struct HTTPRequest: Sendable {
    package var method: String
    package var url: String
    package var headers: [HTTPHeader]
    package var body: HTTPRequestBody?
    /// Overall time limit for this request (connect + transfer); nil uses the transport's default.
    package var timeout: Duration?

    package init(
        method: String = "GET", url: String, headers: [HTTPHeader] = [], body: HTTPRequestBody? = nil,
        timeout: Duration? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// Receives a response body chunk by chunk, on the transport's own thread, one chunk at a time.
/// Returning false aborts the transfer (the transport then throws `HTTPError.aborted`).
package protocol HTTPBodyConsumer: AnyObject, Sendable {
    func consume(_ chunk: UnsafeRawBufferPointer) -> Bool
    /// Called once when the transfer ends, successfully or not, before `send` returns.
    func finish()
}

/// Where the response body goes.
package enum HTTPResponseSink: Sendable {
    /// Keep the body in memory, failing with `HTTPError.bodyTooLarge` past `limit` bytes.
    case memory(limit: Int)
    /// Stream the body to a file (created or truncated), never holding it in memory.
    case file(path: String)
    /// Stream the body to a consumer (for example the redactor writing into the bundle). Only a 2xx body is
    /// streamed; the body of any other status goes to `HTTPResponse.body` (its first 64 KiB) instead.
    case consumer(any HTTPBodyConsumer)
}

/// The answer to a request. `body` is filled only for `.memory` sinks, and for `.consumer` sinks when the
/// status is not 2xx (the error answer, which the consumer never sees).
package struct HTTPResponse: Sendable {
    package var status: Int
    /// Header names lower-cased; the last value wins when a header repeats.
    package var headers: [String: String]
    package var body: [UInt8]
    package var bodyBytes: Int

    package init(status: Int, headers: [String: String] = [:], body: [UInt8] = [], bodyBytes: Int = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bodyBytes = bodyBytes
    }
}

/// A PEM source: a file path or the PEM bytes themselves (kubeconfig `...-data` fields, decoded).
package enum PEMSource: Sendable, Hashable {
    case file(String)
    case data([UInt8])
}

/// TLS settings of one client (one Kubernetes cluster entry).
package struct TLSConfiguration: Sendable, Hashable {
    package var certificateAuthority: PEMSource?
    package var clientCertificate: PEMSource?
    package var clientKey: PEMSource?
    /// Skip server verification: only when the user asked for it (`insecure-skip-tls-verify`).
    package var insecureSkipVerify: Bool
    /// SNI and verification name override (`tls-server-name`).
    package var serverName: String?

    package init(
        certificateAuthority: PEMSource? = nil, clientCertificate: PEMSource? = nil, clientKey: PEMSource? = nil,
        insecureSkipVerify: Bool = false, serverName: String? = nil
    ) {
        self.certificateAuthority = certificateAuthority
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.insecureSkipVerify = insecureSkipVerify
        self.serverName = serverName
    }
}

/// Settings of one HTTP client.
package struct HTTPClientConfiguration: Sendable {
    package var tls: TLSConfiguration
    package var proxyURL: String?
    package var connectTimeout: Duration
    /// Default overall timeout per request, unless the request sets its own.
    package var requestTimeout: Duration
    /// How many transfers run at once; more requests wait their turn.
    package var maxConcurrentTransfers: Int
    package var userAgent: String

    package init(
        tls: TLSConfiguration = TLSConfiguration(), proxyURL: String? = nil, connectTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(120), maxConcurrentTransfers: Int = 8,
        userAgent: String = "emdiag/\(EMDiagVersion.current)"
    ) {
        self.tls = tls
        self.proxyURL = proxyURL
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.maxConcurrentTransfers = maxConcurrentTransfers
        self.userAgent = userAgent
    }
}

/// The seam between the pure core and the HTTP implementation (libcurl in EMDiagSystem).
package protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest, sink: HTTPResponseSink) async throws -> HTTPResponse
}

/// Everything that can go wrong below HTTP status codes. Descriptions name the URL and what to do.
package struct HTTPError: Error, CustomStringConvertible, Sendable, Equatable {
    package enum Kind: String, Sendable, Equatable {
        case connectionRefused
        case couldNotResolveHost
        case timeout
        case tlsCertificateAuthority   // the server's certificate chain did not verify against the CA
        case tlsHostname               // the certificate does not name the host (or tls-server-name)
        case tlsClientCertificate      // our client certificate or key was unusable or rejected
        case tls                        // any other TLS failure
        case connectionReset           // the peer closed or reset the connection mid-transfer
        case bodyTooLarge
        case aborted                   // the body consumer asked to stop, or the task was cancelled
        case localFile                 // a request body or sink file could not be opened/written
        case invalidURL
        case other
    }

    package var kind: Kind
    package var url: String
    /// The library's own message (for libcurl: the error buffer, else curl_easy_strerror).
    package var message: String
    /// The library's numeric code (CURLcode), when there is one.
    package var code: Int?

    package init(kind: Kind, url: String, message: String, code: Int? = nil) {
        self.kind = kind
        self.url = url
        self.message = message
        self.code = code
    }

    package var description: String {
        let hint: String
        switch kind {
        case .connectionRefused: hint = "nothing is listening there: check the server address and that the API server is up"
        case .couldNotResolveHost: hint = "the host name does not resolve: check the server address and DNS"
        case .timeout: hint = "the server did not answer in time: check connectivity or raise --timeout"
        case .tlsCertificateAuthority:
            hint = "the server certificate is not signed by the configured CA: check certificate-authority(-data)"
        case .tlsHostname: hint = "the server certificate does not name this host: check the server URL or tls-server-name"
        case .tlsClientCertificate: hint = "the client certificate or key was rejected or unreadable: check client-certificate/client-key"
        case .tls: hint = "the TLS handshake failed"
        case .connectionReset: hint = "the connection was closed mid-transfer"
        case .bodyTooLarge: hint = "the answer was larger than allowed"
        case .aborted: hint = "the transfer was stopped"
        case .localFile: hint = "a local file could not be read or written"
        case .invalidURL: hint = "the URL is not valid"
        case .other: hint = "the request failed"
        }
        let codePart = code.map { " (libcurl code \($0))" } ?? ""
        return "\(url): \(hint): \(message)\(codePart)"
    }
}
