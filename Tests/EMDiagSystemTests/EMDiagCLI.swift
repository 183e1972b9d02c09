import EMDiagTestSupport
import Foundation

/// The built `emdiag` executable (`.build/debug/emdiag`, found from this file's path), for tests that need a
/// separate process: a writer to kill, or memory measured apart from the test runner.
enum EMDiagCLI {
    static func binary() throws -> URL {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let binary = root.appendingPathComponent(".build/debug/emdiag")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw TestSupportError("\(binary.path) is missing: run `swift build --build-tests` first")
        }
        return binary
    }

    /// Runs emdiag to completion without blocking a cooperative thread; returns its status and combined output.
    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("emdiag-cli-\(UUID().uuidString).out")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try handle.close()
        return (status, String(decoding: try Data(contentsOf: output), as: UTF8.self))
    }
}
