import Foundation

/// The time source and sleeper behind retries and credential expiry. Tests pass a virtual clock so backoff costs no time.
package struct KubeClock: Sendable {
    package var now: @Sendable () -> ContinuousClock.Instant
    package var sleep: @Sendable (Duration) async throws -> Void
    /// Wall-clock time, compared with exec credentials' `expirationTimestamp`.
    package var date: @Sendable () -> Date

    package init(
        now: @escaping @Sendable () -> ContinuousClock.Instant, sleep: @escaping @Sendable (Duration) async throws -> Void,
        date: @escaping @Sendable () -> Date
    ) {
        self.now = now
        self.sleep = sleep
        self.date = date
    }

    package static let system = KubeClock(
        now: { ContinuousClock.now }, sleep: { try await Task.sleep(for: $0) }, date: { Date() })
}

/// When and how long to retry: exponential backoff with jitter on connection failures and 429/500/502/503/504,
/// honouring `Retry-After` (seconds form), a bounded number of attempts, never past the caller's deadline.
package struct KubeRetryPolicy: Sendable {
    /// Total tries including the first.
    package var maxAttempts: Int
    package var baseDelay: Duration
    package var maxDelay: Duration
    /// The longest `Retry-After` obeyed; longer values are cut to this.
    package var maxRetryAfter: Duration
    /// Returns a number in 0...1 for jitter (injectable for tests).
    package var random: @Sendable () -> Double

    package init(
        maxAttempts: Int = 4, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(8),
        maxRetryAfter: Duration = .seconds(30), random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
        self.random = random
    }

    /// Statuses that a later try can fix.
    package static func isRetryable(status: Int) -> Bool { [429, 500, 502, 503, 504].contains(status) }

    /// Transport failures that a later try can fix (not DNS, TLS or local-file problems).
    package static func isRetryable(_ error: HTTPError) -> Bool {
        [.connectionRefused, .connectionReset, .timeout].contains(error.kind)
    }

    /// The pause before try `attempt + 1`: `Retry-After` when the server sent one, else base * 2^(attempt-1),
    /// capped at `maxDelay`, with "equal jitter" (between half and all of it).
    package func delay(afterAttempt attempt: Int, retryAfter: Duration?) -> Duration {
        if let retryAfter { return min(max(retryAfter, .zero), maxRetryAfter) }
        let base = Self.milliseconds(baseDelay)
        let exponential = base.multipliedReportingOverflow(by: 1 << min(max(attempt - 1, 0), 30))
        let capped = min(exponential.overflow ? Int.max : exponential.partialValue, Self.milliseconds(maxDelay))
        let jitter = Double(capped / 2) * min(max(random(), 0), 1)
        return .milliseconds(capped / 2 + Int(jitter.rounded()))
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    /// Parses `Retry-After` in its seconds form (the HTTP-date form is ignored, as client-go ignores it).
    package static func retryAfter(_ header: String?) -> Duration? {
        guard let header, let seconds = Int(header.trimmingCharacters(in: .whitespaces)), seconds >= 0 else { return nil }
        return .seconds(seconds)
    }
}

/// A counting semaphore shared by all requests of one client: at most `limit` in flight, the rest wait in FIFO order.
package actor KubeConcurrencyLimiter {
    package let limit: Int
    private var inUse = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    package init(limit: Int) { self.limit = max(1, limit) }

    package func acquire() async {
        if inUse < limit {
            inUse += 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }  // the releaser hands its slot over
    }

    package func release() {
        if waiters.isEmpty {
            inUse -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }

}
