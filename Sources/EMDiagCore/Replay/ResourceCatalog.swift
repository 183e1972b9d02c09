import Foundation

/// Every API object of a bundle, loaded once and indexed by resource type: the resource types served
/// (those with files in the bundle plus `ResourceType.wellKnown`), their objects sorted by namespace and
/// name, and the namespaces the bundle knows.
package struct ResourceCatalog: Sendable {
    /// The served types, sorted by group, version and resource.
    package private(set) var types: [ResourceType]
    /// The namespaces of the bundle (from `namespaces.json`, the folders under `namespaces/` and the manifest), sorted.
    package private(set) var namespaces: [String]
    private var objects: [String: [JSONValue]] = [:]
    private var listKinds: [String: String] = [:]

    /// Reads every List file of the bundle.
    /// - Throws: `BundleError.invalidJSON` naming the file that does not parse.
    package init(bundle: BundleDirectory, defaultNamespace: String?) throws {
        var byKey: [String: ResourceType] = [:]
        for type in ResourceType.wellKnown { byKey[Self.key(type)] = type }
        var found: [(type: ResourceType, namespace: String?, list: JSONValue)] = []
        for path in bundle.files(under: "api") + bundle.files(under: "apis") {
            guard let location = Self.parse(path) else { continue }
            let list = try bundle.json(path)
            let key = "\(location.group)/\(location.version)/\(location.resource)"
            var type = byKey[key] ?? ResourceType(
                group: location.group, version: location.version, resource: location.resource,
                kind: Self.kind(of: list, resource: location.resource), namespaced: location.namespace != nil)
            if location.namespace != nil { type.namespaced = true }
            if byKey[key] == nil, location.namespace == nil {
                type.namespaced = list["items"]?.array.contains { $0[path: "metadata.namespace"]?.string != nil } ?? false
            }
            byKey[key] = type
            found.append((type, location.namespace, list))
            if let kind = list["kind"]?.string { listKinds[key] = kind }
        }
        types = byKey.values.sorted { ($0.group, $0.version, $0.resource) < ($1.group, $1.version, $1.resource) }

        var namespaceSet = Set(found.compactMap(\.namespace))
        if let defaultNamespace { namespaceSet.insert(defaultNamespace) }
        for entry in found {
            let type = byKey[Self.key(entry.type)] ?? entry.type
            for item in entry.list["items"]?.array ?? [] {
                var object = item
                if let namespace = entry.namespace, type.namespaced, object[path: "metadata.namespace"]?.string == nil {
                    object = Self.setting(object, namespace: namespace)
                }
                if type.namespaced, let namespace = object[path: "metadata.namespace"]?.string {
                    namespaceSet.insert(namespace)
                }
                objects[Self.key(type), default: []].append(object)
            }
        }
        let secretKey = Self.key(.secrets)
        for secret in Self.helmReleaseSecrets(bundle, existing: objects[secretKey] ?? []) {
            objects[secretKey, default: []].append(secret)
            if let namespace = secret[path: "metadata.namespace"]?.string { namespaceSet.insert(namespace) }
        }
        let namespaceKey = Self.key(.namespaces)
        let stored = Set((objects[namespaceKey] ?? []).compactMap { $0[path: "metadata.name"]?.string })
        for name in namespaceSet.subtracting(stored) {
            objects[namespaceKey, default: []].append(.object([
                "apiVersion": .string("v1"), "kind": .string("Namespace"),
                "metadata": .object(["name": .string(name)]), "status": .object(["phase": .string("Active")]),
            ]))
        }
        namespaces = namespaceSet.union(stored).sorted()
        for (key, list) in objects { objects[key] = Self.sortedUnique(list) }
    }

    /// Objects of a type, in one namespace or (nil) all of them, sorted by namespace then name.
    package func objects(_ type: ResourceType, namespace: String?) -> [JSONValue] {
        let all = objects[Self.key(type)] ?? []
        guard let namespace, type.namespaced else { return all }
        return all.filter { $0[path: "metadata.namespace"]?.string == namespace }
    }

    /// The `kind` of a List of `type` ("PodList").
    package func listKind(_ type: ResourceType) -> String {
        listKinds[Self.key(type)] ?? "\(type.kind)List"
    }

    /// A served type by group, version and plural resource.
    package func type(group: String, version: String, resource: String) -> ResourceType? {
        types.first { $0.group == group && $0.version == version && $0.resource == resource }
    }

    private static func key(_ type: ResourceType) -> String {
        "\(type.group)/\(type.version)/\(type.resource)"
    }

    /// `api/v1/namespaces/em/pods.json` -> ("", "v1", "pods", "em"); nil for anything that is not a List file.
    private static func parse(_ path: String) -> (group: String, version: String, resource: String, namespace: String?)? {
        guard path.hasSuffix(".json") else { return nil }
        var parts = path.dropLast(5).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let group: String
        let version: String
        if parts.first == "api", parts.count >= 3 {
            (group, version) = ("", parts[1])
            parts.removeFirst(2)
        } else if parts.first == "apis", parts.count >= 4 {
            (group, version) = (parts[1], parts[2])
            parts.removeFirst(3)
        } else {
            return nil
        }
        switch parts.count {
        case 1: return (group, version, parts[0], nil)
        case 3 where parts[0] == "namespaces": return (group, version, parts[2], parts[1])
        default: return nil
        }
    }

    /// The `sh.helm.release.v1.<release>.v<revision>` Secrets of the Helm history a bundle stores as
    /// `helm/<ns>/<release>.json` (collect keeps status and chart metadata only, not the Secrets), for the revisions
    /// whose Secret the bundle does not hold, so `kubectl get secrets -l owner=helm`, `helm history` and a second
    /// `emdiag collect` see the history. Labels as Helm sets them; `data.release` is base64(base64(JSON)) of the
    /// kept fields (Helm reads an ungzipped record); the annotation `emdiag.io/rebuilt-from` names the file.
    static func helmReleaseSecrets(_ bundle: BundleDirectory, existing: [JSONValue]) -> [JSONValue] {
        let held = Set(existing.map { secret in
            "\(secret[path: "metadata.namespace"]?.string ?? "")/\(secret[path: "metadata.name"]?.string ?? "")"
        })
        var out: [JSONValue] = []
        for file in HelmReleaseRecord.storedFiles(in: bundle) {
            let (namespace, release) = (file.namespace, file.release)
            for item in file.items {
                guard let stored = file.record(from: item) else { continue }
                let name = "sh.helm.release.v1.\(release).v\(stored.revision)"
                guard !held.contains("\(namespace)/\(name)") else { continue }
                var record = item.object
                record["secret"] = nil
                record["droppedFields"] = nil
                record["name"] = record["name"] ?? .string(release)
                record["namespace"] = .string(namespace)
                record["version"] = .number(Double(stored.revision))
                var metadata: [String: JSONValue] = [
                    "name": .string(name), "namespace": .string(namespace),
                    "labels": .object([
                        "owner": .string("helm"), "name": .string(release), "version": .string(String(stored.revision)),
                        "status": .string(stored.status),
                    ]),
                    "annotations": .object(["emdiag.io/rebuilt-from": .string(file.path)]),
                ]
                if let deployed = (item[path: "info.last_deployed"] ?? item[path: "info.first_deployed"])?.string {
                    metadata["creationTimestamp"] = .string(deployed)
                }
                let helmEncoded = JSONValue.object(record).serialized().base64EncodedString()
                out.append(.object([
                    "apiVersion": .string("v1"), "kind": .string("Secret"), "type": .string("helm.sh/release.v1"),
                    "metadata": .object(metadata),
                    "data": .object(["release": .string(Data(helmEncoded.utf8).base64EncodedString())]),
                ]))
            }
        }
        return out
    }

    private static func kind(of list: JSONValue, resource: String) -> String {
        if let kind = list["kind"]?.string, kind.hasSuffix("List"), kind.count > 4 { return String(kind.dropLast(4)) }
        if let kind = list["items"]?[0]?["kind"]?.string { return kind }
        return resource.prefix(1).uppercased() + resource.dropFirst()
    }

    private static func setting(_ object: JSONValue, namespace: String) -> JSONValue {
        var top = object.object
        var metadata = top["metadata"]?.object ?? [:]
        metadata["namespace"] = .string(namespace)
        top["metadata"] = .object(metadata)
        return .object(top)
    }

    /// Sorted by (namespace, name); an object stored twice (namespace file and all-namespace file) is kept once.
    private static func sortedUnique(_ list: [JSONValue]) -> [JSONValue] {
        var seen = Set<String>()
        let keyed = list.map { ("\($0[path: "metadata.namespace"]?.string ?? "")\u{0}\($0[path: "metadata.name"]?.string ?? "")", $0) }
        return keyed.sorted { $0.0 < $1.0 }.filter { seen.insert($0.0).inserted }.map(\.1)
    }
}
