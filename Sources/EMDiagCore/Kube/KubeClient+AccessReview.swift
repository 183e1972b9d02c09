import Foundation

/// The answer of a SelfSubjectAccessReview: may the current identity do this?
package struct KubeAccessReview: Sendable, Hashable {
    package var allowed: Bool
    /// True when an authorizer explicitly denied (not just "no rule allows it").
    package var denied: Bool
    package var reason: String?

    package init(allowed: Bool, denied: Bool = false, reason: String? = nil) {
        self.allowed = allowed
        self.denied = denied
        self.reason = reason
    }
}

extension KubeClient {
    /// Asks the API server whether the current identity may `verb` the resource (`kubectl auth can-i`), through
    /// `POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews`. It changes nothing, so it is retried like a read.
    /// - Parameters:
    ///   - verb: `get`, `list`, `watch`, ...
    ///   - type: the resource type.
    ///   - namespace: nil for cluster-wide.
    ///   - subresource: for example `log` for pods/log.
    ///   - name: one object, or nil for any.
    /// - Throws: `KubeError` (a 403 here means even the review itself is forbidden).
    package func accessReview(
        _ verb: String, _ type: ResourceType, namespace: String?, subresource: String? = nil, name: String? = nil,
        deadline: ContinuousClock.Instant? = nil
    ) async throws -> KubeAccessReview {
        var attributes: [String: JSONValue] = [
            "verb": .string(verb), "group": .string(type.group), "version": .string(type.version),
            "resource": .string(type.resource),
        ]
        if let namespace { attributes["namespace"] = .string(namespace) }
        if let subresource { attributes["subresource"] = .string(subresource) }
        if let name { attributes["name"] = .string(name) }
        let review = JSONValue.object([
            "apiVersion": .string("authorization.k8s.io/v1"), "kind": .string("SelfSubjectAccessReview"),
            "spec": .object(["resourceAttributes": .object(attributes)]),
        ])
        let path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
        let action = KubeAction(verb: "create", resource: "selfsubjectaccessreviews.authorization.k8s.io", namespace: nil,
                                object: "the SelfSubjectAccessReview API")
        let answer = try await json(path: path, query: [], method: "POST", body: [UInt8](review.serialized()),
                                    action: action, deadline: deadline).value
        guard let allowed = answer[path: "status.allowed"]?.bool else {
            throw KubeError.invalidResponse(url: url(path: path, query: []), message: "no status.allowed in the review")
        }
        return KubeAccessReview(allowed: allowed, denied: answer[path: "status.denied"]?.bool ?? false,
                                reason: answer[path: "status.reason"]?.string)
    }
}
