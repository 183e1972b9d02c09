import Foundation
import Testing

@testable import EMDiagCore

/// The `Fixtures/` scenarios, analysed once each with the built-in pack.
enum FixtureScenarios {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Scenario folders (those holding a cluster: `api/`).
    static let names: [String] = {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return all.filter { FileManager.default.fileExists(atPath: root.appendingPathComponent("\($0)/api").path) }.sorted()
    }()

    static let catalog: PlaybookCatalog? = try? PlaybookCatalog.load()

    static func bundle(_ name: String) -> BundleDirectory { BundleDirectory(root: root.appendingPathComponent(name)) }
}

/// Caches one analysis per scenario across the parameterized tests.
actor ScenarioAnalyses {
    static let shared = ScenarioAnalyses()
    private var running: [String: Task<Analyzer.Analysis, any Error>] = [:]

    func analysis(_ scenario: String) async throws -> Analyzer.Analysis {
        if let task = running[scenario] { return try await task.value }
        guard let catalog = FixtureScenarios.catalog else { throw PlaybookError(file: "built-in", line: 1, column: 1, kind: .unreadable, message: "the built-in pack does not load") }
        let task = Task { try await Analyzer(catalog: catalog).analysis(FixtureScenarios.bundle(scenario)) }
        running[scenario] = task
        return try await task.value
    }
}

/// One rule example: a scenario where the rule must fire (match) or stay quiet (not be reported).
struct RuleExample: Sendable, CustomTestStringConvertible {
    var rule: String
    var scenario: String
    var fires: Bool
    var testDescription: String { "\(rule) \(fires ? "fires in" : "is quiet in") \(scenario)" }

    static let all: [RuleExample] = (FixtureScenarios.catalog?.rules ?? []).flatMap { rule in
        rule.examples.fires.map { RuleExample(rule: rule.id, scenario: $0, fires: true) }
            + rule.examples.quiet.map { RuleExample(rule: rule.id, scenario: $0, fires: false) }
    }
}

/// The serialized form of the golden files `Fixtures/<scenario>/expected/findings.json`.
struct GoldenFinding: Codable, Equatable {
    struct Place: Codable, Equatable {
        var path: String
        var line: Int?
    }
    var id: String
    var severity: Severity
    var summary: String
    var resources: [String]
    var evidence: [Place]
    var explains: [String]
    var explainedBy: String?

    init(_ f: Finding) {
        id = f.id
        severity = f.severity
        summary = f.summary
        resources = f.resources.map(\.description)
        evidence = f.evidence.map { Place(path: $0.path, line: $0.line) }
        explains = f.explains
        explainedBy = f.explainedBy
    }
}

