import Foundation

/// Runs blocking work (libarchive, large file I/O) on a thread of its own, so it never occupies
/// one of the few threads of Swift's cooperative pool.
package enum BlockingThread {
    /// Runs `work` on a new thread and suspends until it returns or throws.
    package static func run<T: Sendable>(
        _ name: String = "emdiag-blocking", _ work: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.name = name
            thread.start()
        }
    }
}
