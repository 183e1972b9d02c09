import EMDiagCore
import EMDiagTestSupport
import Foundation
import Testing

/// `emdiag serve` as a child process: the printed URL and kubeconfig, a large log streamed with flat memory,
/// a clean stop on SIGTERM, and no writes into the bundle.
@Suite(.serialized) struct ServeCommandTests {
    /// The `emdiag` binary built next to the test bundle (`swift build --build-tests` builds both).
    static var emdiag: String {
        let folder = Bundle.main.bundleURL.deletingLastPathComponent()
        for candidate in [Bundle.main.bundleURL.appendingPathComponent("emdiag"), folder.appendingPathComponent("emdiag")]
        where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate.path
        }
        return folder.appendingPathComponent("emdiag").path
    }

    /// Size of the generated log; `EMDIAG_SERVE_LARGE_LOG_MB=1024` runs the 1 GB case.
    static var largeLogBytes: Int {
        (ProcessInfo.processInfo.environment["EMDIAG_SERVE_LARGE_LOG_MB"].flatMap(Int.init) ?? 128) * 1024 * 1024
    }

    private static func status(_ pid: Int32, _ field: String) throws -> Int {
        let text = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = text.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// Starts `emdiag serve` and waits for its `export KUBECONFIG=` line.
    private func startServe(_ bundle: URL, _ extra: [String] = []) async throws -> (process: Process, url: String, kubeconfig: String) {
        try #require(FileManager.default.isExecutableFile(atPath: Self.emdiag), "build emdiag first: swift build --build-tests")
        let (process, stdout, _) = try ServeTestSupport.launch(Self.emdiag, ["serve", bundle.path, "--port", "0"] + extra)
        for _ in 0..<600 {
            let text = (try? String(contentsOf: stdout, encoding: .utf8)) ?? ""
            if let export = text.split(separator: "\n").first(where: { $0.hasPrefix("export KUBECONFIG=") }),
                let url = text.split(separator: " ").first(where: { $0.hasPrefix("http://") })
            {
                return (process, String(url.dropLast()), String(export.dropFirst("export KUBECONFIG=".count)))
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw ServeTestError.didNotStart(stdout: (try? String(contentsOf: stdout, encoding: .utf8)) ?? "")
    }

    private enum ServeTestError: Error { case didNotStart(stdout: String) }

    @Test(.timeLimit(.minutes(5))) func largeLogStreamsWithFlatMemoryAndStopsOnSIGTERM() async throws {
        let root = try ReplayTestBundle.make()
        let logPath = BundleLayout.logPath(namespace: "em", pod: ReplayTestBundle.databasePod, container: "postgresql", previous: false)
        let log = root.appendingPathComponent(logPath)
        let size = Self.largeLogBytes
        let handle = try FileHandle(forWritingTo: log)
        let block = Data((0..<16_384).flatMap { Array("LOG:  line \($0 % 10) of a long PostgreSQL log, padded to look real\n".utf8) })
        var written = 0
        try handle.truncate(atOffset: 0)
        while written < size {
            let piece = block.prefix(size - written)
            try handle.write(contentsOf: piece)
            written += piece.count
        }
        try handle.close()

        let kubeconfigOut = try ServeTestSupport.temporaryFolder("cli").appendingPathComponent("kubeconfig")
        let (process, url, kubeconfig) = try await startServe(root, ["--kubeconfig-out", kubeconfigOut.path])
        #expect(kubeconfig == kubeconfigOut.path)
        let config = try String(contentsOf: kubeconfigOut, encoding: .utf8)
        #expect(config.contains("server: \"\(url)\""))
        #expect(config.contains("namespace: \"em\""))

        let pid = process.processIdentifier
        let baseline = try Self.status(pid, "VmRSS")
        try "5".write(toFile: "/proc/\(pid)/clear_refs", atomically: false, encoding: .utf8)  // resets VmHWM
        let output = try ServeTestSupport.temporaryFolder("large").appendingPathComponent("log")
        let fetched = try await ServeTestSupport.curl([
            "-o", output.path, "-w", "%{http_code}", "\(url)/api/v1/namespaces/em/pods/\(ReplayTestBundle.databasePod)/log",
        ])
        let peak = try Self.status(pid, "VmHWM")
        #expect(fetched.text == "200")
        let attributes = try FileManager.default.attributesOfItem(atPath: output.path)
        #expect((attributes[.size] as? Int) == size)
        let growth = peak - baseline
        #expect(growth < min(64 * 1024 * 1024, size / 2), "server RSS grew by \(growth) bytes while streaming \(size) bytes")

        kill(pid, SIGTERM)
        let exit = await ServeTestSupport.waitForExit(process)
        #expect(exit == 0)
        #expect(FileManager.default.fileExists(atPath: kubeconfigOut.path))
        let bundleFiles = BundleDirectory(root: root).files()
        #expect(!bundleFiles.contains { $0.contains("kubeconfig") })
    }

    @Test(.timeLimit(.minutes(1))) func refusesToWriteIntoTheBundle() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.emdiag), "build emdiag first: swift build --build-tests")
        let root = try ReplayTestBundle.make()
        let result = try await ServeTestSupport.run(
            Self.emdiag, ["serve", root.path, "--kubeconfig-out", root.appendingPathComponent("kubeconfig").path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("inside the bundle"))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("kubeconfig").path))
    }

    @Test(.timeLimit(.minutes(1))) func aFileIsRefusedWithAClearMessage() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.emdiag), "build emdiag first: swift build --build-tests")
        let file = try ServeTestSupport.temporaryFolder("file").appendingPathComponent("bundle.txt")
        try Data("not a bundle".utf8).write(to: file)
        let result = try await ServeTestSupport.run(Self.emdiag, ["serve", file.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains(file.path))
    }
}
