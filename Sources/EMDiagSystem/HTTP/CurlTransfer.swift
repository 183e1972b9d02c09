internal import CCurl
import EMDiagCore
import Foundation
import Synchronization

/// One request in flight: its curl easy handle, the state its callbacks write into, and the caller's continuation.
///
/// `@unchecked Sendable`: the caller's task builds it, then hands it to the loop thread through the loop's
/// Mutex-guarded inbox (which orders the two). From then on only the loop thread touches the handle and the
/// mutable state. The one field other threads write, `cancelRequested`, is a Mutex.
final class CurlTransfer: @unchecked Sendable {
    /// The URL as the caller gave it (errors name this one, never a rewritten one).
    let url: String
    let handle: UnsafeMutableRawPointer
    let cancelRequested = Mutex(false)
    var continuation: CheckedContinuation<HTTPResponse, any Error>?

    private var released = false
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var slists: [UnsafeMutablePointer<curl_slist>] = []
    private let sink: CurlSink
    private var upload: CurlUpload?
    private var headers: [String: String] = [:]
    /// A failure decided by a callback (body too large, local write error, consumer stop); wins over libcurl's code.
    private var callbackFailure: HTTPError?

    init(
        request: HTTPRequest, sink: HTTPResponseSink, configuration: HTTPClientConfiguration,
        share: UnsafeMutableRawPointer
    ) throws {
        url = request.url
        // Files first: if one cannot be opened nothing else has been allocated yet.
        self.sink = try CurlSink(sink, url: request.url)
        upload = try request.body.map { try CurlUpload($0, url: request.url) }
        guard let easy = curl_easy_init() else {
            throw HTTPError(kind: .other, url: request.url, message: "curl_easy_init failed (out of memory?)")
        }
        handle = easy
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        try configure(request, configuration, share: share)
    }

    deinit {
        releaseHandle()
        for list in slists { curl_slist_free_all(list) }
        errorBuffer.deallocate()
        upload?.close()
        sink.finish(succeeded: false)
    }

    // MARK: - Setup

    private func configure(_ request: HTTPRequest, _ config: HTTPClientConfiguration, share: UnsafeMutableRawPointer) throws {
        let target = try CurlTarget(url: request.url, serverName: config.tls.serverName)
        let me = Unmanaged.passUnretained(self).toOpaque()
        try set(CURLOPT_URL, target.url)
        try set(CURLOPT_PROTOCOLS_STR, "http,https")
        try set(CURLOPT_NOSIGNAL, 1)
        try check(CCurl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        try set(CURLOPT_ACCEPT_ENCODING, "")
        try set(CURLOPT_USERAGENT, config.userAgent)
        try set(CURLOPT_TCP_KEEPALIVE, 1)
        try set(CURLOPT_CONNECTTIMEOUT_MS, config.connectTimeout.curlMilliseconds)
        try set(CURLOPT_TIMEOUT_MS, (request.timeout ?? config.requestTimeout).curlMilliseconds)
        if let proxy = config.proxyURL { try set(CURLOPT_PROXY, proxy) }
        try check(CCurl_easy_setopt_write_function(handle, CURLOPT_WRITEFUNCTION, curlBodyCallback))
        try check(CCurl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, me))
        try check(CCurl_easy_setopt_write_function(handle, CURLOPT_HEADERFUNCTION, curlHeaderCallback))
        try check(CCurl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, me))
        try configureTLS(config.tls)
        try configureMethod(request.method)

