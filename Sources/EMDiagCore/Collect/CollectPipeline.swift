import Foundation
import Logging

/// Packs a finished staging folder into the bundle file, atomically (libarchive in EMDiagSystem).
package protocol BundleArchiver: Sendable {
    /// Writes `output` only when complete: nothing, or a partial file, is never left at that path.
    func pack(directory: URL, prefix: String, to output: String) async throws
}

/// The threshold of `--fail-on`: the run exits 1 when a finding is at or above it.
package enum FailOn: String, CaseIterable, Sendable {
    case critical, warning, info, never

    /// True when `findings` hold one at or above the threshold.
    package func isMet(by findings: [Finding]) -> Bool {
        let threshold: Severity
        switch self {
        case .never: return false
        case .critical: threshold = .critical
        case .warning: threshold = .warning
        case .info: threshold = .info
        }
        return findings.contains { $0.severity >= threshold }
    }
}

/// Everything one `collect` run needs besides the cluster client.
package struct CollectRequest: Sendable {
    package var options: CollectOptions
    package var output: String
    package var catalog: PlaybookCatalog
    package var redact: Bool
    /// Where the fingerprint key lives (so fingerprints compare across bundles); nil: a per-bundle key.
    package var fingerprintKeyPath: String?
    package var now: @Sendable () -> Date

    package init(
        options: CollectOptions, output: String, catalog: PlaybookCatalog, redact: Bool = true,
        fingerprintKeyPath: String? = nil, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.options = options
        self.output = output
        self.catalog = catalog
        self.redact = redact
        self.fingerprintKeyPath = fingerprintKeyPath
        self.now = now
    }
}

/// What collection talks to and reports through, shared by the pipeline and the collector it starts.
package struct CollectServices: Sendable {
    package var client: KubeClient
    /// Transport for the HTTP checks (the health endpoint), separate from the API server's TLS settings.
    package var checkTransport: (any HTTPTransport)?
    package var progress: any ProgressReporter
    package var logger: Logger
    /// What evidence a missing permission costs (for 403 issues), when known.
    package var consequence: @Sendable (GatherPlan.Permission) -> String?

    package init(
        client: KubeClient, checkTransport: (any HTTPTransport)?, progress: any ProgressReporter, logger: Logger,
        consequence: @escaping @Sendable (GatherPlan.Permission) -> String? = { _ in nil }
    ) {
        self.client = client
        self.checkTransport = checkTransport
        self.progress = progress
        self.logger = logger
        self.consequence = consequence
    }
}

