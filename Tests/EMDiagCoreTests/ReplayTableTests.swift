import EMDiagCore
import EMDiagTestSupport
import Foundation
import Testing

@Suite struct ReplayTableTests {
    let router: APIRouter
    init() throws { router = try ReplayHarness.router() }

    /// Row cells by pod name, from the Table kubectl asks for.
    private func podRows() throws -> [String: [String]] {
        let (status, table) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods?limit=500", accept: ReplayHarness.tableAccept)
        #expect(status == 200)
        #expect(table["kind"]?.string == "Table")
        #expect(table["apiVersion"]?.string == "meta.k8s.io/v1")
        var rows: [String: [String]] = [:]
        for row in table["rows"]?.array ?? [] {
            let cells = row["cells"]?.array.compactMap(\.string) ?? []
            if let name = cells.first { rows[name] = cells }
        }
        return rows
    }

    @Test func podColumnsAreThoseOfKubectl() throws {
        let (_, table) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods", accept: ReplayHarness.tableAccept)
        let columns = table["columnDefinitions"]?.array ?? []
        let visible = columns.filter { $0["priority"]?.int == 0 }.compactMap { $0["name"]?.string }
        #expect(visible == ["Name", "Ready", "Status", "Restarts", "Age"])
        #expect(columns.first?["format"]?.string == "name")
        let wide = columns.filter { $0["priority"]?.int == 1 }.compactMap { $0["name"]?.string }
        #expect(wide.contains("Node"))
    }

    @Test(arguments: [
        (ReplayTestBundle.crashLoopPod, "0/1", "CrashLoopBackOff", "5 (5m ago)"),
        (ReplayTestBundle.initPod, "0/1", "Init:0/3", "0"),
        (ReplayTestBundle.databasePod, "1/1", "Running", "0"),
        (ReplayTestBundle.initCrashPod, "0/1", "Init:CrashLoopBackOff", "3 (90s ago)"),
        (ReplayTestBundle.completedPod, "0/1", "Completed", "0"),
        (ReplayTestBundle.configErrorPod, "0/1", "CreateContainerConfigError", "0"),
        (ReplayTestBundle.terminatingPod, "2/2", "Terminating", "0"),
        (ReplayTestBundle.pendingPod, "0/1", "Pending", "0"),
    ])
    func podStatusCellsMatchThePrinter(pod: String, ready: String, status: String, restarts: String) throws {
        let row = try podRows()[pod]
        #expect(row?[1] == ready)
        #expect(row?[2] == status)
        #expect(row?[3] == restarts)
        #expect(row?[4] == "60m")
    }

    @Test func rowsCarryPartialObjectMetadataUnlessAskedOtherwise() throws {
        let (_, table) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods/\(ReplayTestBundle.databasePod)", accept: ReplayHarness.tableAccept)
        let object = table["rows"]?[0]?["object"]
        #expect(object?["kind"]?.string == "PartialObjectMetadata")
        #expect(object?[path: "metadata.labels"]?["app.kubernetes.io/component"]?.string == "database")
        #expect(object?["spec"] == nil)
        let (_, none) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods?includeObject=None", accept: ReplayHarness.tableAccept)
        #expect(none["rows"]?[0]?["object"] == nil)
        let (_, full) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods?includeObject=Object", accept: ReplayHarness.tableAccept)
        #expect(full["rows"]?[0]?["object"]?["spec"] != nil)
    }

