internal import CCurl
import EMDiagCore
import Foundation

/// The product's HTTP client: libcurl's multi interface on one dedicated thread (see `CurlMultiLoop`).
///
/// - GET/PUT (and other methods), request bodies streamed from bytes or a file, response bodies streamed
///   to a file or consumer (kept in memory only for `.memory(limit:)`).
/// - TLS: CA from a file or PEM data, client certificate and key from files or PEM data, `insecureSkipVerify`
///   only when asked, `serverName` via URL rewrite + `CURLOPT_CONNECT_TO` (see `CurlTarget`).
/// - gzip (and br/zstd) accepted, connections, DNS and TLS sessions reused, at most
///   `maxConcurrentTransfers` transfers at once; task cancellation aborts the transfer.
/// - HTTP 4xx/5xx are responses, not errors; every libcurl failure is an `HTTPError` naming the URL,
///   libcurl's message and code. A `.file` sink is removed when the transfer fails (never a partial body).
/// - Redirects are not followed (the Kubernetes API does not redirect). With `proxyURL` nil, libcurl honours
///   the `https_proxy`/`http_proxy`/`no_proxy` environment variables, as kubectl does.
package final class CurlTransport: HTTPTransport {
    private let configuration: HTTPClientConfiguration
    private let loop: CurlMultiLoop

    /// - Throws: `HTTPError` when libcurl cannot be initialised.
    package init(configuration: HTTPClientConfiguration) throws {
        guard curlGlobalInit == CURLE_OK else {
            throw HTTPError(kind: .other, url: "", message: "curl_global_init failed", code: Int(curlGlobalInit.rawValue))
        }
        self.configuration = configuration
        loop = try CurlMultiLoop(maxActive: configuration.maxConcurrentTransfers)
        loop.start()
    }

    deinit {
        loop.stop()
    }

    package func send(_ request: HTTPRequest, sink: HTTPResponseSink) async throws -> HTTPResponse {
        if Task.isCancelled {
            throw HTTPError(kind: .aborted, url: request.url, message: "the request was cancelled before it started")
        }
        let transfer = try CurlTransfer(request: request, sink: sink, configuration: configuration, share: loop.share)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.continuation = continuation
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }
}

/// libcurl's process-wide initialisation, run once (Swift globals are initialised lazily and thread-safely).
private let curlGlobalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))
