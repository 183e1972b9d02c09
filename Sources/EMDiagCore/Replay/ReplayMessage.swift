import Foundation

/// One request to the replayed API, as the HTTP layer hands it to `APIRouter` (no sockets involved).
package struct ReplayRequest: Sendable, Equatable {
    package var method: String
    /// The path without the query, percent-decoded: "/api/v1/namespaces/em/pods".
    package var path: String
    /// Query parameters, decoded the way Go's `url.ParseQuery` does (`+` is a space); the first value wins.
    package var query: [String: String]
    /// The `Accept` header ("" when absent).
    package var accept: String

    package init(method: String = "GET", path: String, query: [String: String] = [:], accept: String = "") {
        self.method = method
        self.path = path
        self.query = query
        self.accept = accept
    }

    /// Splits a request target (`/api/v1/pods?limit=500&labelSelector=app%3Ddb`) into path and query.
    package init(method: String = "GET", target: String, accept: String = "") {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let rawPath = parts.first.map(String.init) ?? "/"
        self.init(
            method: method,
            path: rawPath.removingPercentEncoding ?? rawPath,
            query: parts.count > 1 ? Self.parseQuery(String(parts[1])) : [:],
            accept: accept)
    }

    /// Decodes `a=1&b=x%3Dy+z` into `["a": "1", "b": "x=y z"]`; the first occurrence of a key wins.
    package static func parseQuery(_ query: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) -> String in
                let spaced = s.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let key = decode(kv[0])
            if out[key] == nil {
                out[key] = kv.count > 1 ? decode(kv[1]) : ""
            }
        }
        return out
    }
}

/// Options of a log request, applied while the stored file streams: tail first, then timestamp
/// stripping, then the byte limit (the kubelet's order).
package struct LogOptions: Sendable, Equatable {
    /// Remove the leading RFC 3339 token of each line (the log was stored with `timestamps=true`
    /// but the client did not ask for timestamps).
    package var stripTimestamps: Bool
    package var tailLines: Int?
    package var limitBytes: Int?

    package init(stripTimestamps: Bool = false, tailLines: Int? = nil, limitBytes: Int? = nil) {
        self.stripTimestamps = stripTimestamps
        self.tailLines = tailLines
        self.limitBytes = limitBytes
    }
}

/// A stored log file to stream with its options.
package struct LogFileBody: Sendable, Equatable {
    /// Absolute path of the stored log inside the bundle.
    package var path: String
    package var options: LogOptions

    package init(path: String, options: LogOptions = LogOptions()) {
        self.path = path
        self.options = options
    }
}

/// A response body: small answers are built in memory, logs stream from the bundle.
package enum ReplayBody: Sendable, Equatable {
    case bytes([UInt8])
    case file(LogFileBody)
}

/// The router's answer: status, content type, extra headers and the body.
package struct ReplayResponse: Sendable, Equatable {
    package var status: Int
    package var contentType: String
    /// Extra headers such as `Retry-After`, in the order they are sent.
    package var headers: [HTTPHeader]
    package var body: ReplayBody

    package init(status: Int, contentType: String, headers: [HTTPHeader] = [], body: ReplayBody) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    /// A JSON answer (sorted keys).
    package static func json(_ value: JSONValue, status: Int = 200) -> ReplayResponse {
        ReplayResponse(status: status, contentType: "application/json", body: .bytes(Array(value.serialized())))
    }

    /// The API server's `Status` object for an error, e.g. 404 NotFound `pods "x" not found`.
    package static func status(
        _ code: Int, reason: String, message: String, details: [String: JSONValue]? = nil
    ) -> ReplayResponse {
        var object: [String: JSONValue] = [
            "kind": .string("Status"), "apiVersion": .string("v1"), "metadata": .object([:]),
            "status": .string("Failure"), "message": .string(message), "reason": .string(reason),
            "code": .number(Double(code)),
        ]
        if let details { object["details"] = .object(details) }
        return .json(.object(object), status: code)
    }

    /// The reason the API server names for a status code.
    package static func reason(forStatus code: Int) -> String {
        switch code {
        case 400: "BadRequest"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 405: "MethodNotAllowed"
        case 409: "Conflict"
        case 410: "Expired"
        case 429: "TooManyRequests"
        case 504: "Timeout"
        case 503: "ServiceUnavailable"
        default: code >= 500 ? "InternalError" : "Unknown"
        }
    }
}