/// `emdiag collect` from cluster to bundle: gather into a staging folder (redacted on the way in), analyze it,
/// write the reports, the redaction report and the manifest into it, then pack it atomically to the output path.
/// The staging folder is removed whatever happens.
package struct CollectPipeline: Sendable {
    package var services: CollectServices
    package var archiver: any BundleArchiver

    package init(services: CollectServices, archiver: any BundleArchiver) {
        self.services = services
        self.archiver = archiver
    }

    /// Runs the whole collection.
    /// - Returns: the report (its `bundle` is the output path).
    /// - Throws: `CollectError` (nothing collected, interrupted), `RedactionError` for a bad playbook pattern.
    package func run(_ request: CollectRequest) async throws -> DiagnosticReport {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("emdiag-collect-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let staging: BundleStaging
        do {
            staging = try BundleStaging(root: work.appendingPathComponent("bundle"))
        } catch let error as BundleError {
            throw CollectError.bundle(error)
        }
        let redactor = try makeRedactor(request)
        let collector = Collector(
            services: services, plan: request.catalog.gatherPlan, redactor: redactor, staging: staging)
        // The gathering runs in its own task so that the --timeout watchdog can stop it without stopping the
        // rest: the bundle is still analyzed and written, marked partial. SIGINT cancels everything.
        let options = request.options
        let gather = Task { try await collector.run(options) }
        let watchdog = options.deadline.map { deadline in
            Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                gather.cancel()
            }
        }
        defer { watchdog?.cancel() }
        let summary = try await withTaskCancellationHandler {
            try await gather.value
        } onCancel: {
            gather.cancel()
        }
        if Task.isCancelled { throw CollectError.interrupted }

        let createdAt = request.now()
        let endpoint = services.client.endpoint
        var manifest = Manifest(
            createdAt: createdAt,
            target: .init(
                server: endpoint.server, context: endpoint.contextName, cluster: endpoint.clusterName,
                namespace: request.options.namespace, release: request.options.release,
                serverVersion: summary.serverVersion),
            partial: summary.partial, redaction: redactor.manifestEntry,
            playbooks: try storePlaybooks(request.catalog, in: staging), collection: summary.issues)

        let findings = try await Analyzer(catalog: request.catalog, referenceTime: createdAt).analyze(staging.directory)
        do {
            try staging.write(BundleLayout.redactionReport, data: redactor.report().serialized())
        } catch let error as BundleError {
            throw CollectError.bundle(error)
        }
        let report = try DiagnosticReport.build(
            bundle: staging.directory, findings: findings, manifest: manifest, bundlePath: request.output, now: createdAt)
        do {
            for format in [ReportFormat.markdown, .json, .html] {
                let text = redactor.redact(text: format.render(report), file: BundleLayout.reportPath(format: format.fileExtension))
                try staging.write(BundleLayout.reportPath(format: format.fileExtension), data: Data(text.utf8))
            }
            manifest = try staging.writeManifest(manifest)
        } catch let error as BundleError {
            throw CollectError.bundle(error)
        }
        if Task.isCancelled { throw CollectError.interrupted }
        let prefix = URL(fileURLWithPath: request.output).lastPathComponent.replacingOccurrences(of: ".tar.gz", with: "")
        try await archiver.pack(directory: staging.root, prefix: prefix, to: request.output)
        if Task.isCancelled {
            try? FileManager.default.removeItem(atPath: request.output)
            throw CollectError.interrupted
        }
        return report
    }

    private func makeRedactor(_ request: CollectRequest) throws -> Redactor {
        let plan = request.catalog.gatherPlan
        let additions = request.catalog.redaction
        var nonSecret: [String: [String]] = [:]
        for secret in plan.secrets where !secret.nonSecretKeys.isEmpty {
            nonSecret[secret.name, default: []] += secret.nonSecretKeys
        }
        let policy = RedactionPolicy(
            enabled: request.redact, patterns: additions.patterns, keyNames: additions.keyNames,
            dropFiles: additions.dropFiles, nonSecretKeys: nonSecret)
        let fingerprintKey = request.fingerprintKeyPath.flatMap { try? Redactor.loadOrCreateKey(at: $0) }
        return try Redactor(policy: policy, fingerprintKey: fingerprintKey)
    }

    /// Stores the playbooks the bundle was collected with (`playbooks/built-in/…`, `playbooks/user/…`), so it
    /// can be re-analyzed with them later. Returns their names for the manifest.
    private func storePlaybooks(_ catalog: PlaybookCatalog, in staging: BundleStaging) throws -> [String] {
        var names: [String] = []
        let builtIn = Set(PlaybookCatalog.builtInSources.map(\.name))
        for source in PlaybookCatalog.builtInSources + catalog.userSources {
            let isBuiltIn = builtIn.contains(source.name)
            let file = URL(fileURLWithPath: source.name.replacingOccurrences(of: "built-in:", with: "")).lastPathComponent
            let path = "\(BundleLayout.playbooksDirectory)/\(isBuiltIn ? "built-in" : "user")/\(file)"
            guard !names.contains(path) else { continue }
            do {
                try staging.write(path, data: Data(source.text.utf8))
            } catch let error as BundleError {
                throw CollectError.bundle(error)
            }
            names.append(path)
        }
        return names
    }
}