@Suite struct AnalyzeFixtureTests {
    @Test func everyRuleHasExamplesAndEveryExampleScenarioExists() throws {
        let catalog = try #require(FixtureScenarios.catalog)
        let result = PlaybookCatalog.lint(user: [], scenarios: Set(FixtureScenarios.names))
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description).joined(separator: "\n"))")
        #expect(RuleExample.all.count >= 2 * catalog.rules.count)
    }

    @Test(arguments: RuleExample.all)
    func ruleExample(_ example: RuleExample) async throws {
        try #require(FixtureScenarios.names.contains(example.scenario), "Fixtures/\(example.scenario) is missing")
        let analysis = try await ScenarioAnalyses.shared.analysis(example.scenario)
        if example.fires {
            #expect(analysis.matchedRules.contains(example.rule), "\(example.rule) did not match in \(example.scenario)")
        } else {
            let reported = analysis.findings.filter { $0.id == example.rule }.map(\.key)
            #expect(reported.isEmpty, "\(example.rule) is reported in \(example.scenario): \(reported)")
        }
    }

    @Test(arguments: FixtureScenarios.names)
    func goldenFindings(_ scenario: String) async throws {
        let findings = try await ScenarioAnalyses.shared.analysis(scenario).findings
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let actual = String(decoding: try encoder.encode(findings.map(GoldenFinding.init)), as: UTF8.self) + "\n"
        let url = FixtureScenarios.root.appendingPathComponent("\(scenario)/expected/findings.json")
        if ProcessInfo.processInfo.environment["EMDIAG_RECORD"] == "1" {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: url)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("Fixtures/\(scenario)/expected/findings.json is missing; record it with EMDIAG_RECORD=1")
            return
        }
        if expected != actual {
            Issue.record("findings of \(scenario) differ from the golden file (- golden, + now); re-record with EMDIAG_RECORD=1 if intended:\n\(Self.diff(expected, actual))")
        }
    }

    /// A line diff: `-` lines only in `old`, `+` lines only in `new`.
    static func diff(_ old: String, _ new: String) -> String {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false)
        let lines = b.difference(from: a).map { change -> (Int, String) in
            switch change {
            case .remove(let offset, let line, _): (offset, "-\(offset + 1): \(line)")
            case .insert(let offset, let line, _): (offset, "+\(offset + 1): \(line)")
            }
        }
        return lines.sorted { $0.0 < $1.0 }.map(\.1).joined(separator: "\n")
    }

    @Test func healthyInstallHasNoCriticalFinding() async throws {
        let findings = try await ScenarioAnalyses.shared.analysis("healthy").findings
        #expect(!findings.contains { $0.severity == .critical }, "\(findings.map(\.key))")
    }

    @Test func unschedulablePostgreSQLExplainsTheWaitsAndRefusals() async throws {
        let findings = try await ScenarioAnalyses.shared.analysis("pod-unschedulable").findings
        let root = try #require(findings.first)
        #expect(root.id == "pod-unschedulable")
        #expect(root.resources.first?.name == "em-runtime-postgresql-0")
        let waits = findings.filter { $0.id == "init-waiting" }
        let refusals = findings.filter { $0.id == "database-unreachable" }
        #expect(waits.count == 3)
        #expect(refusals.contains { $0.resources.first?.name == "keycloak-0" })
        for finding in waits + refusals {
            #expect(finding.explainedBy == root.key, "\(finding.key) is explained by \(finding.explainedBy ?? "nothing")")
            #expect(root.explains.contains(finding.key))
        }
        #expect(!findings.contains { $0.id == "crash-loop" }, "crash-loops caused by the refusals are not reported separately")
    }

    @Test func keycloakLoginFailureExplainsThePodsWaitingOnKeycloak() async throws {
        let analysis = try await ScenarioAnalyses.shared.analysis("keycloak-db-auth")
        let root = try #require(analysis.findings.first)
        #expect(root.id == "keycloak-db-auth")
        let waits = analysis.findings.filter { $0.id == "init-waiting" }
        #expect(waits.count == 3)
        #expect(waits.allSatisfy { $0.explainedBy == root.key && $0.resources.first?.container == "wait-for-keycloak" })
        #expect(analysis.matchedRules.contains("database-auth-failed"))
        #expect(!analysis.findings.contains { $0.id == "database-auth-failed" || $0.id == "crash-loop" })
    }

    @Test func aSpecificLogSignatureSuppressesTheCrashLoopOfTheSameContainer() async throws {
        let analysis = try await ScenarioAnalyses.shared.analysis("migration-conflict")
        let root = try #require(analysis.findings.first)
        #expect(root.id == "migration-conflict")
        #expect(root.summary.contains("Multiple head"))
        #expect(analysis.matchedRules.contains("crash-loop"))
        #expect(!analysis.findings.contains { $0.id == "crash-loop" })
        let evidence = try #require(root.evidence.first)
        #expect(evidence.path.hasSuffix(".log") && (evidence.line ?? 0) > 1)
    }

    @Test func capturesFillTheSummary() async throws {
        let missing = try await ScenarioAnalyses.shared.analysis("missing-database").findings
        #expect(missing.first?.summary.contains("database \"utils\"") == true, "\(missing.first?.summary ?? "")")
        let extensions = try await ScenarioAnalyses.shared.analysis("missing-extension").findings
        #expect(extensions.first?.summary.contains("\"vector\"") == true)
    }

    @Test func helmReleaseRecordIsDecodedFromItsGzipPayload() throws {
        let secrets = try FixtureScenarios.bundle("helm-release-failed").items(.secrets, namespace: "em")
        let records = secrets.compactMap { HelmReleaseRecord.decode(secret: $0, path: "secrets.json") }
        let latest = try #require(records.max { $0.revision < $1.revision })
        #expect(latest.status == "pending-upgrade")
        #expect(latest.chartVersion != nil, "chart version comes from the gzip JSON, not the labels")
    }
}
