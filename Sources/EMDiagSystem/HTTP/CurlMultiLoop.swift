internal import CCurl
import EMDiagCore
import Foundation
import Synchronization

/// Drives every transfer of one `CurlTransport` with the curl multi interface on one dedicated thread,
/// so no Swift task ever blocks: callers suspend on a continuation that this thread resumes.
///
/// At most `maxActive` transfers are inside the multi handle; the rest wait in FIFO order. Connections,
/// DNS answers and TLS sessions are reused across transfers (the multi handle's connection pool plus a
/// share handle for DNS and TLS sessions).
///
/// `@unchecked Sendable`: the curl handles and the `waiting`/`active` collections are touched only by the loop
/// thread; other threads only use the Mutex-guarded `inbox` and `curl_multi_wakeup`, which libcurl documents
/// as callable from any thread.
final class CurlMultiLoop: @unchecked Sendable {
    private struct Inbox {
        var submitted: [CurlTransfer] = []
        var stopping = false
    }

    private let multi: UnsafeMutableRawPointer
    let share: UnsafeMutableRawPointer
    private let maxActive: Int
    private let inbox = Mutex(Inbox())
    private var waiting: [CurlTransfer] = []
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    init(maxActive: Int) throws {
        guard let multi = curl_multi_init(), let share = curl_share_init() else {
            throw HTTPError(kind: .other, url: "", message: "libcurl could not create its multi/share handles")
        }
        self.multi = multi
        self.share = share
        self.maxActive = max(1, maxActive)
        for data in [CURL_LOCK_DATA_DNS, CURL_LOCK_DATA_SSL_SESSION] {
            _ = CCurl_share_setopt_long(share, CURLSHOPT_SHARE, Int(data.rawValue))
        }
    }

    /// Starts the loop thread; it runs until `stop()`.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "emdiag-curl"
        thread.start()
    }

    /// Queues a transfer (its continuation already set) and wakes the loop.
    func submit(_ transfer: CurlTransfer) {
        inbox.withLock { $0.submitted.append(transfer) }
        curl_multi_wakeup(multi)
    }

    /// Asks the loop to abort a transfer; safe from any thread, before or after submission.
    func cancel(_ transfer: CurlTransfer) {
        transfer.cancelRequested.withLock { $0 = true }
        curl_multi_wakeup(multi)
    }

    /// Ends the loop thread; transfers still queued or running fail with `.aborted`.
    func stop() {
        inbox.withLock { $0.stopping = true }
        curl_multi_wakeup(multi)
    }

    private func run() {
        while true {
            let (submitted, stopping) = inbox.withLock { box in
                defer { box.submitted = [] }
                return (box.submitted, box.stopping)
            }
            waiting.append(contentsOf: submitted)
            if stopping { break }
            abortCancelled()
            startWaiting()
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            collectFinished()
            startWaiting()
            var ready: Int32 = 0
            curl_multi_poll(multi, nil, 0, 1000, &ready)
        }
        for transfer in waiting + Array(active.values) {
            finish(transfer, .failure(HTTPError(kind: .aborted, url: transfer.url, message: "the HTTP client was shut down")))
        }
        curl_multi_cleanup(multi)
        curl_share_cleanup(share)
    }

    private func startWaiting() {
        while active.count < maxActive, !waiting.isEmpty {
            let transfer = waiting.removeFirst()
            let code = curl_multi_add_handle(multi, transfer.handle)
            guard code == CURLM_OK else {
                let message = String(cString: curl_multi_strerror(code))
                finish(transfer, .failure(HTTPError(kind: .other, url: transfer.url, message: message)))
                continue
            }
            active[transfer.handle] = transfer
        }
    }

    private func collectFinished() {
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                let transfer = active[handle]
            else { continue }
            let code = message.pointee.data.result  // read before remove_handle frees the message
            finish(transfer, transfer.result(code: code))
        }
    }

    private func abortCancelled() {
        let cancelled = (waiting + Array(active.values)).filter { $0.cancelRequested.withLock { $0 } }
        for transfer in cancelled {
            waiting.removeAll { $0 === transfer }
            finish(transfer, .failure(HTTPError(kind: .aborted, url: transfer.url, message: "the request was cancelled")))
        }
    }

    /// Removes the transfer from the multi handle (if there) and resumes its caller.
    private func finish(_ transfer: CurlTransfer, _ result: Result<HTTPResponse, HTTPError>) {
        if active.removeValue(forKey: transfer.handle) != nil {
            curl_multi_remove_handle(multi, transfer.handle)
        }
        transfer.releaseHandle()
        transfer.complete(result)
    }
}
