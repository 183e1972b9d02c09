import EMDiagCore
import EMDiagServe
import EMDiagTestSupport
import Foundation
import Testing

/// The real kubectl (v1.32, the gcloud dispatcher at /usr/bin/kubectl) against a live `APIServer` over a bundle.
@Suite(.serialized, .enabled(if: ServeTestSupport.hasKubectl, "kubectl is not installed at /usr/bin/kubectl"))
struct KubectlReplayTests {
    private func kubectl(_ arguments: String...) async throws -> ProcessResult {
        try await ServeTestSupport.withServer { _, kubeconfig in
            try await ServeTestSupport.kubectl(arguments, kubeconfig: kubeconfig)
        }
    }

    @Test(.timeLimit(.minutes(1))) func getPodsPrintsTheServerTable() async throws {
        let result = try await kubectl("get", "pods")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.text.split(separator: "\n").map(String.init)
        let header = lines.first?.split(separator: " ").map(String.init)
        #expect(header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"])
        let row = { (pod: String) in lines.first { $0.hasPrefix(pod + " ") }?.split(separator: " ").map(String.init) ?? [] }
        #expect(row(ReplayTestBundle.crashLoopPod).prefix(3) == ["\(ReplayTestBundle.crashLoopPod)", "0/1", "CrashLoopBackOff"])
        #expect(row(ReplayTestBundle.initPod).prefix(3) == ["\(ReplayTestBundle.initPod)", "0/1", "Init:0/3"])
        #expect(row(ReplayTestBundle.initCrashPod).dropFirst(2).first == "Init:CrashLoopBackOff")
        #expect(lines.count == 9)
    }

    @Test(.timeLimit(.minutes(1))) func labelSelectorWithOutputName() async throws {
        let result = try await kubectl("get", "pods", "-l", "app.kubernetes.io/component=database", "-o", "name")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.text == "pod/\(ReplayTestBundle.databasePod)\n")
    }

    @Test(.timeLimit(.minutes(1))) func outputJSONHoldsTheStoredPods() async throws {
        let result = try await kubectl("get", "pods", "-o", "json")
        #expect(result.status == 0, "\(result.stderr)")
        let list = try JSONValue.parse(result.stdout)
        #expect(list["kind"]?.string == "List")
        let names = list["items"]?.array.compactMap { $0[path: "metadata.name"]?.string } ?? []
        #expect(names.count == 8)
        #expect(names.contains(ReplayTestBundle.crashLoopPod))
        let crash = list["items"]?.array.first { $0[path: "metadata.name"]?.string == ReplayTestBundle.crashLoopPod }
        #expect(crash?[path: "status.containerStatuses"]?[0]?["restartCount"]?.int == 5)
    }

    @Test(.timeLimit(.minutes(1))) func previousLogIsByteIdentical() async throws {
        let result = try await kubectl("logs", ReplayTestBundle.crashLoopPod, "-c", "governance", "--previous")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == Data(ReplayTestBundle.previousLog.utf8))
    }

    @Test(.timeLimit(.minutes(1))) func currentLogHasItsStoredTimestampsOnlyWhenAsked() async throws {
        let plain = try await kubectl("logs", ReplayTestBundle.crashLoopPod)
        #expect(plain.text == ReplayTestBundle.currentLogPlain)
        let stamped = try await kubectl("logs", ReplayTestBundle.crashLoopPod, "--timestamps", "--tail=1")
        #expect(stamped.text == "2025-03-01T11:59:59.500000000Z exiting with code 1\n")
    }

    @Test(.timeLimit(.minutes(1))) func secretJSONPathPrintsTheStoredBase64() async throws {
        let result = try await kubectl("get", "secret", "em-runtime-secrets", "-o", "jsonpath={.data.base-url}")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.text == Data(ReplayTestBundle.baseURL.utf8).base64EncodedString())
    }

    @Test(.timeLimit(.minutes(1))) func getEventsShowsTheEventTable() async throws {
        let result = try await kubectl("get", "events")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.text.split(separator: "\n").map(String.init)
        #expect(lines.first?.split(separator: " ").map(String.init) == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"])
        #expect(lines.contains { $0.contains("BackOff") && $0.contains("pod/\(ReplayTestBundle.crashLoopPod)") })
    }

    @Test(.timeLimit(.minutes(1))) func argoApplicationsAcrossNamespaces() async throws {
        let result = try await kubectl("get", "applications.argoproj.io", "-A")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.first == ["NAMESPACE", "NAME", "SYNC", "STATUS", "HEALTH", "STATUS"])
        #expect(lines.dropFirst().first == ["argocd", "em-runtime", "Synced", "Degraded"])
    }

    @Test(.timeLimit(.minutes(1))) func describePodShowsStateAndEvents() async throws {
        let result = try await kubectl("describe", "pod", ReplayTestBundle.crashLoopPod)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.text.contains("Name:"))
        #expect(result.text.contains(ReplayTestBundle.crashLoopPod))
        #expect(result.text.contains("CrashLoopBackOff"))
        #expect(result.text.contains("Restart Count:  5"))
        #expect(result.text.contains("Back-off restarting failed container governance"))
    }

    @Test(.timeLimit(.minutes(1))) func deleteIsRefused() async throws {
        let result = try await kubectl("delete", "pod", "x")
        #expect(result.status != 0)
        #expect(result.stderr.contains("MethodNotAllowed"), "\(result.stderr)")
    }

    @Test(.timeLimit(.minutes(1))) func missingObjectIsNotFound() async throws {
        let result = try await kubectl("get", "secret", "nope")
        #expect(result.status != 0)
        #expect(result.stderr.contains(#"secrets "nope" not found"#), "\(result.stderr)")
    }

    @Test(.timeLimit(.minutes(1))) func tlsWithTheCertificateAsCA() async throws {
        let folder = try ServeTestSupport.temporaryFolder("tls")
        let cert = folder.appendingPathComponent("tls.crt").path
        let key = folder.appendingPathComponent("tls.key").path
        let openssl = try await ServeTestSupport.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert,
        ])
        try #require(openssl.status == 0, "openssl: \(openssl.stderr)")
        let result = try await ServeTestSupport.withServer(tls: (cert, key)) { server, kubeconfig in
            #expect(server.url.hasPrefix("https://127.0.0.1:"))
            return try await ServeTestSupport.kubectl(["get", "pods", "-o", "name"], kubeconfig: kubeconfig)
        }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.text.split(separator: "\n").count == 8)
    }
}
