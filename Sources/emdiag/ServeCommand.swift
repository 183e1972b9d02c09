import ArgumentParser
import Dispatch
import EMDiagCore
import EMDiagSystem
import EMDiagServe
import Foundation
import Logging

/// `emdiag serve BUNDLE`: a read-only Kubernetes API over a bundle, for kubectl.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a support bundle as a read-only Kubernetes API, so kubectl can look around it offline.",
        discussion: """
            Prints the URL and an `export KUBECONFIG=...` line. kubectl get, describe and logs (also --previous) \
            answer from the bundle; any write is refused. Stop with Ctrl-C. See docs/serve.md.
            """
    )

    @Argument(help: "The bundle: an extracted folder (or a .tar.gz written by `emdiag collect`).")
    var bundle: String

    @Option(help: "The address to listen on.")
    var address = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one).")
    var port = 0

    @Option(name: .customLong("kubeconfig-out"), help: "Write a kubeconfig for the server here once it listens.")
    var kubeconfigOut: String?

    @Option(name: .customLong("tls-cert"), help: "Serve HTTPS with this PEM certificate (chain); needs --tls-key.")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "The PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(help: "A YAML/JSON file of fault rules to inject (tests only; see docs/serve.md).")
    var faults: String?

    @Flag(name: .customLong("as-of-collection"), help: "Compute AGE as of the bundle's collection time (manifest createdAt), not now.")
    var asOfCollection = false

    @Flag(help: "Log every request to standard error.")
    var verbose = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port \(port) is not a TCP port (0-65535).") }
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together: pass both PEM files, or neither for plain HTTP.")
        }
    }

    func run() async throws {
        let opened = try await openBundle()
        defer { opened.close() }
        let root = opened.directory.root
        let router: APIRouter
        let injector: FaultInjector?
        do {
            let directory = BundleDirectory(root: root)
            let collectedAt = asOfCollection ? try directory.manifest()?.createdAt : nil
            router = try APIRouter(bundle: directory, clock: { collectedAt ?? Date() })
            injector = try faults.map { try FaultInjector(plan: FaultPlan.load(path: $0)) }
        } catch {
            throw ValidationError("\(error)")
        }
        let kubeconfigPath = try kubeconfigPath(bundleRoot: root)

        var logger = Logger(label: "emdiag.serve") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .debug : .info
        let tls = tlsCert.flatMap { cert in tlsKey.map { (certificate: cert, key: $0) } }
        let server: APIServer
        do {
            server = try await APIServer.start(
                router: router, faults: injector, configuration: .init(address: address, port: port, tls: tls), logger: logger)
        } catch let error as ServeError {
            throw ValidationError(error.description)
        }

        do {
            let caPEM = try tlsCert.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
            let text = ReplayKubeconfig.render(server: server.url, namespace: router.defaultNamespace, certificateAuthorityPEM: caPEM)
            try write(text, to: kubeconfigPath.path)
        } catch {
            await server.stop()
            throw ValidationError(ServeError.output(path: kubeconfigPath.path, message: "\(error)").description)
        }
        let namespace = router.defaultNamespace.map { " (namespace \($0))" } ?? ""
        Self.say("""
            Serving \(root.path)\(namespace) read-only at \(server.url). Press Ctrl-C to stop.
            export KUBECONFIG=\(kubeconfigPath.path)

            """)

        await Self.waitForTermination()
        await server.stop()
        if kubeconfigOut == nil { try? FileManager.default.removeItem(at: kubeconfigPath.deletingLastPathComponent()) }
    }

    /// The bundle folder. Archives are not opened here yet: they must be extracted first.
    /// Opens BUNDLE: a folder as is, a `.tar.gz` extracted (with the reader's safety limits) into a temporary
    /// folder that is removed when the server stops.
    private func openBundle() async throws -> OpenedBundle {
        let path = URL(fileURLWithPath: bundle).standardizedFileURL.path
        do {
            return try await BlockingThread.run("emdiag-open") { try BundleOpener.open(path: path) }
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// `--kubeconfig-out`, refused inside the bundle, or a file in a fresh temporary folder.
    private func kubeconfigPath(bundleRoot: URL) throws -> URL {
        guard let kubeconfigOut else {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("emdiag-serve-\(UUID().uuidString)")
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw ValidationError(ServeError.output(path: folder.path, message: "\(error)").description)
            }
            return folder.appendingPathComponent("kubeconfig")
        }
        let out = URL(fileURLWithPath: kubeconfigOut).standardizedFileURL
        guard !out.path.hasPrefix(bundleRoot.path + "/") else {
            throw ValidationError("--kubeconfig-out \(kubeconfigOut) is inside the bundle; emdiag serve never writes into a bundle.")
        }
        return out
    }

    private func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    /// Writes to standard output unbuffered, so a parent process reading the pipe sees the URL at once.
    private static func say(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Returns on the first SIGINT or SIGTERM.
    private static func waitForTermination() async {
        let (signals, continuation) = AsyncStream<Int32>.makeStream()
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        for await _ in signals { break }
        sources.forEach { $0.cancel() }
    }
}
