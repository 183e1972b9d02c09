import EMDiagCore
import EMDiagSystem
import EMDiagTestSupport
import Foundation
import Logging
import Testing

/// Requests seen by a live test server.
final class SeenRequests: @unchecked Sendable {
    // @unchecked Sendable: `stored` is only touched under `lock`.
    private let lock = NSLock()
    private var stored: [TestRequest] = []
    func add(_ request: TestRequest) { lock.withLock { stored.append(request) } }
    var all: [TestRequest] { lock.withLock { stored } }
    var count: Int { lock.withLock { stored.count } }
}

/// A throwaway PKI, a folder and an HTTPS fake API server on loopback, for one test.
struct LiveKube {
    let folder: TemporaryFolder
    let certificates: TestCertificates
    let server: TestHTTPServer
    let seen: SeenRequests

    static let version = #"{"major":"1","minor":"32","gitVersion":"v1.32.0"}"#

    /// Starts the server; `handler` answers after the request is recorded.
    static func start(
        requireClientCertificate: Bool = false, handler: @escaping @Sendable (TestRequest) async -> TestResponse
    ) async throws -> LiveKube {
        let folder = try TemporaryFolder("kube-live")
        let certificates = try TestCertificates.make(in: folder.url.appendingPathComponent("pki"))
        let seen = SeenRequests()
        let server = try await TestHTTPServer.start(
            tls: TestTLS(certificates, requireClientCertificate: requireClientCertificate)
        ) { request in
            seen.add(request)
            return await handler(request)
        }
        return LiveKube(folder: folder, certificates: certificates, server: server, seen: seen)
    }

    func stop() async {
        await server.shutdown()
        folder.remove()
    }

    /// Stops after `client` is gone, so its kept-alive connections close and shutdown does not wait on them.
    func stop(after client: consuming KubeClient) async {
        _ = consume client
        await stop()
    }

    /// Writes a file under the test folder and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String, executable: Bool = false) throws -> String {
        try folder.write(name, text, executable: executable)
    }

    /// A kubeconfig for this server; the CA is referenced relative to the kubeconfig's folder.
    func kubeconfig(user: String, name: String = "config") throws -> String {
        try write("kube/\(name)", """
            apiVersion: v1
            kind: Config
            current-context: live
            clusters:
            - name: loopback
              cluster:
                server: \(server.baseURL)
                certificate-authority: ../pki/ca.crt
            users:
            - name: tester
              user:
                \(user)
            contexts:
            - name: live
              context: {cluster: loopback, user: tester, namespace: em}
            """)
    }

    /// A client over real libcurl for the endpoint, with the system clock.
    func client(_ endpoint: KubeEndpoint, retry: KubeRetryPolicy = KubeRetryPolicy()) -> KubeClient {
        KubeClient(
            endpoint: endpoint, transportFactory: { try CurlTransport(configuration: $0) },
            logger: Logger(label: "kube-live"), retry: retry, environment: ProcessInfo.processInfo.environment)
    }

    func client(kubeconfig file: String) throws -> KubeClient {
        client(try KubeConfigLoader.resolve(options: KubeConnectionOptions(kubeconfig: file), environment: [:]))
    }
}

