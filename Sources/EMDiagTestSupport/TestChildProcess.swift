import Foundation

/// What a child process printed and how it ended.
package struct TestChildResult: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String
}

/// A program running as a child process with an environment of the test's choosing (for the CLI end-to-end tests).
/// Output goes to temporary files, so a chatty child never blocks on a pipe; waiting never blocks a cooperative thread.
package struct TestChildProcess: Sendable {
    private let process: Process
    private let folder: TemporaryFolder
    private let exits: AsyncStream<Int32>

    /// Starts the program.
    /// - Parameters:
    ///   - executable: absolute path of the program.
    ///   - environment: the child's whole environment (nothing is inherited).
    /// - Throws: when the program cannot be started.
    package static func launch(
        _ executable: String, _ arguments: [String], environment: [String: String]
    ) throws -> TestChildProcess {
        let folder = try TemporaryFolder("emdiag-child")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        for name in ["stdout", "stderr"] {
            _ = FileManager.default.createFile(atPath: folder.url.appendingPathComponent(name).path, contents: nil)
        }
        process.standardOutput = try FileHandle(forWritingTo: folder.url.appendingPathComponent("stdout"))
        process.standardError = try FileHandle(forWritingTo: folder.url.appendingPathComponent("stderr"))
        process.standardInput = FileHandle.nullDevice
        let (exits, continuation) = AsyncStream<Int32>.makeStream(bufferingPolicy: .bufferingNewest(1))
        process.terminationHandler = {
            continuation.yield($0.terminationStatus)
            continuation.finish()
        }
        do {
            try process.run()
        } catch {
            folder.remove()
            throw error
        }
        return TestChildProcess(process: process, folder: folder, exits: exits)
    }

    /// Runs the program to completion.
    package static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]
    ) async throws -> TestChildResult {
        try await launch(executable, arguments, environment: environment).wait()
    }

    /// What the child wrote to stdout so far.
    package func stdoutSoFar() -> String { read("stdout") }

    /// What the child wrote to stderr so far.
    package func stderrSoFar() -> String { read("stderr") }

    /// Whether the child has not exited yet.
    package var isRunning: Bool { process.isRunning }

    /// Sends a signal (SIGINT, say) without waiting.
    package func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Polls stdout (every 50 ms, up to `attempts` times) until `predicate` finds what it needs.
    /// - Throws: `TestSupportError` with the child's stderr when it exits or never prints it.
    package func awaitStdout<T>(attempts: Int = 600, _ predicate: (String) -> T?) async throws -> T {
        for _ in 0..<attempts {
            if let found = predicate(stdoutSoFar()) { return found }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError("the child did not print what the test waits for; stderr: \(read("stderr"))")
    }

    /// Waits for the exit and returns the status and the whole output; removes the output files.
    package func wait() async throws -> TestChildResult {
        var status = Int32(-1)
        for await code in exits { status = code }
        defer { folder.remove() }
        return TestChildResult(status: status, stdout: read("stdout"), stderr: read("stderr"))
    }

    /// Sends SIGTERM and waits for the exit.
    @discardableResult
    package func stop() async throws -> TestChildResult {
        if process.isRunning { process.terminate() }
        return try await wait()
    }

    private func read(_ name: String) -> String {
        (try? Data(contentsOf: folder.url.appendingPathComponent(name))).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
