import EMDiagTestSupport
import Foundation
import Testing

@testable import EMDiagCore

@Suite struct KubeClientTests {
    static let podList = #"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[]}"#

    static func page(_ names: [String], next: String?) -> String {
        let items = names.map { #"{"metadata":{"name":"\#($0)"}}"# }.joined(separator: ",")
        let cont = next.map { #","continue":"\#($0)","remainingItemCount":9"# } ?? ""
        return #"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"42"\#(cont)},"items":[\#(items)]}"#
    }

    @Test func listsInPagesAndMergesThemIntoOneList() async throws {
        let transport = StubTransport { request, _ in
            switch request.query["continue"] {
            case nil: .response(200, body: Self.page(["a", "b"], next: "t1"))
            case "t1": .response(200, body: Self.page(["c", "d"], next: "t/2+"))
            default: .response(200, body: Self.page(["e"], next: nil))
            }
        }
        let list = try await KubeClient.stubbed(transport).list(
            .pods, namespace: "em", labelSelector: "app=web,tier!=db", fieldSelector: "status.phase=Running", pageSize: 2)
        #expect(list.pages == 3)
        #expect(list.items.compactMap { $0[path: "metadata.name"]?.string } == ["a", "b", "c", "d", "e"])
        #expect(list.value["kind"]?.string == "PodList" && list.value["apiVersion"]?.string == "v1")
        #expect(list.value[path: "metadata.continue"] == nil && list.value[path: "metadata.remainingItemCount"] == nil)
        #expect(list.value[path: "metadata.resourceVersion"]?.string == "42")
        #expect(try JSONValue.parse(list.bytes) == list.value)
        let requests = transport.requests
        #expect(requests.count == 3)
        #expect(requests.allSatisfy { $0.path == "/api/v1/namespaces/em/pods" && $0.query["limit"] == "2" })
        #expect(requests[0].url.contains("labelSelector=app%3Dweb%2Ctier%21%3Ddb"))
        #expect(requests[0].query["fieldSelector"] == "status.phase=Running")
        #expect(requests.map { $0.query["continue"] } == [nil, "t1", "t/2+"])
        #expect(requests.allSatisfy { $0.header("Authorization") == "Bearer s3cret-token" })
    }

    @Test func singlePageListsKeepTheAPIsBytesAndClusterWideListsUseTheRootPath() async throws {
        let transport = StubTransport { _, _ in .response(200, body: Self.podList) }
        let client = KubeClient.stubbed(transport)
        let list = try await client.list(.pods, namespace: nil)
        #expect(list.bytes == Array(Self.podList.utf8))
        _ = try await client.list(.nodes, namespace: "ignored")
        _ = try await client.list(.argoApplications, namespace: "argocd")
        _ = try await client.get(.deployments, name: "web")
        #expect(transport.requests.map(\.path) == [
            "/api/v1/pods", "/api/v1/nodes", "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications",
            "/apis/apps/v1/namespaces/default/deployments/web",
        ])
    }

    @Test func retriesUnavailableWithBackoffThenSucceeds() async throws {
        let transport = StubTransport { _, index in
            index < 3 ? .response(503, body: "busy") : .response(200, body: Self.podList)
        }
        let clock = VirtualClock()
        let list = try await KubeClient.stubbed(transport, clock: clock).list(.pods, namespace: "em")
        #expect(list.items.isEmpty)
        #expect(transport.requests.count == 3)
        #expect(clock.sleeps == [.milliseconds(500), .seconds(1)])
    }

    @Test func honoursRetryAfterSeconds() async throws {
        let transport = StubTransport { _, index in
            index == 1 ? .response(429, headers: ["retry-after": "3"], body: "slow down") : .response(200, body: "{}")
        }
        let clock = VirtualClock()
        _ = try await KubeClient.stubbed(transport, clock: clock).getRaw(path: "/api/v1/namespaces/em")
        #expect(clock.sleeps == [.seconds(3)])
    }

