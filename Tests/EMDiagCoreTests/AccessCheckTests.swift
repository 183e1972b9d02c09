import EMDiagCore
import EMDiagTestSupport
import Foundation
import Synchronization
import Testing

@Suite struct AccessCheckTests {
    static func permission(
        _ verb: String, _ resource: String, group: String = "", namespace: String? = nil, name: String? = nil
    ) -> GatherPlan.Permission {
        GatherPlan.Permission(verb: verb, group: group, resource: resource, namespace: namespace, resourceName: name)
    }

    @Test func withoutTheRuntimeSecretTheBaseURLAndHealthChecksGoBlind() throws {
        let impact = AccessCheck.impact(of: [Self.permission("get", "secrets", name: "em-runtime-secrets")], catalog: try PlaybookCatalog.load())
        #expect(impact.absentEvidence.contains { $0.hasPrefix("Secret em-runtime-secrets") })
        #expect(impact.absentEvidence.contains { $0.hasPrefix("HTTP check governance-health") })
        #expect(!impact.absentEvidence.contains { $0.contains("infisical-bootstrap-secret") })
        #expect(impact.rulesThatCannotFire == ["base-url-mismatch", "health-endpoint-failed"])
        #expect(impact.rulesWithFewerSignals == ["base-url-invalid", "secret-missing"])
    }

    @Test func aRefusalInTheTargetNamespaceCoversThePlansTargetNamespaceSteps() throws {
        let catalog = try PlaybookCatalog.load()
        let helm = AccessCheck.impact(of: [Self.permission("list", "secrets", namespace: "em")], catalog: catalog)
        #expect(helm.rulesThatCannotFire == ["helm-release-failed"])
        let pods = AccessCheck.impact(of: [Self.permission("list", "pods")], catalog: catalog)
        #expect(pods.absentEvidence.contains { $0.hasPrefix("container logs") })
        #expect(pods.rulesThatCannotFire.contains("migration-conflict") && pods.rulesThatCannotFire.contains("crash-loop"))
        #expect(pods.rulesWithFewerSignals.contains("pod-unschedulable"))  // its event condition still works
        let logs = AccessCheck.impact(of: [Self.permission("get", "pods/log")], catalog: catalog)
        #expect(logs.rulesThatCannotFire.contains("migration-conflict") && !logs.rulesThatCannotFire.contains("crash-loop"))
    }

    @Test func losingOneOfSeveralRouteSourcesWeakensButDoesNotBlindTheBaseURLCheck() throws {
        let catalog = try PlaybookCatalog.load()
        let oneSource = AccessCheck.impact(
            of: [Self.permission("list", "gateways", group: "gateway.networking.k8s.io", namespace: "gateway")], catalog: catalog)
        #expect(oneSource.rulesThatCannotFire == [])
        #expect(oneSource.rulesWithFewerSignals == ["base-url-mismatch"])
        let targetOnly = AccessCheck.impact(
            of: [Self.permission("list", "gateways", group: "gateway.networking.k8s.io")], catalog: catalog, namespace: "em")
        #expect(targetOnly.absentEvidence == ["the gateways.gateway.networking.k8s.io list"])
        let anyNamespace = AccessCheck.impact(
            of: [Self.permission("list", "gateways", group: "gateway.networking.k8s.io")], catalog: catalog)
        #expect(anyNamespace.absentEvidence.count == 2)
        let routes = ["httproutes", "gateways"].map { Self.permission("list", $0, group: "gateway.networking.k8s.io") }
            + [Self.permission("list", "ingresses", group: "networking.k8s.io")]
        #expect(AccessCheck.impact(of: routes, catalog: catalog).rulesThatCannotFire == ["base-url-mismatch"])
    }

    @Test func theConsequenceComesFromTheLoadedPlaybooksNotATable() throws {
        let folder = try TemporaryFolder("access")
        defer { folder.remove() }
        let file = try folder.write("extra.yaml", """
            apiVersion: emdiag.io/v1
            kind: Playbook
            metadata: {name: extra}
            gather:
              - secret: {name: license, keys: [LICENSE_KEY]}
            rules:
              - id: license-malformed
                severity: warning
                title: The license key is malformed
                summary: '{problem}'
                remedy: Paste the key again.
                examples: {fires: [license-malformed], quiet: [healthy]}
                match:
                  - secret: {name: license, key: LICENSE_KEY, expect: hex}
            """)
        let catalog = try PlaybookCatalog.load(paths: [file])
        let needed = Self.permission("get", "secrets", name: "license")
        #expect(catalog.gatherPlan.permissions.contains(needed))
        let sentence = AccessCheck.consequence(of: needed, catalog: catalog)
        #expect(sentence == "Absent: Secret license (keys LICENSE_KEY). Rules that cannot fire: license-malformed.")
        #expect(AccessCheck.consequence(of: Self.permission("delete", "pods"), catalog: catalog)
            == "No evidence of the loaded playbooks depends on it.")
    }

    @Test func runAsksForEveryPermissionAndReportsTheDeniedOnes() async throws {
        let catalog = try PlaybookCatalog.load()
        let asked = AskedReviews()
        let report = try await AccessCheck.run(catalog: catalog, namespace: "em") { verb, type, namespace, subresource, name in
            asked.add("\(verb) \(type.resource)\(subresource.map { "/\($0)" } ?? "")\(name.map { ":\($0)" } ?? "") \(namespace ?? "-")")
            return KubeAccessReview(allowed: type != .secrets, denied: false, reason: type == .secrets ? "no RBAC rule" : nil)
        }
        #expect(asked.all.count == catalog.gatherPlan.permissions.count)
        #expect(asked.all.contains("get pods/log em"))
        #expect(asked.all.contains("get applications:em-runtime argocd"))
        #expect(asked.all.contains("list gateways gateway"))
        #expect(report.entries.filter { !$0.allowed }.map(\.checked) == [
            "list secrets in em", "get secrets/em-runtime-secrets in em", "get secrets/infisical-bootstrap-secret in em",
        ])
        #expect(report.combined.rulesThatCannotFire == ["base-url-mismatch", "health-endpoint-failed", "helm-release-failed"])
        let text = report.text(identity: "kubeconfig user \"tester\"")
        #expect(text.hasPrefix("kubeconfig user \"tester\" in namespace em: \(asked.all.count) permissions needed by the loaded playbooks, 3 missing.\n"))
        #expect(text.contains("MISSING get secrets/infisical-bootstrap-secret in em\n        server: no RBAC rule\n        Absent: Secret infisical-bootstrap-secret"))
        let json = try JSONValue.parse(Array(try report.json().utf8))
        #expect(json["missing"]?.int == 3)
        #expect(json["entries"]?.array.first?["permission"]?["verb"]?.string != nil)
    }
}

/// Requests a test reviewer saw, from concurrent callers.
final class AskedReviews: Sendable {
    private let seen = Mutex<[String]>([])
    func add(_ entry: String) { seen.withLock { $0.append(entry) } }
    var all: [String] { seen.withLock { $0 } }
}