        var lines = try request.headers.map { header in
            guard !(header.name + header.value).contains(where: { $0 == "\r" || $0 == "\n" }) else {
                throw HTTPError(kind: .other, url: url, message: "header \(header.name) contains a line break")
            }
            return "\(header.name): \(header.value)"
        }
        if let host = target.hostHeader, !request.headers.contains(where: { $0.name.lowercased() == "host" }) {
            lines.append("Host: \(host)")
        }
        if upload != nil { lines.append("Expect:") }  // no 100-continue round trip
        try set(CURLOPT_HTTPHEADER, list: lines)
        if let connectTo = target.connectTo { try set(CURLOPT_CONNECT_TO, list: [connectTo]) }
        // Last: once attached to the share handle, only the loop thread may free the easy handle.
        try check(CCurl_easy_setopt_share(handle, share))
    }

    private func configureMethod(_ method: String) throws {
        let upper = method.uppercased()
        if let upload {
            try check(CCurl_easy_setopt_read_function(handle, curlReadCallback))
            try check(CCurl_easy_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(self).toOpaque()))
            if upper == "POST" {
                try set(CURLOPT_POST, 1)
                try check(CCurl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(upload.size)))
            } else {
                try set(CURLOPT_UPLOAD, 1)
                try check(CCurl_easy_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(upload.size)))
                if upper != "PUT" { try set(CURLOPT_CUSTOMREQUEST, upper) }
            }
        } else if upper == "GET" {
            try set(CURLOPT_HTTPGET, 1)
        } else if upper == "HEAD" {
            try set(CURLOPT_NOBODY, 1)
        } else {
            try set(CURLOPT_CUSTOMREQUEST, upper)
        }
    }

    private func configureTLS(_ tls: TLSConfiguration) throws {
        if tls.insecureSkipVerify {
            try set(CURLOPT_SSL_VERIFYPEER, 0)
            try set(CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let ca = tls.certificateAuthority {
            // Trust exactly this CA, as kubectl does: drop the system CA directory.
            try check(CCurl_easy_setopt_string(handle, CURLOPT_CAPATH, nil))
            try setPEM(ca, file: CURLOPT_CAINFO, blob: CURLOPT_CAINFO_BLOB)
        }
        if let cert = tls.clientCertificate {
            try setPEM(cert, file: CURLOPT_SSLCERT, blob: CURLOPT_SSLCERT_BLOB)
            try set(CURLOPT_SSLCERTTYPE, "PEM")
        }
        if let key = tls.clientKey {
            try setPEM(key, file: CURLOPT_SSLKEY, blob: CURLOPT_SSLKEY_BLOB)
            try set(CURLOPT_SSLKEYTYPE, "PEM")
        }
    }

    private func setPEM(_ source: PEMSource, file: CURLoption, blob: CURLoption) throws {
        switch source {
        case .file(let path): try set(file, path)
        case .data(let bytes):
            let code = bytes.withUnsafeBytes { raw in
                raw.baseAddress.map { CCurl_easy_setopt_blob(handle, blob, $0, raw.count) } ?? CURLE_BAD_FUNCTION_ARGUMENT
            }
            guard code == CURLE_OK else {
                let kind: HTTPError.Kind = blob == CURLOPT_CAINFO_BLOB ? .tlsCertificateAuthority : .tlsClientCertificate
                throw HTTPError(kind: kind, url: url, message: "the PEM data is empty or unusable", code: Int(code.rawValue))
            }
        }
    }

    private func set(_ option: CURLoption, _ value: Int) throws {
        try check(CCurl_easy_setopt_long(handle, option, value))
    }

    private func set(_ option: CURLoption, _ value: String) throws {
        try check(CCurl_easy_setopt_string(handle, option, value))  // libcurl copies strings
    }

    /// Builds a curl_slist that lives as long as the handle.
    private func set(_ option: CURLoption, list: [String]) throws {
        var head: UnsafeMutablePointer<curl_slist>?
        for line in list {
            guard let next = curl_slist_append(head, line) else {
                throw HTTPError(kind: .other, url: url, message: "out of memory building the header list")
            }
            head = next
        }
        guard let head else { return }
        slists.append(head)
        try check(CCurl_easy_setopt_slist(handle, option, head))
    }

    private func check(_ code: CURLcode) throws {
        guard code != CURLE_OK else { return }
        let message = String(cString: curl_easy_strerror(code))
        throw HTTPError(
            kind: CurlErrorMapping.kind(code: Int(code.rawValue), message: message), url: url,
            message: "cannot configure the request: \(message)", code: Int(code.rawValue))
    }

    // MARK: - Loop-thread side

    fileprivate func receiveBody(_ chunk: UnsafeRawBufferPointer) -> Bool {
        if let failure = sink.write(chunk, url: url) {
            callbackFailure = failure
            return false
        }
        return true
    }

    fileprivate func receiveHeader(_ line: String) {
        if line.hasPrefix("HTTP/") {
            headers = [:]  // a new response (after 100 Continue or a redirect) starts over
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
    }

    fileprivate func readBody(into buffer: UnsafeMutableRawPointer, capacity: Int) -> Int? {
        guard let n = upload?.read(into: buffer, capacity: capacity) else {
            callbackFailure = HTTPError(kind: .localFile, url: url, message: "reading the request body failed")
            return nil
        }
        return n
    }

    /// The outcome once libcurl reports the transfer done (or the loop gives up on it).
    func result(code: CURLcode) -> Result<HTTPResponse, HTTPError> {
        if let callbackFailure { return .failure(callbackFailure) }
        guard code == CURLE_OK else {
            let buffered = String(cString: errorBuffer).trimmingCharacters(in: .whitespacesAndNewlines)
            let message = buffered.isEmpty ? String(cString: curl_easy_strerror(code)) : buffered
            let raw = Int(code.rawValue)
            return .failure(HTTPError(kind: CurlErrorMapping.kind(code: raw, message: message), url: url, message: message, code: raw))
        }
        var status = 0
        _ = CCurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPResponse(status: status, headers: headers, body: sink.buffer, bodyBytes: sink.count))
    }

    /// Frees the easy handle. The loop calls it after removing the handle from the multi handle, because
    /// freeing a handle attached to the (lock-free) share handle must happen on the loop thread.
    func releaseHandle() {
        guard !released else { return }
        released = true
        curl_easy_cleanup(handle)
    }

    /// Closes the body files (or finishes the consumer), then resumes the caller exactly once.
    func complete(_ result: Result<HTTPResponse, HTTPError>) {
        upload?.close()
        if case .success = result { sink.finish(succeeded: true) } else { sink.finish(succeeded: false) }
        let continuation = self.continuation
        self.continuation = nil
        continuation?.resume(with: result.mapError { $0 as any Error })
    }
}

/// The URL libcurl should use and how it reaches the server, honouring `tls-server-name`.
///
/// libcurl 7.88 has no option to set SNI alone. So with a server name override, the URL's host becomes the
/// server name (which drives both SNI and certificate verification), `CURLOPT_CONNECT_TO` sends the connection
/// to the original host and port, and the `Host` header keeps the original authority, as kubectl/Go do.
struct CurlTarget {
    var url: String
    var connectTo: String?
    var hostHeader: String?

    init(url: String, serverName: String?) throws {
        self.url = url
        guard let serverName, !serverName.isEmpty, var parts = URLComponents(string: url),
            parts.scheme?.lowercased() == "https", let host = parts.host, !host.isEmpty,
            host.lowercased() != serverName.lowercased()
        else { return }
        let port = parts.port ?? 443
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let connectHost = bare.contains(":") ? "[\(bare)]" : bare
        parts.host = serverName
        guard let rewritten = parts.string else {
            throw HTTPError(kind: .invalidURL, url: url, message: "cannot apply tls-server-name \(serverName)")
        }
        self.url = rewritten
        connectTo = "\(serverName):\(port):\(connectHost):\(port)"
        hostHeader = parts.port.map { "\(connectHost):\($0)" } ?? connectHost
    }
}

extension Duration {
    /// Whole milliseconds, at least 1 (0 would mean "no timeout" to libcurl).
    var curlMilliseconds: Int {
        let (seconds, attoseconds) = components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

// C callbacks cannot capture context: the transfer arrives through the userdata pointer, kept alive by the loop.

private let curlBodyCallback: curl_write_callback = { data, size, count, userdata in
    guard let userdata else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
}

private let curlHeaderCallback: curl_write_callback = { data, size, count, userdata in
    guard let userdata, let data else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    transfer.receiveHeader(line)
    return length
}

private let curlReadCallback: curl_read_callback = { buffer, size, count, userdata in
    guard let userdata, let buffer else { return Int(CURL_READFUNC_ABORT) }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.readBody(into: buffer, capacity: size * count) ?? Int(CURL_READFUNC_ABORT)
}
