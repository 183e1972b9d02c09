import ArgumentParser
import EMDiagCore
import EMDiagSystem
import Foundation

/// `emdiag collect`: read the cluster, match the playbooks, print the report, write the redacted bundle.
struct CollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Collect from the cluster, diagnose, print the report and write a redacted .tar.gz bundle.",
        discussion: """
            Connects like kubectl (--kubeconfig, KUBECONFIG, ~/.kube/config, or the pod's service account), gathers \
            what the playbooks ask for (plus the previous logs of every restarted container and the logs of \
            init containers that are not done), matches the failure signatures and ranks the root cause first.

            Exit codes: 0 no finding at or above --fail-on; 1 such a finding; 2 bad usage or input; \
            3 nothing could be collected (no bundle written); 4 the bundle was written but --upload failed; \
            130 interrupted (nothing left at the output path).
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The Helm release name.")
    var release = "em-runtime"

    @Option(name: .shortAndLong, help: "The bundle to write (default ./emdiag-<namespace>-<UTC time>.tar.gz).")
    var output: String?

    @OptionGroup var report: ReportOptions
    @OptionGroup var playbooks: PlaybookOptions

    @Option(help: "Only log lines newer than this (e.g. 2h, 30m).")
    var since: String?

    @Option(name: .customLong("max-log-bytes"), help: "Keep at most BYTES of each log (e.g. 10MiB): its first tenth and its newest bytes.")
    var maxLogBytes = "10MiB"

    @Option(help: "Requests in flight at once.")
    var concurrency = 8

    @Option(help: "Overall time budget (e.g. 2m); the bundle is still written with what was gathered, marked partial.")
    var timeout: String?

    @Option(help: "PUT the finished bundle to this URL (e.g. a pre-signed object-store URL).")
    var upload: String?

    @Flag(name: .customLong("no-redact"), help: "Store values in clear (loud, and recorded in the bundle). Never for bundles that leave your hands.")
    var noRedact = false

    @Flag(name: .customLong("no-http-checks"), help: "Skip the playbooks' HTTP checks (the health endpoint).")
    var noHTTPChecks = false

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard concurrency >= 1 && concurrency <= 64 else { throw ValidationError("--concurrency \(concurrency) must be 1 to 64.") }
        if let output, output.hasSuffix("/") { throw ValidationError("--output \(output) names a folder; give a file name ending in .tar.gz.") }
    }

    func run() async throws {
        let start = ContinuousClock.now
        let sinceValue: Duration?
        let timeoutValue: Duration?
        let maxBytes: Int64
        do {
            sinceValue = try since.map { try CommandValues.duration($0, flag: "--since") }
            timeoutValue = try timeout.map { try CommandValues.duration($0, flag: "--timeout") }
            maxBytes = try CommandValues.byteCount(maxLogBytes, flag: "--max-log-bytes")
        } catch {
            throw ValidationError("\(error)")
        }
        let catalog = try playbooks.load()
        let (connection, endpoint) = try self.connection.resolve(concurrency: concurrency)
        for warning in endpoint.warnings where !outputOptions.quiet { printError("emdiag: warning: \(warning)") }
        if noRedact {
            printError("emdiag: WARNING: --no-redact: secrets are stored in clear in this bundle; the manifest records it. Do not send it outside your organisation.")
        }
        let now = Date()
        let outputPath = output ?? CommandValues.defaultBundleName(namespace: endpoint.namespace, at: now)
        let logger = outputOptions.logger("emdiag.collect")
        let client = KubeClient(
            endpoint: endpoint, concurrency: connection.concurrency, requestTimeout: connection.requestTimeout,
            transportFactory: { try CurlTransport(configuration: $0) }, logger: logger,
            interactiveExec: isatty(STDIN_FILENO) == 1)
        let checks = noHTTPChecks ? nil : try? CurlTransport(configuration: HTTPClientConfiguration(connectTimeout: .seconds(5), requestTimeout: .seconds(10)))
        let services = CollectServices(
            client: client, checkTransport: checks, progress: outputOptions.progress(), logger: logger,
            consequence: { AccessCheck.consequence(of: $0, catalog: catalog, namespace: endpoint.namespace) })
        let pipeline = CollectPipeline(
            services: services, archiver: TarGzArchiver(modificationTime: Int(now.timeIntervalSince1970)))
        let request = CollectRequest(
            options: CollectOptions(
                namespace: endpoint.namespace, release: release, since: sinceValue, maxLogBytes: maxBytes,
                deadline: timeoutValue.map { start + $0 }, httpChecks: !noHTTPChecks),
            output: outputPath, catalog: catalog, redact: !noRedact, fingerprintKeyPath: Self.fingerprintKeyPath(), now: { now })

        let result: DiagnosticReport?
        do {
            result = try await cancellableBySignals { try await pipeline.run(request) }
        } catch let error as CollectError {
            switch error {
            case .interrupted: result = nil
            case .bundle:
                printError("emdiag: \(error)")
                throw ExitCode(ExitStatus.badInput)
            default:
                printError("emdiag: \(error)")
                throw ExitCode(ExitStatus.nothingCollected)
            }
        } catch let error as RedactionError {
            printError("emdiag: \(error)")
            throw ExitCode(ExitStatus.badInput)
        }
        guard let diagnostic = result else {
            try? FileManager.default.removeItem(atPath: outputPath)
            printError("emdiag: interrupted; no bundle was written.")
            throw ExitCode(ExitStatus.interrupted)
        }
        var status = try report.emit(diagnostic)
        if !outputOptions.quiet {
            let partial = diagnostic.partial ? " (partial: the --timeout budget ran out)" : ""
            printError("emdiag: bundle written to \(outputPath)\(partial)")
        }
        if let upload {
            do {
                try await BundleUpload(transport: try CurlTransport(configuration: HTTPClientConfiguration()))
                    .upload(file: outputPath, to: upload)
                if !outputOptions.quiet { printError("emdiag: bundle uploaded to \(UploadError.display(upload))") }
            } catch {
                printError("emdiag: \(error)")
                status = ExitStatus.uploadFailed
            }
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// `~/.config/emdiag/fingerprint.key`: makes Secret fingerprints comparable across this machine's bundles.
    static func fingerprintKeyPath() -> String? {
        guard let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty else { return nil }
        return "\(home)/.config/emdiag/fingerprint.key"
    }
}
