import Foundation

/// The columns `kubectl get` shows for the other kinds a bundle holds, as a v1.32 API server prints them
/// (`pkg/printers/internalversion` for built-in kinds, the CRDs' `additionalPrinterColumns` for Argo CD and the
/// Gateway API). Columns of priority 1 appear with `-o wide`.
extension TableBuilder {
    /// A kind's columns and how one object fills them.
    struct Printer: Sendable {
        var columns: [Column]
        var cells: @Sendable (_ object: JSONValue, _ now: Date) -> [String]
    }

    /// The printer of `type`, or nil for NAME/AGE.
    static func printer(for type: ResourceType) -> Printer? {
        switch (type.group, type.resource) {
        case ("apps", "deployments"): deployments
        case ("apps", "statefulsets"): statefulSets
        case ("apps", "replicasets"): replicaSets
        case ("", "services"): services
        case ("", "endpoints"): endpoints
        case ("", "secrets"): secrets
        case ("", "configmaps"): configMaps
        case ("", "persistentvolumeclaims"): persistentVolumeClaims
        case ("", "nodes"): nodes
        case ("", "namespaces"): namespaces
        case ("argoproj.io", "applications"): argoApplications
        case ("gateway.networking.k8s.io", "gateways"): gateways
        case ("gateway.networking.k8s.io", "httproutes"): httpRoutes
        default: nil
        }
    }

    // MARK: workloads

    static let deployments = Printer(
        columns: [
            nameColumn, Column(name: "Ready"), Column(name: "Up-to-date"),
            Column(name: "Available"), ageColumn,
        ] + templateColumns(selector: true),
        cells: { d, now in
            [
                name(d), "\(int(d, "status.readyReplicas"))/\(int(d, "spec.replicas", default: 1))",
                "\(int(d, "status.updatedReplicas"))", "\(int(d, "status.availableReplicas"))", age(d, now),
            ] + templateCells(d, selector: true)
        })

    static let statefulSets = Printer(
        columns: [nameColumn, Column(name: "Ready"), ageColumn] + templateColumns(selector: false),
        cells: { s, now in
            [name(s), "\(int(s, "status.readyReplicas"))/\(int(s, "spec.replicas", default: 1))", age(s, now)]
                + templateCells(s, selector: false)
        })

    static let replicaSets = Printer(
        columns: [
            nameColumn, Column(name: "Desired"), Column(name: "Current"),
            Column(name: "Ready"), ageColumn,
        ] + templateColumns(selector: true),
        cells: { r, now in
            [
                name(r), "\(int(r, "spec.replicas", default: 1))", "\(int(r, "status.replicas"))",
                "\(int(r, "status.readyReplicas"))", age(r, now),
            ] + templateCells(r, selector: true)
        })

    static func templateColumns(selector: Bool) -> [Column] {
        [Column(name: "Containers", priority: 1), Column(name: "Images", priority: 1)]
            + (selector ? [Column(name: "Selector", priority: 1)] : [])
    }

    static func templateCells(_ object: JSONValue, selector: Bool) -> [String] {
        let containers = object[path: "spec.template.spec.containers"]?.array ?? []
        let cells = [
            containers.compactMap { $0["name"]?.string }.joined(separator: ","),
            containers.compactMap { $0["image"]?.string }.joined(separator: ","),
        ]
        guard selector else { return cells }
        return cells + [labelSelector(object[path: "spec.selector"])]
    }

    /// `k=v` for each label of a map (`matchLabels`, a Service's `selector`), sorted by key.
    static func labelPairs(_ labels: JSONValue?) -> [String] {
        (labels?.object ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.string ?? "")" }
    }

    /// `metav1.FormatLabelSelector`: `k=v,k in (a,b)`, `<none>` for an empty one.
    static func labelSelector(_ selector: JSONValue?) -> String {
        var parts = labelPairs(selector?["matchLabels"])
        for expression in selector?["matchExpressions"]?.array ?? [] {
            let key = expression["key"]?.string ?? ""
            let values = (expression["values"]?.array ?? []).compactMap(\.string).joined(separator: ",")
            switch expression["operator"]?.string ?? "" {
            case "In": parts.append("\(key) in (\(values))")
            case "NotIn": parts.append("\(key) notin (\(values))")
            case "Exists": parts.append(key)
            case "DoesNotExist": parts.append("!\(key)")
            default: continue
            }
        }
        return parts.isEmpty ? "<none>" : parts.joined(separator: ",")
    }

