import EMDiagCore
import EMDiagSystem
import EMDiagTestSupport
import Foundation
import Testing

/// The fixture scenarios (the built binary is `EndToEnd.binary()`).
enum Repository {
    static let fixtures = EndToEnd.root.appendingPathComponent("Fixtures")

    /// The scenario folders (those holding a cluster: `api/`), sorted.
    static let scenarios: [String] = {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []
        return all.filter { FileManager.default.fileExists(atPath: fixtures.appendingPathComponent("\($0)/api").path) }
            .sorted()
    }()

    static func scenario(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// The golden findings of a scenario as a live collection from this machine must give them (`live`).
    ///
    /// Four differences are by design. The fixtures' base-url host (`em.example.test`) does not resolve here,
    /// so a live run records the HTTP check as skipped and raises no finding about it (the fixtures hold the
    /// answer the real cluster's network gave): those findings are left out. A live bundle stores the Helm
    /// records decoded in `helm/<ns>/<release>.json`, never the release Secrets the fixtures hold in
    /// `secrets.json`: Helm evidence points there. And durations in summaries ("waiting 19m56s") are measured
    /// from the collection time, which is now, not the fixtures' 2026-11-20T10:30:00Z: they are masked (`live`).
    /// Last, a live bundle stores JSON pretty-printed while the fixtures hold it compact, as the API sends it:
    /// evidence in a JSON file is compared by path only (`live`); log evidence keeps its line numbers.
    static func expectedLiveFindings(_ scenario: String) throws -> [GoldenFinding] {
        let golden = try GoldenFinding.load(fixtures.appendingPathComponent("\(scenario)/expected/findings.json"))
        let checks = Set(golden.filter(\.isHTTPCheck).map(\.key))
        return golden.filter { !$0.isHTTPCheck }.map { finding in
            var finding = finding
            finding.explains.removeAll { checks.contains($0) }
            let helm = finding.resources.first?.split(separator: "/").map(String.init) ?? []
            if helm.count == 3, helm[0] == "HelmRelease" {
                let stored = BundleLayout.helmReleasesPath(namespace: helm[1], release: helm[2])
                for index in finding.evidence.indices where finding.evidence[index].path.hasSuffix("/secrets.json") {
                    finding.evidence[index].path = stored
                }
            }
            return finding.live
        }
    }
}

extension GoldenFinding {
    var isHTTPCheck: Bool { resources.first?.hasPrefix("HTTPCheck/") == true }

    /// The finding with the durations in its summary masked ("waiting 19m56s" → "waiting <duration>") and no
    /// line numbers for evidence in JSON files.
    var live: GoldenFinding {
        var finding = self
        finding.summary = summary.replacing(/\b[0-9]+[smhdy]([0-9]+[smhd])?\b/, with: "<duration>")
        for index in evidence.indices where evidence[index].path.hasSuffix(".json") {
            finding.evidence[index].line = nil
        }
        return finding
    }

    var details: String {
        let places = evidence.map { "\($0.path):\($0.line.map(String.init) ?? "-")" }
        return "\(key) [\(severity.rawValue)] \"\(summary)\" evidence \(places) explains \(explains) explainedBy \(explainedBy ?? "-")"
    }
}

/// The first pair of findings that differ, to say why two lists are not equal.
func firstDifference(_ actual: [GoldenFinding], _ expected: [GoldenFinding]) -> String {
    for (index, (a, e)) in zip(actual, expected).enumerated() where a != e {
        return "finding \(index + 1):\n  got      \(a.details)\n  expected \(e.details)"
    }
    return "\(actual.count) findings, expected \(expected.count)"
}

/// How an emdiag child ended and what it printed.
typealias Outcome = TestChildResult

extension TestChildResult: CustomStringConvertible {
    var text: String { stdout }

    /// The `--format json` report printed on stdout.
    func report() throws -> DiagnosticReport { try DiagnosticReport.decode(json: Data(stdout.utf8)) }

    public var description: String { "exit \(status); stderr:\n\(stderr)" }
}

/// `emdiag serve` running as a child, and the kubeconfig it wrote.
struct Served: Sendable {
    var kubeconfig: String
    var child: TestChildProcess
}

/// One test's throwaway world: HOME (fingerprint key), TMPDIR (emdiag's staging) and an output folder.
/// Every emdiag it runs is the built `.build/debug/emdiag`.
struct Sandbox: Sendable {
    let folder: TemporaryFolder
    var home: URL { folder.url.appendingPathComponent("home") }
    var tmp: URL { folder.url.appendingPathComponent("tmp") }
    var out: URL { folder.url.appendingPathComponent("out") }

    /// The built `.build/debug/emdiag`.
    let emdiag: String

