import EMDiagCore
import EMDiagServe
import Foundation
import Testing

/// The real kubectl against `emdiag serve`'s server on the committed `Fixtures/` scenarios.
@Suite(.serialized, .enabled(if: ServeTestSupport.hasKubectl, "kubectl is not installed at /usr/bin/kubectl"))
struct FixtureKubectlTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let utilsPod = "em-runtime-utils-9f674847th-cp7ks"

    private func kubectl(_ scenario: String, _ arguments: String...) async throws -> ProcessResult {
        let bundle = Self.fixtures.appendingPathComponent(scenario)
        try #require(FileManager.default.fileExists(atPath: bundle.appendingPathComponent("manifest.json").path))
        return try await ServeTestSupport.withServer(bundle: bundle) { _, kubeconfig in
            try await ServeTestSupport.kubectl(arguments, kubeconfig: kubeconfig)
        }
    }

    /// STATUS by pod name from `kubectl get pods`.
    private func statuses(_ scenario: String) async throws -> [String: String] {
        let result = try await kubectl(scenario, "get", "pods")
        #expect(result.status == 0, "\(result.stderr)")
        var out: [String: String] = [:]
        for line in result.text.split(separator: "\n").dropFirst() {
            let cells = line.split(separator: " ").map(String.init)
            if cells.count >= 3 { out[cells[0]] = cells[2] }
        }
        return out
    }

    @Test(.timeLimit(.minutes(1)), arguments: [
        ("crash-loop", utilsPod, "CrashLoopBackOff"),
        ("pod-unschedulable", "em-runtime-governance-qwcf9lg7zf-dcmmv", "Init:0/3"),
        ("pod-unschedulable", "em-runtime-postgresql-0", "Pending"),
        ("keycloak-db-auth", "em-runtime-assets-vkpdrchw2s-sbctt", "Init:2/3"),
        ("secret-missing", "em-runtime-governance-qwcf9lg7zf-dcmmv", "CreateContainerConfigError"),
        ("image-pull-failed", "em-runtime-governance-kfqmzvmljg-v6tbj", "ImagePullBackOff"),
    ])
    func getPodsStatus(scenario: String, pod: String, status: String) async throws {
        #expect(try await statuses(scenario)[pod] == status)
    }

    @Test(.timeLimit(.minutes(1))) func databasePodByLabel() async throws {
        let result = try await kubectl("healthy", "get", "pods", "-l", "app.kubernetes.io/component=database", "-o", "name")
        #expect(result.text == "pod/em-runtime-postgresql-0\n")
    }

    @Test(.timeLimit(.minutes(1))) func previousLogMatchesTheStoredFile() async throws {
        let stored = try Data(contentsOf: Self.fixtures.appendingPathComponent(
            "crash-loop/" + BundleLayout.logPath(namespace: "em", pod: Self.utilsPod, container: "app", previous: true)))
        let stamped = try await kubectl("crash-loop", "logs", Self.utilsPod, "-c", "app", "--previous", "--timestamps")
        #expect(stamped.status == 0, "\(stamped.stderr)")
        #expect(stamped.stdout == stored)
        // Without --timestamps each line loses its leading RFC 3339 time, as from a live cluster.
        let plain = try await kubectl("crash-loop", "logs", Self.utilsPod, "-c", "app", "--previous")
        let expected = String(decoding: stored, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in line.firstIndex(of: " ").map { String(line[line.index(after: $0)...]) } ?? String(line) }
            .joined(separator: "\n")
        #expect(plain.text == expected)
    }

    @Test(.timeLimit(.minutes(1))) func secretBaseURL() async throws {
        let result = try await kubectl("healthy", "get", "secret", "em-runtime-secrets", "-o", "jsonpath={.data.base-url}")
        let secrets = try BundleDirectory(root: Self.fixtures.appendingPathComponent("healthy")).items(.secrets, namespace: "em")
        let stored = secrets.first { $0[path: "metadata.name"]?.string == "em-runtime-secrets" }?[path: "data.base-url"]?.string
        #expect(result.text == stored)
        #expect(!result.text.isEmpty)
    }

    @Test(.timeLimit(.minutes(1))) func eventsApplicationsAndDescribe() async throws {
        let events = try await kubectl("crash-loop", "get", "events")
        #expect(events.text.contains("BackOff"))
        let apps = try await kubectl("argocd-out-of-sync", "get", "applications.argoproj.io", "-A", "-o", "jsonpath={.items[0].status.sync.status}")
        #expect(apps.text == "OutOfSync")
        let describe = try await kubectl("crash-loop", "describe", "pod", Self.utilsPod)
        #expect(describe.status == 0, "\(describe.stderr)")
        #expect(describe.text.contains("CrashLoopBackOff"))
        #expect(describe.text.contains("Events:"))
    }

    /// `kubectl get` prints the columns a real API server sends for the workloads, services, claims and Argo CD.
    @Test(.timeLimit(.minutes(1))) func workloadServiceClaimAndApplicationColumns() async throws {
        let result = try await kubectl("crash-loop", "get", "deployments,statefulsets,services,pvc", "-n", "em")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.text.split(separator: "\n").map(String.init)
        for header in ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "TYPE", "CLUSTER-IP", "PORT(S)", "ACCESS MODES", "STORAGECLASS"] {
            #expect(lines.contains { $0.hasPrefix("NAME ") && $0.contains(header) }, "no \(header) header in\n\(result.text)")
        }
        #expect(lines.contains { $0.hasPrefix("statefulset.apps/em-runtime-postgresql ") && $0.contains(" 1/1 ") }, "\(result.text)")
        #expect(lines.contains { $0.hasPrefix("persistentvolumeclaim/") && $0.contains(" Bound ") && $0.contains(" RWO ") }, "\(result.text)")
        let apps = try await kubectl("argocd-out-of-sync", "get", "applications.argoproj.io", "-n", "argocd")
        let header = apps.text.split(separator: "\n").first.map(String.init) ?? ""
        #expect(header.contains("SYNC STATUS") && header.contains("HEALTH STATUS"), "\(apps.text)")
        #expect(apps.text.contains("OutOfSync"))
    }
}