    // MARK: networking

    static let services = Printer(
        columns: [
            nameColumn, Column(name: "Type"), Column(name: "Cluster-IP"), Column(name: "External-IP"),
            Column(name: "Port(s)"), ageColumn, Column(name: "Selector", priority: 1),
        ],
        cells: { s, now in
            let type = s[path: "spec.type"]?.string ?? "ClusterIP"
            let clusterIP = s[path: "spec.clusterIP"]?.string ?? ""
            let ports = (s[path: "spec.ports"]?.array ?? []).map { port -> String in
                let number = port["port"]?.int ?? 0
                let proto = port["protocol"]?.string ?? "TCP"
                if let nodePort = port["nodePort"]?.int, nodePort > 0 { return "\(number):\(nodePort)/\(proto)" }
                return "\(number)/\(proto)"
            }
            let selector = labelPairs(s[path: "spec.selector"]).joined(separator: ",")
            return [
                name(s), type, clusterIP.isEmpty ? "<none>" : clusterIP, externalIP(s, type: type),
                ports.isEmpty ? "<none>" : ports.joined(separator: ","), age(s, now),
                selector.isEmpty ? "<none>" : selector,
            ]
        })

    /// `getServiceExternalIP` of kubectl's printer.
    static func externalIP(_ service: JSONValue, type: String) -> String {
        let external = (service[path: "spec.externalIPs"]?.array ?? []).compactMap(\.string)
        let ingress = (service[path: "status.loadBalancer.ingress"]?.array ?? []).compactMap {
            $0["ip"]?.string ?? $0["hostname"]?.string
        }
        switch type {
        case "ExternalName": return service[path: "spec.externalName"]?.string ?? "<none>"
        case "LoadBalancer":
            let all = ingress + external
            return all.isEmpty ? "<pending>" : all.joined(separator: ",")
        default: return external.isEmpty ? "<none>" : external.joined(separator: ",")
        }
    }

    static let endpoints = Printer(
        columns: [nameColumn, Column(name: "Endpoints"), ageColumn],
        cells: { e, now in
            var all: [String] = []
            for subset in e["subsets"]?.array ?? [] {
                let ports = (subset["ports"]?.array ?? []).compactMap { $0["port"]?.int }
                for address in subset["addresses"]?.array ?? [] {
                    let ip = address["ip"]?.string ?? ""
                    all += ports.isEmpty ? [ip] : ports.map { "\(ip):\($0)" }
                }
            }
            let shown = all.prefix(3).joined(separator: ",") + (all.count > 3 ? " + \(all.count - 3) more..." : "")
            return [name(e), all.isEmpty ? "<none>" : shown, age(e, now)]
        })

    static let gateways = Printer(
        columns: [nameColumn, Column(name: "Class"), Column(name: "Address"), Column(name: "Programmed"), ageColumn],
        cells: { g, now in
            [
                name(g), g[path: "spec.gatewayClassName"]?.string ?? "",
                g[path: "status.addresses"]?[0]?["value"]?.string ?? "", condition(g, "Programmed"), age(g, now),
            ]
        })