    @Test func givesUpAfterFourAttempts() async throws {
        let transport = StubTransport { _, _ in .response(500, body: #"{"kind":"Status","message":"etcd timeout"}"#) }
        let error = await #expect(throws: KubeError.self) {
            _ = try await KubeClient.stubbed(transport).list(.pods, namespace: "em")
        }
        #expect(transport.requests.count == 4)
        #expect(error?.description.contains("HTTP 500 after 4 attempts") == true)
        #expect(error?.description.contains("etcd timeout") == true)
    }

    @Test(arguments: [400, 403, 404, 409, 422])
    func doesNotRetryOtherClientErrors(status: Int) async throws {
        let transport = StubTransport { _, _ in .response(status, body: "{}") }
        await #expect(throws: KubeError.self) { _ = try await KubeClient.stubbed(transport).list(.pods, namespace: "em") }
        #expect(transport.requests.count == 1)
    }

    @Test func forbiddenNamesVerbResourceNamespaceAndTheServersMessage() async throws {
        let status = #"{"kind":"Status","status":"Failure","reason":"Forbidden","code":403,"message":"deployments.apps is forbidden: User \"dev\" cannot list resource \"deployments\" in API group \"apps\" in the namespace \"em\""}"#
        let transport = StubTransport { _, _ in .response(403, body: status) }
        var endpoint = KubeEndpoint(server: "https://api.test:6443", auth: .token("s3cret-token"), namespace: "em")
        endpoint.userName = "dev"
        let error = await #expect(throws: KubeError.self) {
            _ = try await KubeClient.stubbed(transport, endpoint: endpoint).list(.deployments, namespace: "em")
        }
        guard case .forbidden(_, let identity, let verb, let resource, let namespace, let message)? = error else {
            Issue.record("expected forbidden, got \(String(describing: error))")
            return
        }
        #expect(verb == "list" && resource == "deployments.apps" && namespace == "em")
        #expect(identity.contains("\"dev\""))
        #expect(message.contains("cannot list resource"))
        #expect(error?.description.contains("may not list deployments.apps in namespace \"em\"") == true)
    }

    @Test func unauthorizedNamesTheUserEntryAndNotFoundNamesTheObject() async throws {
        let transport = StubTransport { request, _ in
            request.path.hasSuffix("/web") ? .response(404, body: #"{"message":"deployments.apps \"web\" not found"}"#)
                : .response(401, body: #"{"message":"Unauthorized"}"#)
        }
        var endpoint = KubeEndpoint(server: "https://api.test:6443", auth: .token("s3cret-token"), namespace: "em")
        endpoint.userName = "admin"
        endpoint.userOrigin = KubeConfigOrigin(file: "/home/me/.kube/config", path: "users[\"admin\"].user")
        let client = KubeClient.stubbed(transport, endpoint: endpoint)
        let unauthorized = await #expect(throws: KubeError.self) { _ = try await client.serverVersion() }
        #expect(unauthorized?.description.contains("kubeconfig user \"admin\" in /home/me/.kube/config") == true)
        #expect(unauthorized?.description.contains("s3cret") == false)
        let missing = await #expect(throws: KubeError.self) { _ = try await client.get(.deployments, name: "web") }
        #expect(missing?.description.contains("deployments.apps \"web\" in namespace \"em\" does not exist") == true)
    }

    @Test func connectionRefusedIsRetriedThenNamesTheServer() async throws {
        let transport = StubTransport { _, _ in .failure(.connectionRefused) }
        let error = await #expect(throws: KubeError.self) { _ = try await KubeClient.stubbed(transport).serverVersion() }
        #expect(transport.requests.count == 4)
        #expect(error?.description.contains("https://api.test:6443") == true)
        #expect(error?.description.contains("after 4 attempts") == true)
    }

    @Test func tlsFailuresAreNotRetriedAndSayWhichCheckFailed() async throws {
        for (kind, words) in [(HTTPError.Kind.tlsCertificateAuthority, "CA check failed"), (.tlsHostname, "hostname check failed")] {
            let transport = StubTransport { _, _ in .failure(kind) }
            let error = await #expect(throws: KubeError.self) { _ = try await KubeClient.stubbed(transport).serverVersion() }
            #expect(transport.requests.count == 1)
            #expect(error?.description.contains(words) == true)
        }
    }

    @Test func neverSleepsPastTheCallersDeadline() async throws {
        let transport = StubTransport { _, _ in .response(503, headers: ["retry-after": "20"], body: "") }
        let clock = VirtualClock()
        let deadline = clock.clock.now().advanced(by: .seconds(10))
        let error = await #expect(throws: KubeError.self) {
            _ = try await KubeClient.stubbed(transport, clock: clock).serverVersion(deadline: deadline)
        }
        #expect(clock.sleeps.isEmpty)
        #expect(transport.requests.count == 1)
        guard case .deadlineExceeded? = error else {
            Issue.record("expected deadlineExceeded, got \(String(describing: error))")
            return
        }
    }

    @Test func boundsConcurrencyAcrossAllRequestsOfAClient() async throws {
        let transport = StubTransport { _, _ in
            try await Task.sleep(for: .milliseconds(5))
            return .response(200, body: "{}")
        }
        let client = KubeClient.stubbed(transport, concurrency: 3)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<24 { group.addTask { _ = try await client.get(.pods, name: "p\(index)") } }
            try await group.waitForAll()
        }
        #expect(transport.requests.count == 24)
        #expect(transport.maxInFlight <= 3)
        #expect(transport.configurations.first?.maxConcurrentTransfers == 3)
    }

