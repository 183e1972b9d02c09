import Foundation

/// The pods, containers, events and other objects of a bundle, read once through `BundleDirectory` and shared by
/// every condition. Namespaces are those present under `api/v1/namespaces/`.
struct ClusterSnapshot: Sendable {
    struct Container: Sendable {
        var name: String
        var isInit: Bool
        /// `status.containerStatuses[]` / `initContainerStatuses[]` entry, if the kubelet reported one.
        var status: JSONValue?
        /// Command and args from the pod spec, joined by spaces.
        var command: String
    }

    struct Pod: Sendable {
        var namespace: String
        var name: String
        var labels: [String: String]
        var json: JSONValue
        /// The List file the pod came from.
        var path: String
        var component: String?
        var containers: [Container]

        var ref: ResourceRef { ResourceRef(kind: "Pod", namespace: namespace, name: name) }
    }

    /// One object of a stored List, with the file it came from.
    struct Item: Sendable {
        var namespace: String?
        var json: JSONValue
        var path: String
    }

    let bundle: BundleDirectory
    let namespaces: [String]
    let pods: [Pod]
    let events: [Item]
    /// "Now" for durations: the manifest's `createdAt`, else the newest time stored in pods and events.
    let referenceTime: Date?
    let components: [Component]

    init(bundle: BundleDirectory, components: [Component], referenceTime: Date? = nil) {
        self.bundle = bundle
        self.components = components
        let namespaceRoot = "api/v1/namespaces"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: bundle.url(namespaceRoot).path)) ?? []
        namespaces = names.filter { bundle.exists("\(namespaceRoot)/\($0)/") }.sorted()
        var pods: [Pod] = []
        for item in Self.items(bundle, .pods, namespaces: namespaces) {
            let metadata = item.json["metadata"]
            guard let name = metadata?["name"]?.string else { continue }
            let namespace = metadata?["namespace"]?.string ?? item.namespace ?? ""
            let labels = (metadata?["labels"]?.object ?? [:]).compactMapValues(\.string)
            pods.append(Pod(
                namespace: namespace, name: name, labels: labels, json: item.json, path: item.path,
                component: Self.component(of: name, labels: labels, in: components),
                containers: Self.containers(item.json)))
        }
        self.pods = pods.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
        events = Self.items(bundle, .events, namespaces: namespaces)
        let manifestTime = (try? bundle.manifest())?.createdAt
        self.referenceTime = referenceTime ?? manifestTime ?? Self.newestTime(pods: self.pods, events: events)
    }

    /// Items of a type from the cluster-wide List and every namespace's List.
    static func items(_ bundle: BundleDirectory, _ type: ResourceType, namespaces: [String]) -> [Item] {
        var out: [Item] = []
        var paths = [(BundleLayout.listPath(type, namespace: nil), String?.none)]
        if type.namespaced {
            let base = String(type.apiPrefix.dropFirst())
            var all = Set(namespaces)
            let typed = (try? FileManager.default.contentsOfDirectory(atPath: bundle.url("\(base)/namespaces").path)) ?? []
            all.formUnion(typed)
            paths += all.sorted().map { (BundleLayout.listPath(type, namespace: $0), Optional($0)) }
        }
        for (path, namespace) in paths where bundle.exists(path) {
            guard let list = try? bundle.json(path) else { continue }
            out += list["items"].map(\.array)?.map { Item(namespace: namespace, json: $0, path: path) } ?? []
        }
        return out
    }

    func items(_ type: ResourceType) -> [Item] { Self.items(bundle, type, namespaces: namespaces) }

    static func containers(_ pod: JSONValue) -> [Container] {
        var out: [Container] = []
        for (specKey, statusKey, isInit) in [("initContainers", "initContainerStatuses", true), ("containers", "containerStatuses", false)] {
            let statuses = pod[path: "status.\(statusKey)"]?.array ?? []
            for spec in pod[path: "spec.\(specKey)"]?.array ?? [] {
                guard let name = spec["name"]?.string else { continue }
                let words = ((spec["command"]?.array ?? []) + (spec["args"]?.array ?? [])).compactMap(\.string)
                out.append(Container(
                    name: name, isInit: isInit, status: statuses.first { $0["name"]?.string == name },
                    command: words.joined(separator: " ")))
            }
        }
        return out
    }

    /// The first component (in start-up order) whose pattern is found in the name or the usual app labels.
    static func component(of name: String, labels: [String: String], in components: [Component]) -> String? {
        let candidates = [labels["app.kubernetes.io/name"], labels["app"], labels["app.kubernetes.io/instance"], name].compactMap { $0 }
        for component in components {
            guard let regex = try? component.match.compile(ignoreCase: true) else { continue }
            if candidates.contains(where: { regex.match($0) != nil }) { return component.name }
        }
        return nil
    }

    /// Maps a dependency name (`postgresql`, `em-runtime-postgresql:5432`) to a component.
    func component(forDependency name: String) -> String? {
        Self.component(of: name, labels: [:], in: components)
    }

    /// The position of a component in start-up order (unknown components after all known ones).
    func order(of component: String?) -> Int {
        guard let component, let index = components.firstIndex(where: { $0.name == component }) else {
            return components.count
        }
        return index
    }

    static func newestTime(pods: [Pod], events: [Item]) -> Date? {
        var newest: Date?
        func consider(_ value: JSONValue?) {
            guard let date = KubeTime.parse(value?.string) else { return }
            if newest.map({ date > $0 }) ?? true { newest = date }
        }
        for pod in pods {
            consider(pod.json[path: "status.startTime"])
            for condition in pod.json[path: "status.conditions"]?.array ?? [] { consider(condition["lastTransitionTime"]) }
            for container in pod.containers {
                for state in ["state", "lastState"] {
                    for phase in ["running", "terminated", "waiting"] {
                        consider(container.status?[path: "\(state).\(phase).startedAt"])
                        consider(container.status?[path: "\(state).\(phase).finishedAt"])
                    }
                }
            }
        }
        for event in events {
            consider(event.json["lastTimestamp"])
            consider(event.json["eventTime"])
            consider(event.json["firstTimestamp"])
        }
        return newest
    }
}
