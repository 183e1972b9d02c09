import Foundation

/// What a child process printed and how it ended.
package struct TestChildResult: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String
}

/// Runs a program as a child process with an environment of the test's choosing (for the CLI end-to-end tests),
/// without blocking a cooperative thread. Output goes to temporary files, so a chatty child never blocks on a pipe.
package enum TestChildProcess {
    /// - Parameters:
    ///   - executable: absolute path of the program.
    ///   - environment: the child's whole environment (nothing is inherited).
    /// - Throws: when the program cannot be started.
    package static func run(
        _ executable: String, _ arguments: [String], environment: [String: String], currentDirectory: String? = nil
    ) async throws -> TestChildResult {
        let folder = try TemporaryFolder("emdiag-child")
        defer { folder.remove() }
        let out = folder.url.appendingPathComponent("stdout")
        let err = folder.url.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: out)
        let errHandle = try FileHandle(forWritingTo: err)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = currentDirectory.map { URL(fileURLWithPath: $0) }
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try outHandle.close()
        try errHandle.close()
        return TestChildResult(
            status: status, stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }
}
