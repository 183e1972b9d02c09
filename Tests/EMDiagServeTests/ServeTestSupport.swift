import EMDiagCore
import EMDiagServe
import EMDiagTestSupport
import Foundation
import Logging
import Testing

/// The result of a child process.
struct ProcessResult: Sendable {
    var status: Int32
    var stdout: Data
    var stderr: String
    var text: String { String(decoding: stdout, as: UTF8.self) }
}

enum ServeTestSupport {
    static let kubectlPath = "/usr/bin/kubectl"
    static var hasKubectl: Bool { FileManager.default.isExecutableFile(atPath: kubectlPath) }

    static func temporaryFolder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("emdiag-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Starts a process with stdout/stderr going to files (no pipe can fill up), without waiting.
    static func launch(_ executable: String, _ arguments: [String], environment: [String: String]? = nil)
        throws -> (process: Process, stdout: URL, stderr: URL)
    {
        let folder = try temporaryFolder("proc")
        let out = folder.appendingPathComponent("stdout")
        let err = folder.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        return (process, out, err)
    }

    /// Runs a process to completion without blocking a cooperative thread.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> ProcessResult {
        let (process, out, err) = try launch(executable, arguments, environment: environment)
        let status = await waitForExit(process)
        return ProcessResult(
            status: status, stdout: try Data(contentsOf: out), stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }

    static func waitForExit(_ process: Process) async -> Int32 {
        let (exits, continuation) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { continuation.yield($0.terminationStatus) }
        if !process.isRunning { return process.terminationStatus }
        for await status in exits { return status }
        return process.terminationStatus
    }

    /// A live server over `ReplayTestBundle` (or `bundle`) with a kubeconfig for it, stopped after `body`.
    static func withServer<T>(
        bundle: URL? = nil, faults: FaultPlan? = nil, tls: (certificate: String, key: String)? = nil,
        _ body: (APIServer, URL) async throws -> T
    ) async throws -> T {
        let root = try bundle ?? ReplayTestBundle.make()
        let router = try APIRouter(bundle: BundleDirectory(root: root))
        let injector = try faults.map(FaultInjector.init(plan:))
        let server = try await APIServer.start(
            router: router, faults: injector, configuration: .init(port: 0, tls: tls), logger: Logger(label: "test.serve"))
        let caPEM = try tls.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0.certificate))) }
        let kubeconfig = try temporaryFolder("kubeconfig").appendingPathComponent("config")
        try Data(ReplayKubeconfig.render(server: server.url, namespace: router.defaultNamespace, certificateAuthorityPEM: caPEM).utf8)
            .write(to: kubeconfig)
        do {
            let result = try await body(server, kubeconfig)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Runs the real kubectl with a throwaway HOME (cold discovery cache) against `kubeconfig`.
    static func kubectl(_ arguments: [String], kubeconfig: URL) async throws -> ProcessResult {
        let home = try temporaryFolder("home")
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment.removeValue(forKey: "KUBECONFIG")
        return try await run(
            kubectlPath, ["--kubeconfig", kubeconfig.path, "--request-timeout=10s"] + arguments, environment: environment)
    }

    /// Runs curl (a real HTTP client) with `arguments`.
    static func curl(_ arguments: [String]) async throws -> ProcessResult {
        try await run("/usr/bin/curl", ["-sS"] + arguments)
    }
}
