import EMDiagCore
import EMDiagTestSupport
import Foundation
import Testing

/// Helpers shared by the replay tests: one router over `ReplayTestBundle`, decoded answers.
enum ReplayHarness {
    static let tableAccept =
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"

    static func router() throws -> APIRouter {
        try APIRouter(bundle: BundleDirectory(root: ReplayTestBundle.make()), clock: { ReplayTestBundle.now })
    }

    static func get(_ router: APIRouter, _ target: String, accept: String = "application/json", method: String = "GET")
        throws -> (status: Int, json: JSONValue)
    {
        let response = router.handle(ReplayRequest(method: method, target: target, accept: accept))
        guard case .bytes(let bytes) = response.body else {
            Issue.record("\(target) answered a file body")
            return (response.status, .null)
        }
        return (response.status, try JSONValue.parse(bytes))
    }

    static func names(_ list: JSONValue) -> [String] {
        list["items"]?.array.compactMap { $0[path: "metadata.name"]?.string } ?? []
    }
}

@Suite struct ReplayRouterTests {
    let router: APIRouter
    init() throws { router = try ReplayHarness.router() }

    @Test func versionFallsBackTo132WhenTheBundleHasNone() throws {
        let (status, json) = try ReplayHarness.get(router, "/version?timeout=5s")
        #expect(status == 200)
        #expect(json["major"]?.string == "1")
        #expect(json["minor"]?.string == "32")
    }

