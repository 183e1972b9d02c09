import Foundation

/// A Kubernetes resource type as the API names it: group, version and plural resource.
package struct ResourceType: Sendable, Hashable, Codable, CustomStringConvertible {
    package var group: String      // "" for the core group
    package var version: String
    package var resource: String   // plural, lower-case: "pods"
    package var kind: String       // "Pod"
    package var namespaced: Bool

    package init(group: String, version: String, resource: String, kind: String, namespaced: Bool = true) {
        self.group = group
        self.version = version
        self.resource = resource
        self.kind = kind
        self.namespaced = namespaced
    }

    /// "v1" or "apps/v1".
    package var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// "/api/v1" or "/apis/apps/v1".
    package var apiPrefix: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }
    package var description: String { group.isEmpty ? resource : "\(resource).\(group)" }

    package static let pods = ResourceType(group: "", version: "v1", resource: "pods", kind: "Pod")
    package static let events = ResourceType(group: "", version: "v1", resource: "events", kind: "Event")
    package static let secrets = ResourceType(group: "", version: "v1", resource: "secrets", kind: "Secret")
    package static let configMaps = ResourceType(group: "", version: "v1", resource: "configmaps", kind: "ConfigMap")
    package static let services = ResourceType(group: "", version: "v1", resource: "services", kind: "Service")
    package static let endpoints = ResourceType(group: "", version: "v1", resource: "endpoints", kind: "Endpoints")
    package static let persistentVolumeClaims = ResourceType(
        group: "", version: "v1", resource: "persistentvolumeclaims", kind: "PersistentVolumeClaim")
    package static let namespaces = ResourceType(
        group: "", version: "v1", resource: "namespaces", kind: "Namespace", namespaced: false)
    package static let nodes = ResourceType(group: "", version: "v1", resource: "nodes", kind: "Node", namespaced: false)
    package static let deployments = ResourceType(group: "apps", version: "v1", resource: "deployments", kind: "Deployment")
    package static let statefulSets = ResourceType(group: "apps", version: "v1", resource: "statefulsets", kind: "StatefulSet")
    package static let replicaSets = ResourceType(group: "apps", version: "v1", resource: "replicasets", kind: "ReplicaSet")
    package static let jobs = ResourceType(group: "batch", version: "v1", resource: "jobs", kind: "Job")
    package static let ingresses = ResourceType(
        group: "networking.k8s.io", version: "v1", resource: "ingresses", kind: "Ingress")
    package static let gateways = ResourceType(
        group: "gateway.networking.k8s.io", version: "v1", resource: "gateways", kind: "Gateway")
    package static let httpRoutes = ResourceType(
        group: "gateway.networking.k8s.io", version: "v1", resource: "httproutes", kind: "HTTPRoute")
    package static let argoApplications = ResourceType(
        group: "argoproj.io", version: "v1alpha1", resource: "applications", kind: "Application")

    /// The types emdiag knows by name (playbooks may name others by group/version/resource).
    package static let wellKnown: [ResourceType] = [
        .pods, .events, .secrets, .configMaps, .services, .endpoints, .persistentVolumeClaims, .namespaces, .nodes,
        .deployments, .statefulSets, .replicaSets, .jobs, .ingresses, .gateways, .httpRoutes, .argoApplications,
    ]

    /// Finds a well-known type by plural, singular, kind or `plural.group` ("applications.argoproj.io").
    package static func named(_ name: String) -> ResourceType? {
        let lower = name.lowercased()
        return wellKnown.first {
            $0.resource == lower || $0.kind.lowercased() == lower || "\($0.resource).\($0.group)" == lower
        }
    }
}

/// Where each piece of evidence lives inside a bundle. Every reader and writer goes through here;
/// `docs/bundle-format.md` documents the same layout.
///
/// API objects mirror the API's own paths, so `emdiag serve` maps a request path to a file:
///   GET /api/v1/namespaces/em/pods            -> api/v1/namespaces/em/pods.json  (a PodList, as the API returned it)
///   GET /apis/apps/v1/namespaces/em/deployments -> apis/apps/v1/namespaces/em/deployments.json
///   cluster-scoped lists                       -> api/v1/nodes.json
/// Logs sit beside their pod:
///   api/v1/namespaces/em/pods/<pod>/log/<container>.log            current
///   api/v1/namespaces/em/pods/<pod>/log/<container>.previous.log   previous (kubectl logs --previous)
package enum BundleLayout {
    package static let manifest = "manifest.json"
    package static let version = "version.json"
    package static let redactionReport = "redaction-report.json"
    package static let helmDirectory = "helm"
    package static let checksDirectory = "checks"
    package static let playbooksDirectory = "playbooks"
    package static let reportDirectory = "report"

    /// The List file of a resource type in a namespace (nil namespace: cluster-scoped or all-namespace list).
    package static func listPath(_ type: ResourceType, namespace: String?) -> String {
        let base = type.apiPrefix.dropFirst()  // "api/v1"
        if type.namespaced, let namespace {
            return "\(base)/namespaces/\(namespace)/\(type.resource).json"
        }
        return "\(base)/\(type.resource).json"
    }

    /// The stored log of one container.
    package static func logPath(namespace: String, pod: String, container: String, previous: Bool) -> String {
        "api/v1/namespaces/\(namespace)/pods/\(pod)/log/\(container)\(previous ? ".previous" : "").log"
    }

    /// Decoded Helm release records (status and metadata only) of one release.
    package static func helmReleasesPath(namespace: String, release: String) -> String {
        "\(helmDirectory)/\(namespace)/\(release).json"
    }

    /// The result of one HTTP check (status, timing, a redacted excerpt of the body).
    package static func httpCheckPath(name: String) -> String {
        "\(checksDirectory)/http/\(name).json"
    }

    /// The report files written into the bundle.
    package static func reportPath(format: String) -> String {
        "\(reportDirectory)/report.\(format)"
    }
}
