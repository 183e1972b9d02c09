import Foundation

/// The read-only Kubernetes API over a bundle: discovery, get and list with selectors and paging,
/// server-side Tables, pod logs and the API's `Status` errors. Pure (no sockets): `emdiag serve`
/// puts it behind SwiftNIO, tests call `handle` directly.
package struct APIRouter: Sendable {
    package let bundle: BundleDirectory
    package let catalog: ResourceCatalog
    /// The namespace a kubeconfig context should default to (the manifest's target namespace).
    package let defaultNamespace: String?
    private let clock: @Sendable () -> Date
    private let timestampedLogs: Set<String>
    private let collectionIssues: [String: String]

    /// The version answered when the bundle has no `version.json` (the kubectl dispatcher picks its binary from it).
    package static let fallbackVersion: JSONValue = .object([
        "major": .string("1"), "minor": .string("32"), "gitVersion": .string("v1.32.0"),
        "gitCommit": .string(""), "gitTreeState": .string("clean"), "buildDate": .string("1970-01-01T00:00:00Z"),
        "goVersion": .string("go1.23"), "compiler": .string("gc"), "platform": .string("linux/amd64"),
    ])

    /// Loads the bundle's objects.
    /// - Parameters:
    ///   - bundle: an extracted bundle or a Fixtures scenario.
    ///   - clock: the "now" that ages (AGE, "5m ago") are computed against.
    /// - Throws: `BundleError` when the manifest or a List file is not valid JSON.
    package init(bundle: BundleDirectory, clock: @escaping @Sendable () -> Date = { Date() }) throws {
        let manifest = try bundle.manifest()
        self.bundle = bundle
        self.clock = clock
        self.defaultNamespace = manifest?.target.namespace
        self.catalog = try ResourceCatalog(bundle: bundle, defaultNamespace: manifest?.target.namespace)
        self.timestampedLogs = Set(manifest?.files.filter { $0.timestamps == true }.map(\.path) ?? [])
        var issues: [String: String] = [:]
        for issue in manifest?.collection ?? [] {
            if let path = issue.path { issues[path] = issue.reason }
        }
        self.collectionIssues = issues
    }

    /// Answers one request. Never throws: every problem becomes a `Status` answer.
    package func handle(_ request: ReplayRequest) -> ReplayResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return .status(
                405, reason: "MethodNotAllowed",
                message: "\(request.method) \(request.path) is not allowed: emdiag serve answers read-only from a support bundle")
        }
        let parts = request.path.split(separator: "/").map(String.init)
        switch parts.first {
        case "version" where parts.count == 1:
            return .json((try? bundle.json(BundleLayout.version)) ?? Self.fallbackVersion)
        case "api":
            return core(Array(parts.dropFirst()), request)
        case "apis":
            return groups(Array(parts.dropFirst()), request)
        default:
            return Self.notFoundPath
        }
    }

    // MARK: - Paths

    private func core(_ parts: [String], _ request: ReplayRequest) -> ReplayResponse {
        guard let version = parts.first else {
            return .json(.object(["kind": .string("APIVersions"), "versions": .array([.string("v1")])]))
        }
        return resources(group: "", version: version, Array(parts.dropFirst()), request)
    }

    private func groups(_ parts: [String], _ request: ReplayRequest) -> ReplayResponse {
        let groupNames = Array(Set(catalog.types.map(\.group).filter { !$0.isEmpty })).sorted()
        switch parts.count {
        case 0:
            return .json(.object([
                "kind": .string("APIGroupList"), "apiVersion": .string("v1"),
                "groups": .array(groupNames.map(apiGroup)),
            ]))
        case 1:
            return groupNames.contains(parts[0]) ? .json(apiGroup(parts[0])) : Self.notFoundPath
        default:
            return resources(group: parts[0], version: parts[1], Array(parts.dropFirst(2)), request)
        }
    }

    /// Below `/api/v1` or `/apis/<g>/<v>`: discovery, lists, objects and subresources.
    private func resources(group: String, version: String, _ parts: [String], _ request: ReplayRequest) -> ReplayResponse {
        let served = catalog.types.filter { $0.group == group && $0.version == version }
        guard !served.isEmpty else { return Self.notFoundPath }
        guard let first = parts.first else { return .json(resourceList(group: group, version: version, served)) }
        var namespace: String?
        var rest = parts
        if first == "namespaces", parts.count >= 3 {
            namespace = parts[1]
            rest = Array(parts.dropFirst(2))
        }
        guard let type = catalog.type(group: group, version: version, resource: rest[0]),
            namespace == nil || type.namespaced, namespace != nil || !type.namespaced || rest.count == 1
        else { return Self.notFoundPath }
        switch rest.count {
        case 1: return list(type, namespace: namespace, request)
        case 2: return get(type, namespace: namespace, name: rest[1], request)
        case 3 where type == .pods && rest[2] == "log":
            return log(namespace: namespace ?? "default", pod: rest[1], request)
        default: return Self.notFoundPath
        }
    }

    // MARK: - Discovery

    private func apiGroup(_ name: String) -> JSONValue {
        let versions = Array(Set(catalog.types.filter { $0.group == name }.map(\.version))).sorted()
        let entries = versions.map { JSONValue.object(["groupVersion": .string("\(name)/\($0)"), "version": .string($0)]) }
        return .object([
            "kind": .string("APIGroup"), "apiVersion": .string("v1"), "name": .string(name),
            "versions": .array(entries), "preferredVersion": entries.first ?? .null,
        ])
    }

    private func resourceList(group: String, version: String, _ served: [ResourceType]) -> JSONValue {
        var resources: [JSONValue] = []
        for type in served {
            var entry: [String: JSONValue] = [
                "name": .string(type.resource), "singularName": .string(type.kind.lowercased()),
                "namespaced": .bool(type.namespaced), "kind": .string(type.kind),
                "verbs": .array([.string("get"), .string("list")]),
            ]
            if let short = Self.shortNames[type.resource] { entry["shortNames"] = .array(short.map(JSONValue.string)) }
            if Self.allCategory.contains(type.resource) { entry["categories"] = .array([.string("all")]) }
            resources.append(.object(entry))
            if type == .pods {
                resources.append(.object([
                    "name": .string("pods/log"), "singularName": .string(""), "namespaced": .bool(true),
                    "kind": .string("Pod"), "verbs": .array([.string("get")]),
                ]))
            }
        }
        return .object([
            "kind": .string("APIResourceList"), "apiVersion": .string("v1"),
            "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"), "resources": .array(resources),
        ])
    }

    private static let shortNames: [String: [String]] = [
        "pods": ["po"], "services": ["svc"], "configmaps": ["cm"], "events": ["ev"], "endpoints": ["ep"],
        "persistentvolumeclaims": ["pvc"], "namespaces": ["ns"], "nodes": ["no"], "deployments": ["deploy"],
        "statefulsets": ["sts"], "replicasets": ["rs"], "ingresses": ["ing"], "applications": ["app", "apps"],
    ]
    private static let allCategory: Set<String> = ["pods", "services", "deployments", "statefulsets", "replicasets", "jobs"]

    // MARK: - Get and list

    private func list(_ type: ResourceType, namespace: String?, _ request: ReplayRequest) -> ReplayResponse {
        if let watch = request.query["watch"], Self.isTrue(watch) {
            return .status(405, reason: "MethodNotAllowed", message: "watch is not supported: emdiag serve answers from a snapshot")
        }
        var items = catalog.objects(type, namespace: namespace)
        do {
            if let text = request.query["labelSelector"], !text.isEmpty {
                let selector = try LabelSelector(parsing: text)
                items = items.filter { selector.matches(Self.labels($0)) }
            }
            if let text = request.query["fieldSelector"], !text.isEmpty {
                let selector = try FieldSelector(parsing: text)
                items = items.filter(selector.matches)
            }
        } catch {
            return .status(400, reason: "BadRequest", message: "\(error)")
        }
        var metadata: [String: JSONValue] = ["resourceVersion": .string("1")]
        guard let page = Self.paginate(&items, request.query) else {
            return .status(400, reason: "BadRequest", message: "continue key is not valid: \(request.query["continue"] ?? "")")
        }
        if let next = page.continueToken {
            metadata["continue"] = .string(next)
            metadata["remainingItemCount"] = .number(Double(page.remaining))
        }
        if let table = tableBuilder(request) {
            return .json(table.table(type: type, objects: items, listMetadata: metadata))
        }
        return .json(.object([
            "kind": .string(catalog.listKind(type)), "apiVersion": .string(type.groupVersion),
            "metadata": .object(metadata), "items": .array(items),
        ]))
    }

    private func get(_ type: ResourceType, namespace: String?, name: String, _ request: ReplayRequest) -> ReplayResponse {
        guard let object = find(type, namespace: namespace, name: name) else {
            return Self.notFound(type, name: name)
        }
        if let table = tableBuilder(request) {
            return .json(table.table(type: type, objects: [object], listMetadata: ["resourceVersion": .string("1")]))
        }
        return .json(object)
    }

    /// The object with `apiVersion` and `kind` filled in (List items often omit them).
    private func find(_ type: ResourceType, namespace: String?, name: String) -> JSONValue? {
        guard var object = catalog.objects(type, namespace: namespace).first(where: { $0[path: "metadata.name"]?.string == name })?.object
        else { return nil }
        if object["apiVersion"] == nil { object["apiVersion"] = .string(type.groupVersion) }
        if object["kind"] == nil { object["kind"] = .string(type.kind) }
        return .object(object)
    }

    /// A Table builder when the Accept header asks for `as=Table;g=meta.k8s.io`, else nil (plain JSON).
    private func tableBuilder(_ request: ReplayRequest) -> TableBuilder? {
        for entry in request.accept.split(separator: ",") {
            var params: [String: String] = [:]
            for param in entry.split(separator: ";").dropFirst() {
                let kv = param.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if kv.count == 2 { params[kv[0]] = kv[1] }
            }
            guard params["as"] == "Table", params["g"] == "meta.k8s.io", let v = params["v"], ["v1", "v1beta1"].contains(v)
            else { continue }
            let include = request.query["includeObject"].flatMap(TableBuilder.IncludeObject.init(rawValue:)) ?? .metadata
            return TableBuilder(now: clock(), include: include, apiVersion: "meta.k8s.io/\(v)")
        }
        return nil
    }

    /// Applies `limit`/`continue` to `items`; nil when the continue token is not one of ours.
    private static func paginate(_ items: inout [JSONValue], _ query: [String: String]) -> (continueToken: String?, remaining: Int)? {
        var offset = 0
        if let token = query["continue"], !token.isEmpty {
            guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8),
                text.hasPrefix(continuePrefix), let value = Int(text.dropFirst(continuePrefix.count)), value >= 0
            else { return nil }
            offset = min(value, items.count)
        }
        items = Array(items.dropFirst(offset))
        guard let limit = query["limit"].flatMap(Int.init), limit > 0, items.count > limit else { return (nil, 0) }
        let remaining = items.count - limit
        items = Array(items.prefix(limit))
        let token = Data("\(continuePrefix)\(offset + limit)".utf8).base64EncodedString()
        return (token, remaining)
    }

    private static let continuePrefix = "emdiag-serve/offset="

    // MARK: - Logs

    private func log(namespace: String, pod: String, _ request: ReplayRequest) -> ReplayResponse {
        guard let object = find(.pods, namespace: namespace, name: pod) else { return Self.notFound(.pods, name: pod) }
        let names = { (key: String) in object[path: "spec.\(key)"]?.array.compactMap { $0["name"]?.string } ?? [] }
        let containers = names("containers")
        let initContainers = names("initContainers")
        var container = request.query["container"] ?? ""
        if container.isEmpty {
            guard containers.count == 1 else {
                var message = "a container name must be specified for pod \(pod)"
                if !containers.isEmpty {
                    message += ", choose one of: [\(containers.joined(separator: " "))]"
                    if !initContainers.isEmpty { message += " or one of the init containers: [\(initContainers.joined(separator: " "))]" }
                }
                return .status(400, reason: "BadRequest", message: message)
            }
            container = containers[0]
        } else if !(containers + initContainers + names("ephemeralContainers")).contains(container) {
            return .status(400, reason: "BadRequest", message: "container \(container) is not valid for pod \(pod)")
        }
        let previous = request.query["previous"].map(Self.isTrue) ?? false
        let path = BundleLayout.logPath(namespace: namespace, pod: pod, container: container, previous: previous)
        guard bundle.exists(path) else {
            if previous {
                return .status(400, reason: "BadRequest", message: "previous terminated container \"\(container)\" in pod \"\(pod)\" not found")
            }
            let why = collectionIssues[path].map { ": \($0)" } ?? ""
            return .status(404, reason: "NotFound", message: "the log of container \"\(container)\" in pod \"\(pod)\" is not in this bundle\(why)")
        }
        var options = LogOptions(stripTimestamps: timestampedLogs.contains(path) && !(request.query["timestamps"].map(Self.isTrue) ?? false))
        for (name, keyPath, minimum) in [("tailLines", \LogOptions.tailLines, 0), ("limitBytes", \LogOptions.limitBytes, 1)] {
            guard let text = request.query[name] else { continue }
            guard let value = Int(text), value >= minimum else {
                return .status(400, reason: "BadRequest", message: "\(name) must be an integer of at least \(minimum), got \"\(text)\"")
            }
            options[keyPath: keyPath] = value
        }
        return ReplayResponse(
            status: 200, contentType: "text/plain", body: .file(LogFileBody(path: bundle.url(path).path, options: options)))
    }

    // MARK: - Helpers

    private static let notFoundPath = ReplayResponse.status(404, reason: "NotFound", message: "the server could not find the requested resource")

    private static func notFound(_ type: ResourceType, name: String) -> ReplayResponse {
        .status(
            404, reason: "NotFound", message: "\(type.description) \"\(name)\" not found",
            details: ["name": .string(name), "group": .string(type.group), "kind": .string(type.resource)])
    }

    private static func labels(_ object: JSONValue) -> [String: String] {
        (object[path: "metadata.labels"]?.object ?? [:]).compactMapValues(\.string)
    }

    /// Go's `strconv.ParseBool` truths.
    private static func isTrue(_ text: String) -> Bool {
        ["1", "t", "T", "true", "TRUE", "True"].contains(text)
    }
}