    @Test func versionComesFromTheBundleWhenPresent() throws {
        let root = try ReplayTestBundle.make()
        try Data(#"{"major":"1","minor":"29","gitVersion":"v1.29.4"}"#.utf8).write(to: root.appendingPathComponent("version.json"))
        let (_, json) = try ReplayHarness.get(try APIRouter(bundle: BundleDirectory(root: root)), "/version")
        #expect(json["gitVersion"]?.string == "v1.29.4")
    }

    @Test func discoveryListsCoreAndBundleGroupsInPlainForm() throws {
        let aggregated = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
        let api = router.handle(ReplayRequest(target: "/api?timeout=32s", accept: aggregated))
        #expect(api.contentType == "application/json")
        let (_, versions) = try ReplayHarness.get(router, "/api", accept: aggregated)
        #expect(versions["kind"]?.string == "APIVersions")
        #expect(versions["versions"] == .array([.string("v1")]))

        let (_, groups) = try ReplayHarness.get(router, "/apis", accept: aggregated)
        #expect(groups["kind"]?.string == "APIGroupList")
        let names = groups["groups"]?.array.compactMap { $0["name"]?.string } ?? []
        #expect(names.contains("argoproj.io"))
        #expect(names.contains("apps"))
        #expect(names == names.sorted())

        let (_, core) = try ReplayHarness.get(router, "/api/v1")
        #expect(core["kind"]?.string == "APIResourceList")
        let resources = core["resources"]?.array ?? []
        let pods = resources.first { $0["name"]?.string == "pods" }
        #expect(pods?["namespaced"]?.bool == true)
        #expect(pods?["kind"]?.string == "Pod")
        #expect(pods?["shortNames"] == .array([.string("po")]))
        #expect(resources.contains { $0["name"]?.string == "pods/log" })
        #expect(resources.first { $0["name"]?.string == "nodes" }?["namespaced"]?.bool == false)

        let (status, argo) = try ReplayHarness.get(router, "/apis/argoproj.io/v1alpha1")
        #expect(status == 200)
        #expect(argo["groupVersion"]?.string == "argoproj.io/v1alpha1")
        #expect(argo["resources"]?[0]?["kind"]?.string == "Application")
        #expect(try ReplayHarness.get(router, "/apis/nothing.example/v1").status == 404)
    }

    @Test func unknownResourceTypesInTheBundleAreDiscovered() throws {
        let root = try ReplayTestBundle.make()
        let path = root.appendingPathComponent("apis/example.com/v1/namespaces/em/widgets.json")
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(#"{"kind":"WidgetList","items":[{"metadata":{"name":"w1"}}]}"#.utf8).write(to: path)
        let router = try APIRouter(bundle: BundleDirectory(root: root))
        let (_, list) = try ReplayHarness.get(router, "/apis/example.com/v1")
        #expect(list["resources"]?[0]?["kind"]?.string == "Widget")
        #expect(list["resources"]?[0]?["namespaced"]?.bool == true)
        let (_, widget) = try ReplayHarness.get(router, "/apis/example.com/v1/namespaces/em/widgets/w1")
        #expect(widget[path: "metadata.namespace"]?.string == "em")
        #expect(widget["kind"]?.string == "Widget")
    }

    @Test func listsANamespaceAndAllNamespaces() throws {
        let (_, em) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods?limit=500")
        #expect(em["kind"]?.string == "PodList")
        #expect(ReplayHarness.names(em).count == 8)
        #expect(!ReplayHarness.names(em).contains(ReplayTestBundle.otherNamespacePod))

        let (_, all) = try ReplayHarness.get(router, "/api/v1/pods")
        let namespaces = all["items"]?.array.compactMap { $0[path: "metadata.namespace"]?.string } ?? []
        #expect(namespaces.count == 9)
        #expect(namespaces == namespaces.sorted())
        #expect(ReplayHarness.names(all).contains(ReplayTestBundle.otherNamespacePod))

        let (_, apps) = try ReplayHarness.get(router, "/apis/argoproj.io/v1alpha1/applications")
        #expect(ReplayHarness.names(apps) == ["em-runtime"])
        let (_, empty) = try ReplayHarness.get(router, "/apis/apps/v1/namespaces/em/statefulsets")
        #expect(empty["items"] == .array([]))
        #expect(empty["kind"]?.string == "StatefulSetList")
    }

    @Test func getsOneObjectWithKindAndAPIVersion() throws {
        let (status, secret) = try ReplayHarness.get(router, "/api/v1/namespaces/em/secrets/em-runtime-secrets")
        #expect(status == 200)
        #expect(secret["kind"]?.string == "Secret")
        #expect(secret["apiVersion"]?.string == "v1")
        let encoded = secret[path: "data.base-url"]?.string ?? ""
        #expect(Data(base64Encoded: encoded).map { String(decoding: $0, as: UTF8.self) } == ReplayTestBundle.baseURL)
        let (_, node) = try ReplayHarness.get(router, "/api/v1/nodes/node-1")
        #expect(node["kind"]?.string == "Node")
    }

    @Test func namespacesAreServedEvenWithoutANamespaceList() throws {
        let (status, em) = try ReplayHarness.get(router, "/api/v1/namespaces/em")
        #expect(status == 200)
        #expect(em["kind"]?.string == "Namespace")
        #expect(em[path: "status.phase"]?.string == "Active")
        let (_, all) = try ReplayHarness.get(router, "/api/v1/namespaces")
        #expect(ReplayHarness.names(all) == ["argocd", "em", "other"])
        let (missing, body) = try ReplayHarness.get(router, "/api/v1/namespaces/nons")
        #expect(missing == 404)
        #expect(body["message"]?.string == #"namespaces "nons" not found"#)
    }

    @Test func notFoundIsAStatusNamingTheObject() throws {
        let (status, body) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods/x")
        #expect(status == 404)
        #expect(body["kind"]?.string == "Status")
        #expect(body["reason"]?.string == "NotFound")
        #expect(body["code"]?.int == 404)
        #expect(body["message"]?.string == #"pods "x" not found"#)
        let (_, app) = try ReplayHarness.get(router, "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/nope")
        #expect(app["message"]?.string == #"applications.argoproj.io "nope" not found"#)
        #expect(try ReplayHarness.get(router, "/api/v1/widgets").status == 404)
        #expect(try ReplayHarness.get(router, "/healthz").status == 404)
    }

    @Test(arguments: ["POST", "PUT", "PATCH", "DELETE"])
    func everyWriteIsMethodNotAllowed(method: String) throws {
        let (status, body) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods/x", method: method)
        #expect(status == 405)
        #expect(body["reason"]?.string == "MethodNotAllowed")
        #expect(body["code"]?.int == 405)
    }

    @Test func labelSelectorsFilterLists() throws {
        let cases: [(String, [String])] = [
            ("app.kubernetes.io/component=database", [ReplayTestBundle.databasePod]),
            ("app.kubernetes.io/component==api", [ReplayTestBundle.crashLoopPod]),
            ("app.kubernetes.io/name in (keycloak,utils)", [ReplayTestBundle.initCrashPod, ReplayTestBundle.configErrorPod]),
            ("app.kubernetes.io/component", [ReplayTestBundle.crashLoopPod, ReplayTestBundle.databasePod]),
            ("app.kubernetes.io/component,app.kubernetes.io/component!=api", [ReplayTestBundle.databasePod]),
        ]
        for (selector, expected) in cases {
            let query = selector.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let (_, list) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods?labelSelector=\(query)")
            #expect(Set(ReplayHarness.names(list)) == Set(expected), "\(selector)")
        }
        let (_, without) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods?labelSelector=%21app.kubernetes.io%2Fcomponent")
        #expect(ReplayHarness.names(without).count == 6)
        let (_, notin) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods?labelSelector=app.kubernetes.io/component+notin+(api)")
        #expect(ReplayHarness.names(notin).count == 7)
        let (bad, body) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods?labelSelector=a+b")
        #expect(bad == 400)
        #expect(body["reason"]?.string == "BadRequest")
    }

    @Test func fieldSelectorsFilterLists() throws {
        let cases: [(String, Int)] = [
            ("metadata.name=\(ReplayTestBundle.databasePod)", 1),
            ("status.phase=Pending", 4),
            ("status.phase!=Pending", 4),
            ("spec.nodeName==node-1", 2),
            ("metadata.namespace=em,status.phase=Running", 3),
        ]
        for (selector, count) in cases {
            let (_, list) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods?fieldSelector=\(selector)")
            #expect(ReplayHarness.names(list).count == count, "\(selector)")
        }
        let describeQuery = "involvedObject.name=\(ReplayTestBundle.crashLoopPod),involvedObject.namespace=em,involvedObject.uid=uid-\(ReplayTestBundle.crashLoopPod)"
        let (_, events) = try ReplayHarness.get(router, "/api/v1/namespaces/em/events?fieldSelector=\(describeQuery)")
        #expect(ReplayHarness.names(events) == ["\(ReplayTestBundle.crashLoopPod).1"])
        #expect(try ReplayHarness.get(router, "/api/v1/pods?fieldSelector=nooperator").status == 400)
    }

    @Test func limitAndContinuePageThroughAList() throws {
        var seen: [String] = []
        var target = "/api/v1/pods?limit=4"
        var pages = 0
        while pages < 10 {
            let (_, page) = try ReplayHarness.get(router, target)
            seen += ReplayHarness.names(page)
            pages += 1
            guard let token = page[path: "metadata.continue"]?.string else { break }
            #expect(page[path: "metadata.remainingItemCount"]?.int == 9 - seen.count)
            target = "/api/v1/pods?limit=4&continue=\(token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        }
        #expect(pages == 3)
        let (_, all) = try ReplayHarness.get(router, "/api/v1/pods")
        #expect(seen == ReplayHarness.names(all))
        let (bad, body) = try ReplayHarness.get(router, "/api/v1/pods?limit=4&continue=garbage")
        #expect(bad == 400)
        #expect(body["reason"]?.string == "BadRequest")
    }

    @Test func watchIsRefused() throws {
        #expect(try ReplayHarness.get(router, "/api/v1/namespaces/em/pods?watch=true").status == 405)
    }
}

/// A collected bundle keeps Helm history as `helm/<ns>/<release>.json`, not as Secrets; serve gives the Secrets back.
@Suite struct ReplayHelmHistoryTests {
    static let history = """
        [
          {"name": "em-runtime", "namespace": "em", "version": 2, "secret": "sh.helm.release.v1.em-runtime.v2",
           "info": {"status": "failed", "description": "Upgrade \\"em-runtime\\" failed: context deadline exceeded",
                    "last_deployed": "2026-11-20T10:05:00Z"},
           "chart": {"metadata": {"name": "em-runtime", "version": "4.8.6", "appVersion": "4.8.6"}},
           "droppedFields": ["config", "manifest"]},
          {"name": "em-runtime", "namespace": "em", "version": 1, "info": {"status": "superseded", "description": "Install complete"},
           "chart": {"metadata": {"name": "em-runtime", "version": "4.8.5", "appVersion": "4.8.5"}}}
        ]
        """

    func router(secrets: String = #"{"kind": "SecretList", "items": []}"#) throws -> APIRouter {
        let folder = try TemporaryFolder("helm-history")
        try folder.write("helm/em/em-runtime.json", Self.history)
        try folder.write("api/v1/namespaces/em/secrets.json", secrets)
        return try APIRouter(bundle: BundleDirectory(root: folder.url))
    }

    @Test func storedHistoryIsServedAsHelmReleaseSecrets() throws {
        let (status, list) = try ReplayHarness.get(try router(), "/api/v1/namespaces/em/secrets?labelSelector=owner%3Dhelm,status%3Dfailed")
        #expect(status == 200)
        #expect(ReplayHarness.names(list) == ["sh.helm.release.v1.em-runtime.v2"])
        let secret = try #require(list["items"]?[0])
        #expect(secret["type"]?.string == "helm.sh/release.v1")
        #expect(secret[path: "metadata.labels.version"]?.string == "2")
        #expect(secret[path: "metadata.annotations"]?["emdiag.io/rebuilt-from"]?.string == "helm/em/em-runtime.json")
        // What emdiag collect and Helm decode: the kept fields, without emdiag's own bookkeeping.
        let record = try #require(HelmReleaseRecord.decode(secret: secret, path: "p"))
        #expect(record.status == "failed" && record.revision == 2 && record.chartVersion == "4.8.6")
        #expect(record.description == #"Upgrade "em-runtime" failed: context deadline exceeded"#)
        let payload = try #require(HelmReleaseRecord.decodePayload(secret[path: "data.release"]?.string ?? ""))
        #expect(payload["droppedFields"] == nil && payload["secret"] == nil)
        let all = try ReplayHarness.get(try router(), "/api/v1/namespaces/em/secrets").json
        #expect(ReplayHarness.names(all) == ["sh.helm.release.v1.em-runtime.v1", "sh.helm.release.v1.em-runtime.v2"])
    }

    @Test func aSecretTheBundleHoldsIsNotDuplicated() throws {
        let held = #"{"kind": "SecretList", "items": [{"metadata": {"name": "sh.helm.release.v1.em-runtime.v2", "namespace": "em", "labels": {"owner": "helm"}}, "type": "helm.sh/release.v1"}]}"#
        let list = try ReplayHarness.get(try router(secrets: held), "/api/v1/namespaces/em/secrets?labelSelector=owner%3Dhelm").json
        #expect(ReplayHarness.names(list) == ["sh.helm.release.v1.em-runtime.v1", "sh.helm.release.v1.em-runtime.v2"])
        #expect(list["items"]?[1]?[path: "metadata.annotations"] == nil)  // the stored one, not a rebuilt one
    }
}
