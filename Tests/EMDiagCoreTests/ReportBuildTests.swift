import Foundation
import Testing

@testable import EMDiagCore

/// `DiagnosticReport.build`: pods, timelines and collection problems derived from a bundle.
struct ReportBuildTests {
    typealias F = ReportFixtures

    @Test func buildsPodsTargetAndCollectionFromTheBundle() throws {
        let report = try F.report()
        #expect(report.schemaVersion == 1)
        #expect(
            report.target
                == .init(server: "https://127.0.0.1:6443", context: "kind-em", namespace: "em", release: "em-runtime")
        )
        #expect(report.collectedAt == F.clock)
        #expect(report.bundle == "emdiag-em.tar.gz")
        #expect(report.partial)
        #expect(report.redaction == .init(enabled: true, hiddenValues: 7))
        #expect(report.collection.map(\.status) == [.forbidden, .timeout])
        #expect(report.findings.map(\.id) == ["migration-conflict", "crashloop"])
        #expect(report.pods.map(\.name) == ["assets-7d9f", "governance-0", "keycloak-0", "postgres-0", "utils-5c4b"])
        let byName = Dictionary(uniqueKeysWithValues: report.pods.map { ($0.name, $0) })
        #expect(byName["governance-0"]?.status == "Init:0/3")
        #expect(byName["governance-0"]?.component == "governance")
        #expect(byName["governance-0"]?.containers.map(\.kind) == [.`init`, .`init`, .`init`, .app])
        #expect(byName["assets-7d9f"]?.status == "CrashLoopBackOff")
        #expect(byName["assets-7d9f"]?.containers.first?.lastTermination?.exitCode == 1)
        #expect(byName["keycloak-0"]?.status == "CreateContainerConfigError")
        #expect(byName["keycloak-0"]?.containers.first?.message == "secret \"em-runtime-secrets\" not found")
        #expect(byName["utils-5c4b"]?.component == "utils")
        #expect(byName["postgres-0"]?.healthy == true)
        #expect(byName["assets-7d9f"]?.healthy == false)
    }

    @Test func timelineIsInTimeOrderWithTerminationsAndWarnings() throws {
        let report = try F.report()
        let assets = try #require(report.timeline.first { $0.pod == "assets-7d9f" })
        // The warning is placed where it began (09:45), before the last run (09:55) it outlasted.
        #expect(assets.events.map(\.kind) == [.warning, .started, .terminated])
        #expect(assets.events[2].label == "Error exit 1")
        #expect(assets.events[0].label == "BackOff x12")
        #expect(assets.events[0].container == "app")
        #expect(assets.events[0].time == KubeTime.parse("2024-05-01T09:45:00Z"))
        #expect(assets.events[0].lastSeen == KubeTime.parse("2024-05-01T09:59:00Z"))
        let utils = try #require(report.timeline.first { $0.pod == "utils-5c4b" })
        #expect(utils.events.map(\.label) == ["started", "OOMKilled", "started"])
        for row in report.timeline {
            #expect(row.events.map(\.time) == row.events.map(\.time).sorted())
        }
        // Normal events are not on the timeline; postgres has only its start.
        #expect(report.timeline.first { $0.pod == "postgres-0" }?.events.map(\.kind) == [.started])
    }

    @Test func withoutManifestUsesTheInjectedClockAndStoredNamespace() throws {
        let bundle = try F.writeBundle(manifest: false)
        defer { try? FileManager.default.removeItem(at: bundle.root) }
        let report = try DiagnosticReport.build(
            bundle: bundle,
            findings: [],
            manifest: nil,
            bundlePath: nil,
            now: F.clock
        )
        #expect(report.collectedAt == F.clock)
        #expect(report.target.namespace == "em")
        #expect(report.bundle == nil)
        #expect(!report.partial)
        #expect(report.collection.isEmpty)
        #expect(report.redaction == .init(enabled: false, hiddenValues: 0))
        #expect(report.pods.count == 5)
    }

    @Test func invalidPodsFileIsABundleError() throws {
        let bundle = try F.writeBundle(manifest: false)
        defer { try? FileManager.default.removeItem(at: bundle.root) }
        try Data("{not json".utf8).write(to: bundle.url(BundleLayout.listPath(.pods, namespace: "em")))
        #expect(throws: BundleError.self) {
            try DiagnosticReport.build(bundle: bundle, findings: [], manifest: nil, bundlePath: nil, now: F.clock)
        }
    }

    @Test func jsonRoundTripsWithNullBundle() throws {
        var report = try F.report()
        report.bundle = nil
        let json = report.jsonString()
        #expect(json.contains("\"bundle\" : null"))
        #expect(json.contains("\"collectedAt\" : \"2024-05-01T10:00:00Z\""))
        #expect(try DiagnosticReport.decode(json: Data(json.utf8)) == report)
    }

    @Test(
        arguments: [
            ("txt", ReportFormat.text), (".md", .markdown), ("MARKDOWN", .markdown), ("json", .json), (".html", .html),
            ("htm", .html),
        ] as [(String, ReportFormat)]
    )
    func formatFromExtension(ext: String, format: ReportFormat) {
        #expect(ReportFormat(fileExtension: ext) == format)
    }

    @Test func unknownExtensionsAndPaths() {
        #expect(ReportFormat(fileExtension: "pdf") == nil)
        #expect(ReportFormat(fileExtension: "") == nil)
        #expect(ReportFormat(path: "/tmp/out/report.MD") == .markdown)
        #expect(ReportFormat(path: "/tmp/report") == nil)
        #expect(ReportFormat.allCases.map(\.fileExtension) == ["txt", "md", "json", "html"])
    }
}