    @Test func logsSendEachQueryOptionAndRemoveTheFileOnFailure() async throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        let transport = StubTransport { request, _ in
            request.query["container"] == "gone" ? .response(404, body: #"{"message":"container gone not found"}"#)
                : .response(200, body: "line 1\nline 2\n")
        }
        let client = KubeClient.stubbed(transport)
        let options = KubeLogOptions(container: "app", previous: true, timestamps: true, tailLines: 100, limitBytes: 4096,
                                     sinceSeconds: 600)
        let file = "\(dir.path)/app.log"
        let response = try await client.logs(pod: "web-0", namespace: "em", options: options, to: .file(path: file))
        #expect(response.status == 200)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "line 1\nline 2\n")
        let sent = transport.requests[0]
        #expect(sent.path == "/api/v1/namespaces/em/pods/web-0/log")
        #expect(sent.query == ["container": "app", "previous": "true", "timestamps": "true", "tailLines": "100",
                               "limitBytes": "4096", "sinceSeconds": "600"])
        let failed = "\(dir.path)/gone.log"
        await #expect(throws: KubeError.self) {
            _ = try await client.logs(pod: "web-0", options: KubeLogOptions(container: "gone"), to: .file(path: failed))
        }
        #expect(!FileManager.default.fileExists(atPath: failed))
    }

    @Test func rereadsARotatedTokenFileAndRetriesOnceAfter401() async throws {
        let dir = try TemporaryFolder("kube")
        defer { dir.remove() }
        let tokenPath = try dir.write("token", "first\n")
        let transport = StubTransport { request, _ in
            request.header("Authorization") == "Bearer second" ? .response(200, body: "{}") : .response(401, body: "")
        }
        let endpoint = KubeEndpoint(server: "https://api.test:6443", auth: .tokenFile(path: tokenPath))
        let client = KubeClient.stubbed(transport, endpoint: endpoint)
        await #expect(throws: KubeError.self) { _ = try await client.serverVersion() }
        #expect(transport.requests.map { $0.header("Authorization") } == ["Bearer first", "Bearer first"])
        try dir.write("token", "second")
        _ = try await client.serverVersion()
        #expect(transport.requests.last?.header("Authorization") == "Bearer second")
    }

    @Test func logsMethodURLAndStatusButNeverCredentials() async throws {
        let transport = StubTransport { _, index in index == 1 ? .response(503, body: "") : .response(200, body: "{}") }
        let log = CapturedLog()
        let endpoint = KubeEndpoint(server: "https://api.test:6443", auth: .basic(username: "bob", password: "hunter2"))
        _ = try await KubeClient.stubbed(transport, endpoint: endpoint, log: log).serverVersion()
        #expect(log.lines.contains { $0.contains("GET https://api.test:6443/version 503") })
        #expect(log.lines.contains { $0.contains("GET https://api.test:6443/version 200") })
        let basic = Data("bob:hunter2".utf8).base64EncodedString()
        #expect(transport.requests[0].header("Authorization") == "Basic \(basic)")
        #expect(!log.lines.contains { $0.contains("hunter2") || $0.contains(basic) })
    }

    @Test func plainHTTPServersGetNoCredentialsLikeKubectl() async throws {
        let transport = StubTransport { _, _ in .response(200, body: "{}") }
        let endpoint = KubeEndpoint(server: "http://127.0.0.1:8080", auth: .token("s3cret-token"))
        _ = try await KubeClient.stubbed(transport, endpoint: endpoint).serverVersion()
        #expect(transport.requests[0].header("Authorization") == nil)
    }

    @Test func backoffGrowsExponentiallyWithJitterAndACap() {
        let low = KubeRetryPolicy(random: { 0 })
        let high = KubeRetryPolicy(random: { 1 })
        #expect((1...5).map { low.delay(afterAttempt: $0, retryAfter: nil) }
            == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4)])
        #expect((1...6).map { high.delay(afterAttempt: $0, retryAfter: nil) }
            == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8)])
        #expect(high.delay(afterAttempt: 1, retryAfter: .seconds(120)) == .seconds(30))
        #expect(KubeRetryPolicy.retryAfter("2") == .seconds(2))
        #expect(KubeRetryPolicy.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == nil)
    }
}

@Suite struct KubeAccessReviewTests {
    @Test func postsASelfSubjectAccessReviewAndReadsTheAnswer() async throws {
        let transport = StubTransport { request, _ in
            #expect(request.path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
            return .response(201, body: #"{"kind":"SelfSubjectAccessReview","status":{"allowed":false,"reason":"no RBAC rule"}}"#)
        }
        let review = try await KubeClient.stubbed(transport).accessReview("get", .pods, namespace: "em", subresource: "log")
        #expect(review == KubeAccessReview(allowed: false, denied: false, reason: "no RBAC rule"))
        #expect(transport.requests[0].method == "POST")
        let sent = try JSONValue.parse(Array(transport.requests[0].body.utf8))
        #expect(sent[path: "spec.resourceAttributes.verb"]?.string == "get")
        #expect(sent[path: "spec.resourceAttributes.resource"]?.string == "pods")
        #expect(sent[path: "spec.resourceAttributes.subresource"]?.string == "log")
        #expect(sent[path: "spec.resourceAttributes.namespace"]?.string == "em")
        #expect(transport.requests[0].header("Content-Type") == "application/json")
    }
}
