import EMDiagCore
import Foundation

/// A small bundle in the bundle layout, written by tests of `APIRouter` and `emdiag serve`: pods in every
/// STATUS the printer distinguishes, events, a Secret, an Argo CD Application, a Deployment, a Node, a second
/// namespace, and logs (with and without stored timestamps).
package enum ReplayTestBundle {
    package static let namespace = "em"
    /// The clock the expected ages are computed against.
    package static let now = Date(timeIntervalSince1970: 1_740_830_400)  // 2025-03-01T12:00:00Z

    package static let crashLoopPod = "governance-5d8f7c9b6-x2k4p"
    package static let initPod = "assets-6c7d8e9f0-abcde"
    package static let databasePod = "postgresql-0"
    package static let initCrashPod = "keycloak-0"
    package static let completedPod = "em-runtime-migrate-7xk2q"
    package static let configErrorPod = "utils-5f6d7c8b9-qwert"
    package static let terminatingPod = "openfga-0"
    package static let pendingPod = "infisical-7b8c9d0e1-zxcvb"
    package static let otherNamespacePod = "other-0"

    /// The stored previous log of the crash-looping pod (no timestamps: served byte for byte).
    package static let previousLog = "2025-03-01 11:54:59 INFO starting governance\nsqlalchemy.exc.OperationalError: connection refused\n"
    /// The stored current log of the crash-looping pod, collected with timestamps.
    package static let currentLogStored = """
        2025-03-01T11:59:58.123456789Z INFO starting governance
        2025-03-01T11:59:59.000000001Z ERROR database "em" does not exist
        2025-03-01T11:59:59.500000000Z exiting with code 1

        """
    /// `currentLogStored` as the API returns it without `timestamps=true`.
    package static let currentLogPlain = """
        INFO starting governance
        ERROR database "em" does not exist
        exiting with code 1

        """
    package static let postgresLog = "LOG:  database system is ready to accept connections\n"
    package static let baseURL = "https://em.example.test"

    /// Writes the bundle into a fresh temporary folder and returns it.
    package static func make() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("emdiag-replay-\(UUID().uuidString)")
        try write(to: root)
        return root
    }

    /// Writes the bundle below `root`.
    package static func write(to root: URL) throws {
        let files: [String: String] = [
            "manifest.json": manifest,
            "api/v1/namespaces/em/pods.json": list("PodList", pods),
            "api/v1/namespaces/other/pods.json": list("PodList", [pod(otherNamespacePod, namespace: "other", status: running("app"))]),
            "api/v1/namespaces/em/events.json": list("EventList", events),
            "api/v1/namespaces/em/secrets.json": list("SecretList", [secret]),
            "api/v1/nodes.json": list("NodeList", [#"{"metadata":{"name":"node-1","creationTimestamp":"\#(ago(86400 * 3))"}}"#]),
            "apis/apps/v1/namespaces/em/deployments.json": list("DeploymentList", [
                #"{"metadata":{"name":"governance","namespace":"em","creationTimestamp":"\#(ago(7200))","labels":{"app.kubernetes.io/name":"governance"}},"spec":{"replicas":1}}"#
            ]),
            "apis/argoproj.io/v1alpha1/namespaces/argocd/applications.json": list("ApplicationList", [
                #"{"apiVersion":"argoproj.io/v1alpha1","kind":"Application","metadata":{"name":"em-runtime","namespace":"argocd","creationTimestamp":"\#(ago(86400))"},"status":{"sync":{"status":"Synced"},"health":{"status":"Degraded"}}}"#
            ]),
            BundleLayout.logPath(namespace: namespace, pod: crashLoopPod, container: "governance", previous: true): previousLog,
            BundleLayout.logPath(namespace: namespace, pod: crashLoopPod, container: "governance", previous: false): currentLogStored,
            BundleLayout.logPath(namespace: namespace, pod: databasePod, container: "postgresql", previous: false): postgresLog,
            BundleLayout.logPath(namespace: namespace, pod: terminatingPod, container: "openfga", previous: false): "openfga up\n",
        ]
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
    }

    private static func ago(_ seconds: TimeInterval) -> String {
        now.addingTimeInterval(-seconds).formatted(Date.ISO8601FormatStyle())
    }

    private static func list(_ kind: String, _ items: [String]) -> String {
        #"{"apiVersion":"v1","kind":"\#(kind)","metadata":{"resourceVersion":"42"},"items":[\#(items.joined(separator: ","))]}"#
    }

    private static var manifest: String {
        let current = BundleLayout.logPath(namespace: namespace, pod: crashLoopPod, container: "governance", previous: false)
        let missing = BundleLayout.logPath(namespace: namespace, pod: initPod, container: "assets", previous: false)
        return """
            {"schemaVersion":1,"tool":{"name":"emdiag","version":"test"},"createdAt":"\(ago(0))",
             "target":{"namespace":"em","release":"em-runtime"},"partial":false,"redaction":{"enabled":true,"rules":[]},
             "playbooks":[],"files":[{"path":"\(current)","size":0,"sha256":"","timestamps":true}],
             "collection":[{"item":"logs Pod/em/\(initPod) container=assets","path":"\(missing)","status":"error",
                            "reason":"container \\"assets\\" in pod \\"\(initPod)\\" is waiting to start: PodInitializing"}]}
            """
    }

    private static func pod(
        _ name: String, namespace: String = "em", labels: String = "{}", spec: String = #"{"containers":[{"name":"app"}]}"#,
        status: String, extraMetadata: String = ""
    ) -> String {
        #"{"metadata":{"name":"\#(name)","namespace":"\#(namespace)","uid":"uid-\#(name)","creationTimestamp":"\#(ago(3600))","labels":\#(labels)\#(extraMetadata)},"spec":\#(spec),"status":\#(status)}"#
    }

    private static func running(_ container: String) -> String {
        #"{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"\#(container)","ready":true,"restartCount":0,"state":{"running":{"startedAt":"\#(ago(3000))"}}}]}"#
    }

    private static var pods: [String] {
        let waitFor = ["wait-for-postgresql", "wait-for-redis", "wait-for-keycloak"]
        let initSpec = waitFor.map { #"{"name":"\#($0)"}"# }.joined(separator: ",")
        return [
            pod(
                crashLoopPod, labels: #"{"app.kubernetes.io/name":"governance","app.kubernetes.io/component":"api"}"#,
                spec: #"{"containers":[{"name":"governance","image":"em/governance:2.4.0"}],"nodeName":"node-1"}"#,
                status: #"{"phase":"Running","podIP":"10.0.0.7","containerStatuses":[{"name":"governance","ready":false,"restartCount":5,"state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 2m40s restarting failed container"}},"lastState":{"terminated":{"exitCode":1,"reason":"Error","finishedAt":"\#(ago(300))"}}}]}"#),
            pod(
                initPod, labels: #"{"app.kubernetes.io/name":"assets"}"#,
                spec: #"{"initContainers":[\#(initSpec)],"containers":[{"name":"assets"}]}"#,
                status: #"{"phase":"Pending","initContainerStatuses":[{"name":"wait-for-postgresql","ready":false,"restartCount":0,"state":{"running":{"startedAt":"\#(ago(3500))"}}},{"name":"wait-for-redis","ready":false,"restartCount":0,"state":{"waiting":{"reason":"PodInitializing"}}},{"name":"wait-for-keycloak","ready":false,"restartCount":0,"state":{"waiting":{"reason":"PodInitializing"}}}],"containerStatuses":[{"name":"assets","ready":false,"restartCount":0,"state":{"waiting":{"reason":"PodInitializing"}}}]}"#),
            pod(
                databasePod, labels: #"{"app.kubernetes.io/name":"postgresql","app.kubernetes.io/component":"database"}"#,
                spec: #"{"containers":[{"name":"postgresql"}],"nodeName":"node-1"}"#, status: running("postgresql")),
            pod(
                initCrashPod, labels: #"{"app.kubernetes.io/name":"keycloak"}"#,
                spec: #"{"initContainers":[{"name":"wait-for-postgresql"}],"containers":[{"name":"keycloak"}]}"#,
                status: #"{"phase":"Pending","initContainerStatuses":[{"name":"wait-for-postgresql","ready":false,"restartCount":3,"state":{"waiting":{"reason":"CrashLoopBackOff"}},"lastState":{"terminated":{"exitCode":1,"reason":"Error","finishedAt":"\#(ago(90))"}}}],"containerStatuses":[{"name":"keycloak","ready":false,"restartCount":0,"state":{"waiting":{"reason":"PodInitializing"}}}]}"#),
            pod(
                completedPod, labels: #"{"app.kubernetes.io/name":"migrate"}"#, spec: #"{"containers":[{"name":"migrate"}]}"#,
                status: #"{"phase":"Succeeded","containerStatuses":[{"name":"migrate","ready":false,"restartCount":0,"state":{"terminated":{"exitCode":0,"reason":"Completed","finishedAt":"\#(ago(3000))"}}}]}"#),
            pod(
                configErrorPod, labels: #"{"app.kubernetes.io/name":"utils"}"#, spec: #"{"containers":[{"name":"utils"}]}"#,
                status: #"{"phase":"Pending","containerStatuses":[{"name":"utils","ready":false,"restartCount":0,"state":{"waiting":{"reason":"CreateContainerConfigError","message":"secret \"em-runtime-secrets\" not found"}}}]}"#),
            pod(
                terminatingPod, labels: #"{"app.kubernetes.io/name":"openfga"}"#,
                spec: #"{"containers":[{"name":"openfga"},{"name":"sidecar"}]}"#,
                status: #"{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"openfga","ready":true,"restartCount":0,"state":{"running":{}}},{"name":"sidecar","ready":true,"restartCount":0,"state":{"running":{}}}]}"#,
                extraMetadata: #","deletionTimestamp":"\#(ago(10))""#),
            pod(pendingPod, labels: #"{"app.kubernetes.io/name":"infisical"}"#, status: #"{"phase":"Pending"}"#),
        ]
    }

    private static var events: [String] {
        [
            #"{"metadata":{"name":"\#(crashLoopPod).1","namespace":"em"},"involvedObject":{"kind":"Pod","name":"\#(crashLoopPod)","namespace":"em","uid":"uid-\#(crashLoopPod)","fieldPath":"spec.containers{governance}"},"reason":"BackOff","message":"Back-off restarting failed container governance","type":"Warning","count":12,"firstTimestamp":"\#(ago(3000))","lastTimestamp":"\#(ago(30))","source":{"component":"kubelet","host":"node-1"}}"#,
            #"{"metadata":{"name":"\#(databasePod).1","namespace":"em"},"involvedObject":{"kind":"Pod","name":"\#(databasePod)","namespace":"em","uid":"uid-\#(databasePod)"},"reason":"Pulled","message":"Container image already present on machine ","type":"Normal","firstTimestamp":"\#(ago(3500))","lastTimestamp":null,"source":{"component":"kubelet"}}"#,
        ]
    }

    private static var secret: String {
        let encoded = Data(baseURL.utf8).base64EncodedString()
        return #"{"metadata":{"name":"em-runtime-secrets","namespace":"em","creationTimestamp":"\#(ago(86400))"},"type":"Opaque","data":{"base-url":"\#(encoded)","database-password":"cmVkYWN0ZWQ="}}"#
    }
}
