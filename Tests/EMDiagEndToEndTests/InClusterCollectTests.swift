import EMDiagCore
import EMDiagTestSupport
import Foundation
import Synchronization
import Testing

/// emdiag as the hook Job runs it: no kubeconfig, `KUBERNETES_SERVICE_HOST`/`PORT` pointing at `emdiag serve`
/// over TLS, a service-account folder (token, the test CA, namespace), and an upload to a local object store.
@Suite(.serialized) struct InClusterCollectTests {
    /// A fake object store: keeps the body of every PUT.
    final class ObjectStore: Sendable {
        private let objects = Mutex<[String: [UInt8]]>([:])
        func put(_ request: TestRequest) -> TestResponse {
            guard request.method == "PUT" else { return .text("only PUT", status: 405) }
            objects.withLock { $0[request.path] = request.body }
            return .text("", status: 200)
        }
        var all: [String: [UInt8]] { objects.withLock { $0 } }
    }

    /// What a test gets: the in-cluster environment for emdiag, the object store and its URL, a scratch folder.
    struct Cluster {
        var environment: [String: String]
        var store: ObjectStore
        var storeURL: String
        var folder: TemporaryFolder
    }

    /// `emdiag serve FIXTURE` over TLS, a service-account folder for it and an object store; stopped after `body`.
    static func withCluster(fixture: String, _ body: (Cluster) async throws -> Void) async throws {
        let folder = try TemporaryFolder("in-cluster")
        defer { folder.remove() }
        let pki = try TestCertificates.make(in: folder.url.appendingPathComponent("pki"))
        let serve = try TestChildProcess.launch(
            try EndToEnd.binary(),
            ["serve", EndToEnd.root.appendingPathComponent("Fixtures/\(fixture)").path, "--tls-cert", pki.server.certificatePath,
             "--tls-key", pki.server.keyPath, "--kubeconfig-out", "\(folder.path)/serve-kubeconfig"],
            environment: ["HOME": folder.path])
        let store = ObjectStore()
        let objectStore = try await TestHTTPServer.start { store.put($0) }
        do {
            let port = try await serve.awaitStdout { text -> String? in
                guard let range = text.range(of: "https://127.0.0.1:") else { return nil }
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                return digits.isEmpty ? nil : String(digits)
            }
            try folder.write("serviceaccount/token", "in-cluster-token\n")
            try folder.write("serviceaccount/ca.crt", String(decoding: pki.ca.certificatePEM, as: UTF8.self))
            try folder.write("serviceaccount/namespace", "em")
            try folder.write("home/.keep", "")
            let environment = [
                "HOME": "\(folder.path)/home", "PATH": "/usr/bin:/bin",
                "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": port,
                KubeInCluster.folderVariable: "\(folder.path)/serviceaccount",
            ]
            try await body(Cluster(environment: environment, store: store, storeURL: objectStore.baseURL, folder: folder))
        } catch {
            try await serve.stop()
            await objectStore.shutdown()
            throw error
        }
        try await serve.stop()
        await objectStore.shutdown()
    }

    @Test(.timeLimit(.minutes(3))) func collectsUploadsAndReportsTheMigrationConflictWithNoKubeconfig() async throws {
        try await Self.withCluster(fixture: "migration-conflict") { cluster in
            let folder = cluster.folder
            let bundle = "\(folder.path)/out/emdiag-em.tar.gz"
            try FileManager.default.createDirectory(atPath: "\(folder.path)/out", withIntermediateDirectories: true)
            let secretQuery = "X-Amz-Signature=do-not-print-me"
            let upload = "\(cluster.storeURL)/bundles/emdiag-em.tar.gz?\(secretQuery)"
            let result = try await TestChildProcess.run(
                try EndToEnd.binary(),
                ["collect", "--namespace", "em", "--output", bundle, "--format", "json", "--upload", upload],
                environment: cluster.environment)
            #expect(result.status == 1, "\(result.stderr)")
            let report = try JSONValue.parse(Array(result.stdout.utf8))
            #expect(report["findings"]?.array.contains { $0["id"]?.string == "migration-conflict" } == true)
            #expect(report["findings"]?.array.first?["id"]?.string == "migration-conflict")
            let uploaded = try #require(cluster.store.all["/bundles/emdiag-em.tar.gz"])
            let local = try SHA256Digest.file(at: bundle)
            #expect(uploaded.count == local.size)
            #expect(SHA256Digest.hex(of: uploaded) == local.sha256)
            #expect(!result.stderr.contains(secretQuery) && !result.stdout.contains(secretQuery))
        }
    }