    static let httpRoutes = Printer(
        columns: [nameColumn, Column(name: "Hostnames"), ageColumn],
        cells: { r, now in
            let hosts = (r[path: "spec.hostnames"]?.array ?? []).compactMap(\.string)
            return [name(r), hosts.isEmpty ? "" : "[\"\(hosts.joined(separator: "\",\""))\"]", age(r, now)]
        })

    // MARK: configuration and storage

    static let secrets = Printer(
        columns: [nameColumn, Column(name: "Type"), Column(name: "Data"), ageColumn],
        cells: { s, now in
            [name(s), s["type"]?.string ?? "Opaque", "\(s["data"]?.object.count ?? 0)", age(s, now)]
        })

    static let configMaps = Printer(
        columns: [nameColumn, Column(name: "Data"), ageColumn],
        cells: { c, now in
            [name(c), "\((c["data"]?.object.count ?? 0) + (c["binaryData"]?.object.count ?? 0))", age(c, now)]
        })

    static let persistentVolumeClaims = Printer(
        columns: [
            nameColumn, Column(name: "Status"), Column(name: "Volume"), Column(name: "Capacity"),
            Column(name: "Access Modes"), Column(name: "StorageClass"), Column(name: "VolumeAttributesClass"), ageColumn,
            Column(name: "VolumeMode", priority: 1),
        ],
        cells: { p, now in
            let terminating = p[path: "metadata.deletionTimestamp"].map { $0 != .null } ?? false
            let bound = p[path: "spec.volumeName"]?.string.map { !$0.isEmpty } ?? false
            let modes = (p[path: "status.accessModes"]?.array ?? []).compactMap(\.string).map(accessMode)
            return [
                name(p), terminating ? "Terminating" : p[path: "status.phase"]?.string ?? "",
                p[path: "spec.volumeName"]?.string ?? "", bound ? p[path: "status.capacity.storage"]?.string ?? "" : "",
                bound ? modes.joined(separator: ",") : "", p[path: "spec.storageClassName"]?.string ?? "",
                p[path: "spec.volumeAttributesClassName"]?.string ?? "<unset>", age(p, now),
                p[path: "spec.volumeMode"]?.string ?? "<unset>",
            ]
        })

    static func accessMode(_ mode: String) -> String {
        ["ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"][mode] ?? mode
    }

    // MARK: cluster

    static let nodes = Printer(
        columns: [
            nameColumn, Column(name: "Status"), Column(name: "Roles"), ageColumn, Column(name: "Version"),
            Column(name: "Internal-IP", priority: 1), Column(name: "External-IP", priority: 1),
            Column(name: "OS-Image", priority: 1), Column(name: "Kernel-Version", priority: 1),
            Column(name: "Container-Runtime", priority: 1),
        ],
        cells: { n, now in
            let ready = (n[path: "status.conditions"]?.array ?? []).first { $0["type"]?.string == "Ready" }
            var status = ready.map { $0["status"]?.string == "True" ? "Ready" : "NotReady" } ?? "Unknown"
            if n[path: "spec.unschedulable"]?.bool == true { status += ",SchedulingDisabled" }
            let labels = n[path: "metadata.labels"]?.object ?? [:]
            let roles = labels.keys.compactMap { key -> String? in
                if key.hasPrefix("node-role.kubernetes.io/") { return String(key.dropFirst("node-role.kubernetes.io/".count)) }
                if key == "kubernetes.io/role" { return labels[key]?.string }
                return nil
            }.filter { !$0.isEmpty }.sorted()
            let addresses = n[path: "status.addresses"]?.array ?? []
            func address(_ type: String) -> String {
                addresses.first { $0["type"]?.string == type }?["address"]?.string ?? "<none>"
            }
            let info = n[path: "status.nodeInfo"]
            return [
                name(n), status, roles.isEmpty ? "<none>" : roles.joined(separator: ","), age(n, now),
                info?["kubeletVersion"]?.string ?? "", address("InternalIP"), address("ExternalIP"),
                info?["osImage"]?.string ?? "<unknown>", info?["kernelVersion"]?.string ?? "<unknown>",
                info?["containerRuntimeVersion"]?.string ?? "<unknown>",
            ]
        })

    static let namespaces = Printer(
        columns: [nameColumn, Column(name: "Status"), ageColumn],
        cells: { n, now in [name(n), n[path: "status.phase"]?.string ?? "", age(n, now)] })

    static let argoApplications = Printer(
        columns: [
            nameColumn, Column(name: "Sync Status"), Column(name: "Health Status"),
            Column(name: "Revision", priority: 10), Column(name: "Project", priority: 10),
        ],
        cells: { a, _ in
            [
                name(a), a[path: "status.sync.status"]?.string ?? "", a[path: "status.health.status"]?.string ?? "",
                a[path: "status.sync.revision"]?.string ?? "", a[path: "spec.project"]?.string ?? "",
            ]
        })

    // MARK: helpers

    static func int(_ object: JSONValue, _ path: String, default fallback: Int = 0) -> Int {
        object[path: path]?.int ?? fallback
    }

    static func age(_ object: JSONValue, _ now: Date) -> String {
        KubeTime.age(of: object[path: "metadata.creationTimestamp"]?.string, now: now)
    }

    /// The status of the condition `type` in `status.conditions`, or "Unknown".
    static func condition(_ object: JSONValue, _ type: String) -> String {
        (object[path: "status.conditions"]?.array ?? []).first { $0["type"]?.string == type }?["status"]?.string
            ?? "Unknown"
    }
}
