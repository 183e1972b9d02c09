import Foundation
import Testing

@testable import EMDiagCore

/// Pod table and timeline of the fixture scenarios: the STATUS column each scenario's README row describes.
struct ReportFixtureTests {
    typealias F = ReportFixtures

    private func statuses(_ scenario: String) throws -> [String: String] {
        let report = try F.report(scenario: scenario)
        let short = report.pods.map { pod in
            // em-runtime-governance-qwcf9lg7zf-dcmmv -> governance; keycloak-0 -> keycloak-0
            let parts = pod.name.split(separator: "-")
            let name = pod.name.hasPrefix("em-runtime-") && parts.count > 2 ? String(parts[2]) : pod.name
            return (name, pod.status)
        }
        return Dictionary(short, uniquingKeysWith: { first, _ in first })
    }

    @Test(
        arguments: [
            ("init-waiting", "assets", "Init:1/3"),
            ("keycloak-db-auth", "governance", "Init:2/3"),
            ("keycloak-db-auth", "keycloak-0", "CrashLoopBackOff"),
            ("pod-unschedulable", "postgresql", "Pending"),
            ("pod-unschedulable", "utils", "Init:0/3"),
            ("pod-unschedulable", "openfga", "Init:CrashLoopBackOff"),
            ("secret-missing", "governance", "CreateContainerConfigError"),
            ("oom-killed", "assets", "CrashLoopBackOff"),
            ("migration-conflict", "governance", "CrashLoopBackOff"),
        ] as [(String, String, String)]
    )
    func scenarioPodStatus(scenario: String, pod: String, status: String) throws {
        let shown = try statuses(scenario)
        #expect(shown[pod] == status)
    }

    @Test func imagePullFailureShowsBothReplicaSetsPods() throws {
        let report = try F.report(scenario: "image-pull-failed")
        let governance = report.pods.filter { $0.name.hasPrefix("em-runtime-governance-") }.map(\.status).sorted()
        #expect(governance == ["ImagePullBackOff", "Running"])
    }

    @Test func healthyScenarioIsAllReady() throws {
        let report = try F.report(scenario: "healthy")
        #expect(!report.pods.isEmpty)
        let unhealthy = report.pods.filter { !$0.healthy }.map(\.name)
        #expect(unhealthy.isEmpty)
        let warnings = report.timeline.flatMap { row in row.events.filter { $0.kind == .warning } }
        #expect(warnings.isEmpty)
    }

    @Test func oomKilledTerminationIsOnTheTimeline() throws {
        let report = try F.report(scenario: "oom-killed")
        let assets = try #require(report.timeline.first { $0.pod.hasPrefix("em-runtime-assets-") })
        let kill = try #require(assets.events.first { $0.kind == .terminated && $0.container == "app" })
        #expect(kill.reason == "OOMKilled" && kill.exitCode == 137)
        #expect(ReportFormat.html.render(report).contains(">OOMKilled</text>"))
    }
}
