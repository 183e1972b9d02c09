import Foundation

/// `--upload URL`: an HTTP PUT of the finished bundle (for example to a pre-signed object-store URL), retried on
/// connection errors, 429 and 5xx. The URL's query (where pre-signed credentials live) is never printed.
package struct BundleUpload: Sendable {
    package var transport: any HTTPTransport
    package var attempts: Int
    package var backoff: Duration
    package var sleep: @Sendable (Duration) async throws -> Void

    package init(
        transport: any HTTPTransport, attempts: Int = 3, backoff: Duration = .seconds(1),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.transport = transport
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.sleep = sleep
    }

    /// Uploads `file` to `url`.
    /// - Throws: `UploadError` naming the URL without its query, the status or transport error, and the tries.
    package func upload(file: String, to url: String) async throws(UploadError) {
        let shown = UploadError.display(url)
        var last = ""
        for attempt in 1...attempts {
            do {
                let response = try await transport.send(
                    HTTPRequest(
                        method: "PUT", url: url, headers: [HTTPHeader("Content-Type", "application/gzip")],
                        body: .file(path: file), timeout: .seconds(600)),
                    sink: .memory(limit: 64 << 10))
                if (200..<300).contains(response.status) { return }
                last = "HTTP \(response.status) \(String(decoding: response.body.prefix(200), as: UTF8.self))"
                guard response.status == 429 || response.status >= 500 else { break }
            } catch let error as HTTPError {
                last = "\(error.kind.rawValue): \(error.message)"
                guard [.connectionRefused, .timeout, .connectionReset, .other].contains(error.kind) else { break }
            } catch {
                last = "\(error)"
                break
            }
            if attempt < attempts { try? await sleep(backoff * (1 << (attempt - 1))) }
        }
        throw UploadError(url: shown, reason: last, bundle: file)
    }
}

/// The upload failed; the local bundle is kept.
package struct UploadError: Error, CustomStringConvertible, Sendable {
    package var url: String
    package var reason: String
    package var bundle: String

    package var description: String {
        "Uploading the bundle to \(url) failed: \(reason). The bundle is kept at \(bundle); attach it by hand or retry."
    }

    /// The URL without query or credentials (pre-signed URLs carry their signature in the query).
    package static func display(_ url: String) -> String {
        guard var parts = URLComponents(string: url) else { return "(the --upload URL)" }
        let hadQuery = parts.query != nil
        parts.query = nil
        parts.user = nil
        parts.password = nil
        return (parts.string ?? "(the --upload URL)") + (hadQuery ? "?…" : "")
    }
}