/// Answers `/version` when the expected Authorization header (or none, for certificates) is present; else 401.
func versionHandler(expecting authorization: String?) -> @Sendable (TestRequest) async -> TestResponse {
    { request in
        guard request.header("Authorization") == authorization else {
            return .json(#"{"kind":"Status","code":401,"message":"Unauthorized"}"#, status: 401)
        }
        return request.path == "/version" ? .json(LiveKube.version) : .json(#"{"message":"no route"}"#, status: 404)
    }
}

/// The JSON an exec plugin prints, with PEM data escaped properly.
func execCredentialJSON(version: String, status: [String: JSONValue]) -> String {
    String(decoding: JSONValue.object([
        "apiVersion": .string(version), "kind": .string("ExecCredential"), "status": .object(status),
    ]).serialized(), as: UTF8.self)
}

enum LiveAuthMode: String, CaseIterable, Sendable {
    case token, tokenFile, clientCertificateFile, clientCertificateData, basic, execV1, execV1beta1
}

@Suite(.serialized) struct KubeLiveTests {
    @Test(.timeLimit(.minutes(1)), arguments: LiveAuthMode.allCases)
    func eachAuthModeReachesTheServer(mode: LiveAuthMode) async throws {
        let basic = "Basic " + Data("bob:hunter2".utf8).base64EncodedString()
        let expected: String? = switch mode {
        case .token: "Bearer tok-inline"
        case .tokenFile: "Bearer tok-from-file"
        case .basic: basic
        case .execV1: "Bearer tok-from-exec"
        case .clientCertificateFile, .clientCertificateData, .execV1beta1: nil
        }
        let needsCertificate = expected == nil
        let live = try await LiveKube.start(requireClientCertificate: needsCertificate, handler: versionHandler(expecting: expected))
        let client = live.certificates.client
        let user: String
        switch mode {
        case .token: user = "token: tok-inline"
        case .tokenFile:
            try live.write("kube/token", "tok-from-file\n")
            user = "tokenFile: token"
        case .clientCertificateFile: user = "client-certificate: ../pki/client.crt\n    client-key: ../pki/client.key"
        case .clientCertificateData:
            user = "client-certificate-data: \(Data(client.certificatePEM).base64EncodedString())\n"
                + "    client-key-data: \(Data(client.keyPEM).base64EncodedString())"
        case .basic: user = "username: bob\n    password: hunter2"
        case .execV1:
            try live.write("kube/v1.json", execCredentialJSON(version: KubeExecConfig.v1, status: ["token": .string("tok-from-exec")]))
            try live.write("kube/bin/plugin-v1", "#!/bin/sh\ncat \"$(dirname \"$0\")/../v1.json\"\n", executable: true)
            user = "exec: {apiVersion: \(KubeExecConfig.v1), command: ./bin/plugin-v1, interactiveMode: Never}"
        case .execV1beta1:
            try live.write("kube/v1beta1.json", execCredentialJSON(version: KubeExecConfig.v1beta1, status: [
                "clientCertificateData": .string(String(decoding: client.certificatePEM, as: UTF8.self)),
                "clientKeyData": .string(String(decoding: client.keyPEM, as: UTF8.self)),
            ]))
            try live.write("kube/bin/plugin-b1", "#!/bin/sh\ncat \"$(dirname \"$0\")/../v1beta1.json\"\n", executable: true)
            user = "exec: {apiVersion: \(KubeExecConfig.v1beta1), command: ./bin/plugin-b1}"
        }
        let version = try await live.client(kubeconfig: try live.kubeconfig(user: user)).serverVersion()
        await live.stop()
        #expect(version["gitVersion"]?.string == "v1.32.0")
        #expect(live.seen.count == 1)
    }

    @Test(.timeLimit(.minutes(1))) func inClusterServiceAccountReachesTheServer() async throws {
        let live = try await LiveKube.start(handler: versionHandler(expecting: "Bearer sa-token"))
        try live.write("sa/token", "sa-token")
        try live.write("sa/namespace", "em-system")
        try FileManager.default.copyItem(
            atPath: live.certificates.ca.certificatePath, toPath: live.folder.url.appendingPathComponent("sa/ca.crt").path)
        let env = [
            "HOME": live.folder.url.appendingPathComponent("home").path, "KUBERNETES_SERVICE_HOST": "127.0.0.1",
            "KUBERNETES_SERVICE_PORT": String(live.server.port),
        ]
        let endpoint = try KubeConfigLoader.resolve(
            options: KubeConnectionOptions(serviceAccountFolder: live.folder.url.appendingPathComponent("sa").path),
            environment: env)
        let version = try await live.client(endpoint).serverVersion()
        await live.stop()
        #expect(endpoint.namespace == "em-system")
        #expect(version["major"]?.string == "1")
    }

    @Test(.timeLimit(.minutes(1))) func listsSevenPodsInThreePages() async throws {
        let names = (1...7).map { "pod-\($0)" }
        let live = try await LiveKube.start { request in
            let limit = Int(request.queryItems["limit"] ?? "") ?? names.count
            let start = Int(request.queryItems["continue"] ?? "") ?? 0
            let page = names[start..<min(start + limit, names.count)]
            let next = page.endIndex < names.count ? #","continue":"\#(page.endIndex)""# : ""
            let items = page.map { #"{"metadata":{"name":"\#($0)","namespace":"em"}}"# }.joined(separator: ",")
            return .json(#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"9"\#(next)},"items":[\#(items)]}"#)
        }
        let list = try await live.client(kubeconfig: try live.kubeconfig(user: "token: t"))
            .list(.pods, namespace: "em", labelSelector: "app=web", pageSize: 3)
        await live.stop()
        #expect(list.pages == 3)
        #expect(list.items.compactMap { $0[path: "metadata.name"]?.string } == names)
        #expect(live.seen.all.map { $0.queryItems["continue"] } == [nil, "3", "6"])
        #expect(live.seen.all.allSatisfy { $0.queryItems["labelSelector"] == "app=web" && $0.path == "/api/v1/namespaces/em/pods" })
    }

    @Test(.timeLimit(.minutes(1))) func a5000PodNamespaceListsInPagesOf500() async throws {
        let live = try await LiveKube.start { request in
            let start = Int(request.queryItems["continue"] ?? "") ?? 0
            let end = min(start + (Int(request.queryItems["limit"] ?? "") ?? 5000), 5000)
            let next = end < 5000 ? #","continue":"\#(end)""# : ""
            let items = (start..<end).map { #"{"metadata":{"name":"pod-\#($0)"}}"# }.joined(separator: ",")
            return .json(#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"\#(next)},"items":[\#(items)]}"#)
        }
        let list = try await live.client(kubeconfig: try live.kubeconfig(user: "token: t")).list(.pods, namespace: "em")
        await live.stop()
        #expect(list.pages == 10)
        #expect(list.items.count == 5000)
        #expect(Set(list.items.compactMap { $0[path: "metadata.name"]?.string }).count == 5000)
        #expect(live.seen.all.allSatisfy { $0.queryItems["limit"] == "500" })
    }

    @Test(.timeLimit(.minutes(1))) func accessReviewIsPostedWithItsJSONBody() async throws {
        let live = try await LiveKube.start { request in
            guard request.method == "POST", request.header("Content-Type") == "application/json",
                let review = try? JSONValue.parse(request.body), review["kind"]?.string == "SelfSubjectAccessReview"
            else { return .json(#"{"message":"bad review"}"#, status: 400) }
            let allowed = review[path: "spec.resourceAttributes.verb"]?.string == "list"
            return .json(#"{"kind":"SelfSubjectAccessReview","status":{"allowed":\#(allowed)}}"#, status: 201)
        }
        let client = try live.client(kubeconfig: try live.kubeconfig(user: "token: t"))
        let list = try await client.accessReview("list", .secrets, namespace: "em")
        let delete = try await client.accessReview("delete", .secrets, namespace: "em")
        await live.stop(after: consume client)
        #expect(list.allowed && !delete.allowed)
    }

    @Test(.timeLimit(.minutes(1)), arguments: [
        (KubeLogOptions(container: "init-db"), "container", "init-db"),
        (KubeLogOptions(previous: true), "previous", "true"),
        (KubeLogOptions(timestamps: true), "timestamps", "true"),
        (KubeLogOptions(tailLines: 50), "tailLines", "50"),
        (KubeLogOptions(limitBytes: 2048), "limitBytes", "2048"),
        (KubeLogOptions(sinceSeconds: 300), "sinceSeconds", "300"),
    ])
    func streamsLogsToAFileWithEachQueryOption(options: KubeLogOptions, key: String, value: String) async throws {
        let live = try await LiveKube.start { request in
            TestResponse(status: 200, headers: [HTTPHeader("Content-Type", "text/plain")], body: .stream { writer in
                for line in 0..<2000 { try await writer.write(Array("\(request.queryItems[key] ?? "-") line \(line)\n".utf8)) }
            })
        }
        let file = live.folder.url.appendingPathComponent("out.log").path
        let response = try await live.client(kubeconfig: try live.kubeconfig(user: "token: t"))
            .logs(pod: "web-0", options: options, to: .file(path: file))
        let text = try String(contentsOfFile: file, encoding: .utf8)
        await live.stop()
        #expect(response.status == 200)
        #expect(live.seen.all.first?.path == "/api/v1/namespaces/em/pods/web-0/log")
        #expect(live.seen.all.first?.queryItems == [key: value])
        #expect(text.hasPrefix("\(value) line 0\n") && text.hasSuffix("line 1999\n"))
    }

    @Test(.timeLimit(.minutes(1))) func tooManyRequestsWithRetryAfterIsRetriedAfterASecond() async throws {
        let counter = SeenRequests()
        let throttled = try await LiveKube.start { request in
            counter.add(request)
            return counter.count == 1
                ? TestResponse(status: 429, headers: [HTTPHeader("Retry-After", "1")], body: .bytes(Array("slow down".utf8)))
                : .json(LiveKube.version)
        }
        let client = try throttled.client(kubeconfig: try throttled.kubeconfig(user: "token: t"))
        let started = ContinuousClock.now
        let version = try await client.serverVersion()
        let elapsed = ContinuousClock.now - started
        await throttled.stop(after: consume client)
        #expect(version["gitVersion"]?.string == "v1.32.0")
        #expect(counter.count == 2)
        #expect(elapsed >= .seconds(1))
    }

    @Test(.timeLimit(.minutes(1))) func permanentForbiddenFailsFastWithTheRBACMessage() async throws {
        let status = #"{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,"#
            + #""message":"pods is forbidden: User \"tester\" cannot list resource \"pods\" in API group \"\" in the namespace \"em\""}"#
        let live = try await LiveKube.start { _ in .json(status, status: 403) }
        let client = try live.client(kubeconfig: try live.kubeconfig(user: "token: t"))
        let error = await #expect(throws: KubeError.self) { _ = try await client.list(.pods, namespace: "em") }
        await live.stop(after: consume client)
        #expect(live.seen.count == 1)
        let text = error?.description ?? ""
        #expect(text.contains("may not list pods in namespace \"em\""))
        #expect(text.contains("kubeconfig user \"tester\""))
        #expect(text.contains("cannot list resource \\\"pods\\\"") || text.contains("cannot list resource \"pods\""))
    }

    @Test(.timeLimit(.minutes(1))) func wrongCAAndWrongHostnameSayWhichCheckFailed() async throws {
        let live = try await LiveKube.start(handler: versionHandler(expecting: "Bearer t"))
        let other = try TestCertificates.make(in: live.folder.url.appendingPathComponent("other"), caName: "someone-else")
        var endpoint = try KubeConfigLoader.resolve(
            options: KubeConnectionOptions(kubeconfig: try live.kubeconfig(user: "token: t")), environment: [:])
        var wrongCA = endpoint
        wrongCA.tls.certificateAuthority = .file(other.ca.certificatePath)
        let caError = await #expect(throws: KubeError.self) { _ = try await live.client(wrongCA).serverVersion() }
        endpoint.tls.serverName = "not-the-server.example"
        let hostError = await #expect(throws: KubeError.self) { _ = try await live.client(endpoint).serverVersion() }
        await live.stop()
        #expect(caError?.description.contains("CA check failed") == true)
        #expect(hostError?.description.contains("hostname check failed") == true)
    }
}

/// Real kubectl and emdiag must agree on which kubeconfigs work.
@Suite(.serialized) struct KubeKubectlAgreementTests {
    /// Runs kubectl off the cooperative pool with a throwaway HOME; returns (exit status, stdout + stderr).
    func kubectl(_ kubeconfig: String, home: String) async throws -> (Int32, String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/kubectl")
                process.arguments = ["--kubeconfig", kubeconfig, "get", "--raw", "/version"]
                var env = ProcessInfo.processInfo.environment
                env["HOME"] = home
                env["KUBECONFIG"] = nil
                process.environment = env
                let output = Pipe()
                process.standardOutput = output
                process.standardError = output
                process.standardInput = FileHandle.nullDevice
                do {
                    try process.run()
                    let data = output.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    @Test(.timeLimit(.minutes(2))) func aKubeconfigKubectlAcceptsIsAcceptedAndOneItRejectsNamesFileAndField() async throws {
        let live = try await LiveKube.start(handler: versionHandler(expecting: "Bearer agreed-token"))
        let home = live.folder.url.appendingPathComponent("home").path
        let good = try live.kubeconfig(user: "token: agreed-token")
        let (status, output) = try await kubectl(good, home: home)
        #expect(status == 0, "kubectl said: \(output)")
        #expect(output.contains("v1.32.0"))
        let version = try await live.client(kubeconfig: good).serverVersion()
        #expect(version["gitVersion"]?.string == "v1.32.0")

        let rejected = try live.kubeconfig(user: "client-certificate-data: '%%%'\n    client-key-data: a2V5", name: "bad")
        let (badStatus, badOutput) = try await kubectl(rejected, home: home)
        #expect(badStatus != 0, "kubectl accepted it: \(badOutput)")
        do {
            _ = try KubeConfigLoader.resolve(options: KubeConnectionOptions(kubeconfig: rejected), environment: [:])
            Issue.record("emdiag accepted a kubeconfig kubectl rejects")
        } catch let KubeError.config(file, line, field, _) {
            #expect(file == rejected)
            #expect(field.hasSuffix("client-certificate-data"))
            #expect(line == 12)
        }
        await live.stop()
    }
}
