/// What the collector fetches, merged from every loaded playbook. A `nil` namespace means the target namespace
/// (`collect -n`). Every list is sorted and free of duplicates, so the plan is deterministic.
package struct GatherPlan: Sendable, Hashable, Codable {
    /// List a resource type (optionally by label selector).
    package struct Resources: Sendable, Hashable, Codable, Comparable {
        package var type: ResourceType
        package var namespace: String?
        package var labelSelector: String?

        package static func < (a: Resources, b: Resources) -> Bool {
            (a.type.description, a.namespace ?? "", a.labelSelector ?? "")
                < (b.type.description, b.namespace ?? "", b.labelSelector ?? "")
        }
    }

    /// Fetch logs of the containers of the selected pods.
    package struct Logs: Sendable, Hashable, Codable, Comparable {
        package var namespace: String?
        /// Pods by label selector (nil: every pod).
        package var labelSelector: String?
        /// Whole-name regular expression (portable syntax) on the container name (nil: every container).
        package var containers: String?
        package var initContainers: Bool
        package var current: Bool
        package var previous: Bool

        package static func < (a: Logs, b: Logs) -> Bool {
            (a.namespace ?? "", a.labelSelector ?? "", a.containers ?? "") < (b.namespace ?? "", b.labelSelector ?? "", b.containers ?? "")
        }
    }

    /// Get a Secret by name. Values of `keys` are validated (never stored); `nonSecretKeys` (e.g. `base-url`) are
    /// needed in clear by the analysis and kept, after a check for embedded credentials.
    package struct Secret: Sendable, Hashable, Codable, Comparable {
        package var name: String
        package var namespace: String?
        package var keys: [String]
        package var nonSecretKeys: [String]

        package static func < (a: Secret, b: Secret) -> Bool { (a.name, a.namespace ?? "") < (b.name, b.namespace ?? "") }
    }

    /// Helm release records (`sh.helm.release.v1.<name>.v<N>` Secrets, listed with `owner=helm,name=<name>`).
    package struct HelmRelease: Sendable, Hashable, Codable, Comparable {
        package var name: String
        package var namespace: String?
        package static func < (a: HelmRelease, b: HelmRelease) -> Bool { (a.name, a.namespace ?? "") < (b.name, b.namespace ?? "") }
    }

    /// Argo CD Applications in a namespace (`argocd` by default); empty `names` means all.
    package struct ArgoApplications: Sendable, Hashable, Codable, Comparable {
        package var namespace: String
        package var names: [String]
        package static func < (a: ArgoApplications, b: ArgoApplications) -> Bool { a.namespace < b.namespace }
    }

    /// An HTTP GET whose result is stored as `checks/http/<name>.json` (see `HTTPCheckResult`).
    /// `{key}` placeholders in `url` are filled from the non-secret keys of `secret` (e.g. `{base-url}`).
    package struct HTTPCheck: Sendable, Hashable, Codable, Comparable {
        package var name: String
        package var url: String
        package var secret: String?
        package var namespace: String?
        package var expectStatus: [Int]
        package static func < (a: HTTPCheck, b: HTTPCheck) -> Bool { a.name < b.name }
    }

    package var resources: [Resources] = []
    package var logs: [Logs] = []
    package var secrets: [Secret] = []
    package var helmReleases: [HelmRelease] = []
    package var argoApplications: [ArgoApplications] = []
    package var httpChecks: [HTTPCheck] = []

    package init() {}

    /// The union of two plans: same Secret merged key by key, same Argo namespace merged name by name.
    package func merged(with other: GatherPlan) -> GatherPlan {
        var out = GatherPlan()
        out.resources = Array(Set(resources + other.resources)).sorted()
        out.logs = Array(Set(logs + other.logs)).sorted()
        out.helmReleases = Array(Set(helmReleases + other.helmReleases)).sorted()
        out.httpChecks = Dictionary((httpChecks + other.httpChecks).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            .values.sorted()
        var secrets: [String: Secret] = [:]
        for s in self.secrets + other.secrets {
            let key = "\(s.namespace ?? "")/\(s.name)"
            var merged = secrets[key] ?? Secret(name: s.name, namespace: s.namespace, keys: [], nonSecretKeys: [])
            merged.keys = Array(Set(merged.keys + s.keys)).sorted()
            merged.nonSecretKeys = Array(Set(merged.nonSecretKeys + s.nonSecretKeys)).sorted()
            secrets[key] = merged
        }
        out.secrets = secrets.values.sorted()
        var argo: [String: ArgoApplications] = [:]
        for a in argoApplications + other.argoApplications {
            guard let existing = argo[a.namespace] else {
                argo[a.namespace] = ArgoApplications(namespace: a.namespace, names: Array(Set(a.names)).sorted())
                continue
            }
            // An empty list means "all": it absorbs named ones.
            let all = existing.names.isEmpty || a.names.isEmpty
            argo[a.namespace]?.names = all ? [] : Array(Set(existing.names + a.names)).sorted()
        }
        out.argoApplications = argo.values.sorted()
        return out
    }

    /// One API permission the plan needs (for RBAC manifests and access checks).
    package struct Permission: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
        package var verb: String
        package var group: String
        package var resource: String
        package var namespace: String?
        package var resourceName: String?

        package init(verb: String, group: String, resource: String, namespace: String? = nil, resourceName: String? = nil) {
            self.verb = verb
            self.group = group
            self.resource = resource
            self.namespace = namespace
            self.resourceName = resourceName
        }

        package var description: String {
            let target = resourceName.map { "\(resource)/\($0)" } ?? resource
            let group = group.isEmpty ? "" : ".\(self.group)"
            return "\(verb) \(target)\(group) in \(namespace ?? "the target namespace")"
        }

        package static func < (a: Permission, b: Permission) -> Bool {
            (a.namespace ?? "", a.group, a.resource, a.resourceName ?? "", a.verb)
                < (b.namespace ?? "", b.group, b.resource, b.resourceName ?? "", b.verb)
        }
    }

    /// Every permission the plan needs: list for resources, get on pods/log, get on each named Secret, list on
    /// Secrets only for Helm release records (they are found by label, not by name).
    package var permissions: [Permission] {
        var out: Set<Permission> = []
        for r in resources {
            out.insert(Permission(verb: "list", group: r.type.group, resource: r.type.resource, namespace: r.namespace))
        }
        for l in logs {
            out.insert(Permission(verb: "list", group: "", resource: "pods", namespace: l.namespace))
            out.insert(Permission(verb: "get", group: "", resource: "pods/log", namespace: l.namespace))
        }
        for s in secrets {
            out.insert(Permission(verb: "get", group: "", resource: "secrets", namespace: s.namespace, resourceName: s.name))
        }
        for h in helmReleases {
            out.insert(Permission(verb: "list", group: "", resource: "secrets", namespace: h.namespace))
        }
        for a in argoApplications {
            let t = ResourceType.argoApplications
            if a.names.isEmpty {
                out.insert(Permission(verb: "list", group: t.group, resource: t.resource, namespace: a.namespace))
            }
            for name in a.names {
                out.insert(Permission(verb: "get", group: t.group, resource: t.resource, namespace: a.namespace, resourceName: name))
            }
        }
        return out.sorted()
    }
}