    init() throws {
        emdiag = try EndToEnd.binary()
        folder = try TemporaryFolder("emdiag-e2e")
        for sub in [home, tmp, out] {
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        }
    }

    /// Runs `body` in a fresh sandbox and removes it afterwards.
    static func with<T>(_ body: (Sandbox) async throws -> T) async throws -> T {
        let sandbox = try Sandbox()
        defer { sandbox.folder.remove() }
        return try await body(sandbox)
    }

    /// A path in the output folder.
    func output(_ name: String = "bundle.tar.gz") -> String { out.appendingPathComponent(name).path }

    /// Writes a file in the sandbox and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try folder.write(name, text) }

    /// The test runner's environment without anything that would steer emdiag (KUBECONFIG, NO_COLOR, proxies),
    /// with the sandbox's HOME and TMPDIR, plus `extra`.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !["KUBECONFIG", "NO_COLOR", "KUBERNETES_SERVICE_HOST"].contains(key) && !key.lowercased().hasSuffix("_proxy")
        }
        environment["HOME"] = home.path
        environment["TMPDIR"] = tmp.path
        return environment.merging(extra) { $1 }
    }

    func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> TestChildProcess {
        try TestChildProcess.launch(emdiag, arguments, environment: environment(extra))
    }

    func emdiag(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> Outcome {
        try await start(arguments, environment: extra).wait()
    }

    /// `emdiag collect` against `served` into `out/<name>`, JSON report on stdout.
    func collect(_ served: Served, to name: String = "bundle.tar.gz", _ extra: [String] = []) async throws -> Outcome {
        try await emdiag(["collect", "--kubeconfig", served.kubeconfig, "-n", "em", "-o", output(name), "--format", "json"] + extra)
    }

    /// Starts `emdiag serve BUNDLE` (with `--faults FILE` when given; `--verbose` logs each answered request
    /// on its stderr), waits for its kubeconfig, runs `body`, then stops the server with SIGTERM (it must exit 0).
    func withServe<T>(
        _ bundle: String, faults: String? = nil, verbose: Bool = false, _ body: (Served) async throws -> T
    ) async throws -> T {
        let kubeconfig = folder.url.appendingPathComponent("serve-\(UUID().uuidString).kubeconfig").path
        var arguments = ["serve", bundle, "--port", "0", "--kubeconfig-out", kubeconfig]
        if let faults { arguments += ["--faults", faults] }
        if verbose { arguments.append("--verbose") }
        let child = try start(arguments)
        let served = Served(kubeconfig: kubeconfig, child: child)
        do {
            while !FileManager.default.fileExists(atPath: kubeconfig) {
                guard child.isRunning else {
                    throw TestSupportError("emdiag serve \(bundle) exited early: \(child.stderrSoFar())")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            let result = try await body(served)
            let stopped = try await child.stop()
            #expect(stopped.status == 0, "emdiag serve did not stop cleanly: \(stopped)")
            return result
        } catch {
            _ = try? await child.stop()
            throw error
        }
    }

    /// Opens a bundle (.tar.gz or folder) on a thread of its own, runs `body` on it, and removes the extraction.
    func open<T: Sendable>(_ bundle: String, _ body: @escaping @Sendable (BundleDirectory) throws -> T) async throws -> T {
        let root = tmp.deletingLastPathComponent().appendingPathComponent("opened")
        return try await BlockingThread.run("e2e-open") {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            let opened = try BundleOpener.open(path: bundle, temporaryRoot: root)
            defer { opened.close() }
            return try body(opened.directory)
        }
    }

    /// The manifest of a written bundle.
    func manifest(_ bundle: String) async throws -> Manifest {
        try await open(bundle) { directory in
            guard let manifest = try directory.manifest() else { throw TestSupportError("\(bundle) has no manifest.json") }
            return manifest
        }
    }

    /// Names in a folder (hidden ones too), sorted.
    func entries(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }
}

/// Runs `body` against a `TestHTTPServer` answering with `handler`, and shuts it down afterwards.
func withHTTPServer<T>(
    _ handler: @escaping @Sendable (TestRequest) async -> TestResponse, _ body: (TestHTTPServer) async throws -> T
) async throws -> T {
    let server = try await TestHTTPServer.start(handler: handler)
    do {
        let result = try await body(server)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}

extension Array where Element == Finding {
    /// As the golden files hold them, durations masked.
    var golden: [GoldenFinding] { map { GoldenFinding($0).live } }
}

extension DiagnosticReport {
    /// The collection issues about `item`s containing `text`.
    func issues(_ text: String) -> [Manifest.CollectionIssue] { collection.filter { $0.item.contains(text) } }
}

extension Manifest {
    func issues(_ text: String) -> [Manifest.CollectionIssue] { collection.filter { $0.item.contains(text) } }
}