    @Test(.timeLimit(.minutes(3))) func theHookScriptKeepsTheNewestBundlesAndPrintsTheJSONReport() async throws {
        try await Self.withCluster(fixture: "migration-conflict") { cluster in
            let folder = cluster.folder
            let bundles = "\(folder.path)/bundles"
            let old = (1...6).map { "emdiag-em-2020010\($0)T000000Z.tar.gz" }
            for name in old { try folder.write("bundles/\(name)", "old bundle") }
            try folder.write("bundles/notes.txt", "not a bundle")
            var hookEnvironment = cluster.environment
            hookEnvironment["EMDIAG_BIN"] = try EndToEnd.binary()
            hookEnvironment["EMDIAG_OUTPUT_DIR"] = bundles
            hookEnvironment["EMDIAG_KEEP"] = "5"
            hookEnvironment["EMDIAG_NAMESPACE"] = "em"
            hookEnvironment["EMDIAG_UPLOAD_URL"] = "\(cluster.storeURL)/hook/latest.tar.gz"
            let hook = EndToEnd.root.appendingPathComponent("deploy/emdiag-hook").path
            let result = try await TestChildProcess.run("/bin/sh", [hook], environment: hookEnvironment)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("emdiag-hook: emdiag exited 1 "))
            let report = try JSONValue.parse(Array(result.stdout.utf8))
            #expect(report["findings"]?.array.contains { $0["id"]?.string == "migration-conflict" } == true)
            let left = try FileManager.default.contentsOfDirectory(atPath: bundles).sorted()
            let fresh = left.filter { $0.hasPrefix("emdiag-em-") && !old.contains($0) }
            #expect(fresh.count == 1)
            #expect(left == (Array(old.suffix(4)) + fresh + ["notes.txt"]).sorted())
            let uploaded = try #require(cluster.store.all["/hook/latest.tar.gz"])
            #expect(SHA256Digest.hex(of: uploaded) == (try SHA256Digest.file(at: "\(bundles)/\(fresh[0])")).sha256)
        }
    }

    @Test(.timeLimit(.minutes(1)), arguments: [("true", Int32(4)), ("false", Int32(0))])
    func theHookExitsWithEmdiagsCodeOnlyWhenStrict(strict: String, expected: Int32) async throws {
        let folder = try TemporaryFolder("hook-exit")
        defer { folder.remove() }
        let fake = try folder.write("fake-emdiag", "#!/bin/sh\necho '{\"findings\":[]}'\nexit 4\n", executable: true)
        let result = try await TestChildProcess.run(
            "/bin/sh", [EndToEnd.root.appendingPathComponent("deploy/emdiag-hook").path],
            environment: ["PATH": "/usr/bin:/bin", "EMDIAG_BIN": fake, "EMDIAG_OUTPUT_DIR": "\(folder.path)/b", "EMDIAG_STRICT": strict])
        #expect(result.status == expected)
        #expect(result.stdout == "{\"findings\":[]}\n")
        #expect(result.stderr.contains("emdiag exited 4 (bundle written, upload failed)"))
    }

    @Test func theHookRefusesABadKeepCount() async throws {
        let result = try await TestChildProcess.run(
            "/bin/sh", [EndToEnd.root.appendingPathComponent("deploy/emdiag-hook").path],
            environment: ["PATH": "/usr/bin:/bin", "EMDIAG_BIN": "/bin/false", "EMDIAG_KEEP": "five"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("EMDIAG_KEEP must be a whole number"))
    }
}