    @Test func eventsTableShowsLastSeenTypeReasonObjectMessage() throws {
        let (_, table) = try ReplayHarness.get(router, "/api/v1/namespaces/em/events", accept: ReplayHarness.tableAccept)
        let columns = table["columnDefinitions"]?.array ?? []
        #expect(columns.filter { $0["priority"]?.int == 0 }.compactMap { $0["name"]?.string } == ["Last Seen", "Type", "Reason", "Object", "Message"])
        let cells = table["rows"]?.array.map { $0["cells"]?.array ?? [] } ?? []
        #expect(cells.count == 2)
        let backOff = cells.first { $0[2].string == "BackOff" } ?? []
        #expect(backOff.map { $0.string ?? "\($0.int ?? -1)" } == [
            "30s", "Warning", "BackOff", "pod/\(ReplayTestBundle.crashLoopPod)", "spec.containers{governance}", "kubelet, node-1",
            "Back-off restarting failed container governance", "50m", "12", "\(ReplayTestBundle.crashLoopPod).1",
        ])
        let pulled = cells.first { $0[2].string == "Pulled" } ?? []
        #expect(pulled.first?.string == "58m")  // no lastTimestamp: first seen
        #expect(pulled[6].string == "Container image already present on machine")
        #expect(pulled[8].int == 1)  // no count: a singleton
    }

    /// The router picks the kind's printer (the CRD's printer columns for Argo CD; NAME/AGE for kinds without one:
    /// `ReplayPrinterTests`).
    @Test func argoApplicationsShowSyncAndHealthThroughTheRouter() throws {
        let (_, table) = try ReplayHarness.get(router, "/apis/argoproj.io/v1alpha1/applications", accept: ReplayHarness.tableAccept)
        #expect(table["columnDefinitions"]?.array.compactMap { $0["name"]?.string } == ["Name", "Sync Status", "Health Status", "Revision", "Project"])
        #expect(table["rows"]?[0]?["cells"]?.array.prefix(3) == [.string("em-runtime"), .string("Synced"), .string("Degraded")])
    }

    @Test func plainJSONWhenTableIsNotAsked() throws {
        let (_, list) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods", accept: "application/json, */*")
        #expect(list["kind"]?.string == "PodList")
    }

    static let durations: [(Double, String)] = [
        (0, "0s"), (-1.5, "0s"), (-5, "<invalid>"), (119, "119s"), (120, "2m"), (150, "2m30s"), (600, "10m"),
        (10_800, "3h"), (10_860, "3h1m"), (36_000, "10h"), (180_000, "2d2h"), (172_800, "2d"),
        (864_000, "10d"), (69_120_000, "2y70d"), (315_360_000, "10y"),
    ]

    @Test(arguments: durations)
    func humanDurationMatchesApimachinery(seconds: Double, expected: String) {
        #expect(KubeTime.humanDuration(seconds) == expected)
    }
}

/// The columns of the other kinds a bundle holds: what `kubectl get deploy,svc,pvc,nodes,...` shows.
@Suite struct ReplayPrinterTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let created = "2027-01-15T06:40:00Z"  // 80 minutes before `now`

    /// (visible column names, the cells of each object) of the Table for `objects` of `type`.
    func table(_ type: ResourceType, _ objects: [String], wide: Bool = false) throws -> (columns: [String], rows: [[String]]) {
        let parsed = try objects.map { try JSONValue.parse(Array($0.utf8)) }
        let table = TableBuilder(now: Self.now).table(type: type, objects: parsed, listMetadata: [:])
        let definitions = table["columnDefinitions"]?.array ?? []
        let shown = definitions.indices.filter { wide || definitions[$0]["priority"]?.int == 0 }
        let rows = (table["rows"]?.array ?? []).map { row in
            let cells = row["cells"]?.array.compactMap(\.string) ?? []
            return shown.map { $0 < cells.count ? cells[$0] : "?" }
        }
        #expect((table["rows"]?.array ?? []).allSatisfy { ($0["cells"]?.array.count ?? 0) == definitions.count })
        return (shown.compactMap { definitions[$0]["name"]?.string }, rows)
    }

    func meta(_ name: String, _ extra: String = "") -> String {
        #""metadata": {"name": "\#(name)", "creationTimestamp": "\#(Self.created)"\#(extra)}"#
    }

    @Test func deploymentsShowReadyUpToDateAvailable() throws {
        let type = ResourceType(group: "apps", version: "v1", resource: "deployments", kind: "Deployment")
        let deployment = #"{\#(meta("governance")), "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "governance"}}, "template": {"spec": {"containers": [{"name": "app", "image": "em/governance:2.4"}]}}}, "status": {"readyReplicas": 1, "updatedReplicas": 2, "availableReplicas": 1}}"#
        let scaledDown = #"{\#(meta("utils")), "spec": {"replicas": 0}, "status": {}}"#
        let (columns, rows) = try table(type, [deployment, scaledDown])
        #expect(columns == ["Name", "Ready", "Up-to-date", "Available", "Age"])
        #expect(rows == [["governance", "1/2", "2", "1", "80m"], ["utils", "0/0", "0", "0", "80m"]])
        #expect(try table(type, [deployment], wide: true).rows[0].suffix(3) == ["app", "em/governance:2.4", "app=governance"])
    }

    @Test func servicesShowTypeAddressesAndPorts() throws {
        let type = ResourceType(group: "", version: "v1", resource: "services", kind: "Service")
        let (columns, rows) = try table(type, [
            #"{\#(meta("db")), "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.12", "ports": [{"port": 5432, "protocol": "TCP"}]}}"#,
            #"{\#(meta("db-headless")), "spec": {"clusterIP": "None", "ports": [{"port": 5432}]}}"#,
            #"{\#(meta("gw")), "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.40", "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 443, "nodePort": 30443, "protocol": "TCP"}]}, "status": {"loadBalancer": {}}}"#,
            #"{\#(meta("ext")), "spec": {"type": "ExternalName", "externalName": "db.example.com"}}"#,
        ])
        #expect(columns == ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"])
        #expect(rows == [
            ["db", "ClusterIP", "10.96.0.12", "<none>", "5432/TCP", "80m"],
            ["db-headless", "ClusterIP", "None", "<none>", "5432/TCP", "80m"],
            ["gw", "LoadBalancer", "10.96.0.40", "<pending>", "80:30080/TCP,443:30443/TCP", "80m"],
            ["ext", "ExternalName", "<none>", "db.example.com", "<none>", "80m"],
        ])
    }

    @Test func claimsSecretsConfigMapsAndEndpoints() throws {
        let pvc = ResourceType(group: "", version: "v1", resource: "persistentvolumeclaims", kind: "PersistentVolumeClaim")
        let claims = try table(pvc, [
            #"{\#(meta("data-postgresql-0")), "spec": {"volumeName": "pvc-1f2e", "storageClassName": "standard"}, "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "8Gi"}}}"#,
            #"{\#(meta("redis-data", #", "deletionTimestamp": "2027-01-14T08:10:00Z""#)), "spec": {"storageClassName": "fast"}, "status": {"phase": "Pending"}}"#,
        ])
        #expect(claims.columns == ["Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass", "VolumeAttributesClass", "Age"])
        #expect(claims.rows == [
            ["data-postgresql-0", "Bound", "pvc-1f2e", "8Gi", "RWO", "standard", "<unset>", "80m"],
            ["redis-data", "Terminating", "", "", "", "fast", "<unset>", "80m"],
        ])
        let secret = ResourceType(group: "", version: "v1", resource: "secrets", kind: "Secret")
        #expect(try table(secret, [#"{\#(meta("em-runtime-secrets")), "type": "Opaque", "data": {"base-url": "eA==", "AUTH_SECRET": "eQ=="}}"#]).rows
            == [["em-runtime-secrets", "Opaque", "2", "80m"]])
        let configMap = ResourceType(group: "", version: "v1", resource: "configmaps", kind: "ConfigMap")
        #expect(try table(configMap, [#"{\#(meta("cfg")), "data": {"a": "1"}, "binaryData": {"b": "AA=="}}"#]).rows == [["cfg", "2", "80m"]])
        let endpoints = ResourceType(group: "", version: "v1", resource: "endpoints", kind: "Endpoints")
        let addresses = (1...5).map { #"{"ip": "10.0.0.\#($0)"}"# }.joined(separator: ",")
        #expect(try table(endpoints, [
            #"{\#(meta("db")), "subsets": [{"addresses": [\#(addresses)], "ports": [{"port": 5432}]}]}"#, #"{\#(meta("none"))}"#,
        ]).rows == [["db", "10.0.0.1:5432,10.0.0.2:5432,10.0.0.3:5432 + 2 more...", "80m"], ["none", "<none>", "80m"]])
    }

    @Test func nodesNamespacesAndArgoApplications() throws {
        let node = ResourceType(group: "", version: "v1", resource: "nodes", kind: "Node", namespaced: false)
        let nodes = try table(node, [
            #"{\#(meta("cp-1", #", "labels": {"node-role.kubernetes.io/control-plane": ""}"#)), "status": {"conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": {"kubeletVersion": "v1.32.4"}}}"#,
            #"{\#(meta("worker-2")), "spec": {"unschedulable": true}, "status": {"conditions": [{"type": "Ready", "status": "False"}], "nodeInfo": {"kubeletVersion": "v1.32.4"}}}"#,
        ])
        #expect(nodes.columns == ["Name", "Status", "Roles", "Age", "Version"])
        #expect(nodes.rows == [["cp-1", "Ready", "control-plane", "80m", "v1.32.4"], ["worker-2", "NotReady,SchedulingDisabled", "<none>", "80m", "v1.32.4"]])
        let namespace = ResourceType(group: "", version: "v1", resource: "namespaces", kind: "Namespace", namespaced: false)
        #expect(try table(namespace, [#"{\#(meta("em")), "status": {"phase": "Active"}}"#]).rows == [["em", "Active", "80m"]])
        let application = ResourceType(group: "argoproj.io", version: "v1alpha1", resource: "applications", kind: "Application")
        let apps = try table(application, [#"{\#(meta("em-runtime")), "spec": {"project": "default"}, "status": {"sync": {"status": "OutOfSync", "revision": "b845bb0"}, "health": {"status": "Degraded"}}}"#])
        #expect(apps.columns == ["Name", "Sync Status", "Health Status"])
        #expect(apps.rows == [["em-runtime", "OutOfSync", "Degraded"]])
        // A kind without a printer keeps NAME/AGE.
        let other = ResourceType(group: "batch", version: "v1", resource: "jobs", kind: "Job")
        #expect(try table(other, [#"{\#(meta("migrate"))}"#]) == (["Name", "Age"], [["migrate", "80m"]]))
    }
}
