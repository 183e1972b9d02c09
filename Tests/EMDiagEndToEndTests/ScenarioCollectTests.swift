import EMDiagCore
import EMDiagTestSupport
import Foundation
import Testing

/// Every `Fixtures/` scenario collected live through `emdiag serve` and real libcurl: the findings match the
/// golden file, the bundle verifies, and `emdiag analyze` of the bundle gives the same findings.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ScenarioCollectTests {
    @Test(arguments: Repository.scenarios)
    func collectMatchesTheGoldenFindings(_ scenario: String) async throws {
        let expected = try Repository.expectedLiveFindings(scenario)
        try await Sandbox.with { sandbox in
            let bundle = sandbox.output()
            let collected = try await sandbox.withServe(Repository.scenario(scenario)) { served in
                try await sandbox.collect(served, ["-q"])
            }
            let report = try collected.report()
            #expect(collected.status == (expected.contains { $0.severity == .critical } ? 1 : 0), "\(collected)")
            #expect(collected.stderr.isEmpty, "-q: \(collected.stderr)")
            let actual = report.findings.golden
            #expect(actual.map(\.key) == expected.map(\.key), "ids and order")
            #expect(actual == expected, "Fixtures/\(scenario)/expected/findings.json: \(firstDifference(actual, expected))")
            #expect(report.bundle == bundle)
            #expect(!report.partial)
            // Everything was collected but the health check, which cannot run from here (see expectedLiveFindings).
            #expect(report.collection.map(\.item) == ["HTTP check governance-health"], "\(report.collection)")
            #expect(report.collection.allSatisfy { $0.status == .skipped })

            let verified = try await sandbox.emdiag(["bundle", "verify", bundle])
            #expect(verified.status == 0, "\(verified.text)")
            #expect(verified.text.contains("files match the manifest"))

            let analyzed = try await sandbox.emdiag(["analyze", bundle, "--format", "json"])
            #expect(analyzed.status == collected.status, "\(analyzed)")
            #expect(try analyzed.report().findings == report.findings, "analyze of the bundle gives what collect gave")
            if scenario == "healthy" {
                #expect(!report.findings.contains { $0.severity == .critical })
            }
        }
    }

    /// With HTTP checks on (the default), the check of `{base-url}/api/governance/health` cannot resolve
    /// `em.example.test` from here: it is stored as not reachable, listed as skipped, and raises no finding.
    @Test func unresolvableHealthCheckIsSkippedNotFailed() async throws {
        try await Sandbox.with { sandbox in
            let collected = try await sandbox.withServe(Repository.scenario("health-endpoint-failed")) { served in
                try await sandbox.collect(served)
            }
            #expect(collected.status == 0, "\(collected)")
            let report = try collected.report()
            #expect(report.findings.isEmpty, "\(report.findings.map(\.key))")
            let skipped = report.issues("HTTP check governance-health")
            #expect(skipped.map(\.status) == [.skipped], "\(report.collection)")
            #expect(skipped.first?.reason.contains("em.example.test") == true)
            let check = try await sandbox.open(sandbox.output()) { try $0.json(BundleLayout.httpCheckPath(name: "governance-health")) }
            #expect(check["reachable"]?.bool == false)
            #expect(check["ok"]?.bool == false)
            #expect(check["status"] == .null)
            #expect(try await sandbox.manifest(sandbox.output()).issues("HTTP check") == skipped)
        }
    }
}
