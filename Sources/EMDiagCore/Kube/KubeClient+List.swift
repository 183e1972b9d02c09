import Foundation

/// A list as emdiag stores it: every page merged into one List object.
package struct KubeList: Sendable {
    /// The List JSON: the first page's kind, apiVersion and metadata (without `continue`), and all items.
    package var value: JSONValue
    /// The bytes to store: the API's own bytes when it fit in one page, else the merged list with sorted keys.
    package var bytes: [UInt8]
    package var pages: Int
    package var items: [JSONValue] { value["items"]?.array ?? [] }
}

extension KubeClient {
    /// Lists a resource type, following `continue` tokens until the last page.
    /// - Parameters:
    ///   - type: any group/version/resource.
    ///   - namespace: a namespace, or nil for all namespaces (cluster-scoped types ignore it).
    ///   - labelSelector: `app=x,tier!=db` style selector.
    ///   - fieldSelector: `status.phase=Running` style selector.
    ///   - pageSize: the `limit` of each page.
    ///   - deadline: no try starts after it.
    /// - Throws: `KubeError` (a 403 names the `list` verb, the resource and the namespace).
    package func list(
        _ type: ResourceType, namespace: String?, labelSelector: String? = nil, fieldSelector: String? = nil,
        pageSize: Int = 500, deadline: ContinuousClock.Instant? = nil
    ) async throws -> KubeList {
        let ns = type.namespaced ? namespace : nil
        let scope = ns.map { " in namespace \"\($0)\"" } ?? (type.namespaced ? " in any namespace" : "")
        let action = KubeAction(verb: "list", resource: type.description, namespace: ns,
                                object: "the resource type \(type.description) (\(type.groupVersion))\(scope)")
        let path = Self.collectionPath(type, namespace: ns)
        var baseQuery: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { baseQuery.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { baseQuery.append(("fieldSelector", fieldSelector)) }
        if pageSize > 0 { baseQuery.append(("limit", String(pageSize))) }

        var first: (value: JSONValue, bytes: [UInt8])?
        var items: [JSONValue] = []
        var pages = 0
        var token: String?
        repeat {
            let query = baseQuery + (token.map { [("continue", $0)] } ?? [])
            let page = try await json(path: path, query: query, action: action, deadline: deadline)
            guard case .object = page.value, page.value["items"] != nil || page.value["kind"] != nil else {
                throw KubeError.invalidResponse(url: url(path: path, query: query), message: "expected a List object")
            }
            pages += 1
            if first == nil { first = page }
            items += page.value["items"]?.array ?? []
            token = page.value[path: "metadata.continue"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        guard let first else { throw KubeError.invalidResponse(url: url(path: path, query: baseQuery), message: "no page") }
        if pages == 1 { return KubeList(value: first.value, bytes: first.bytes, pages: 1) }
        var merged = first.value.object
        var metadata = first.value["metadata"]?.object ?? [:]
        metadata["continue"] = nil
        metadata["remainingItemCount"] = nil
        merged["metadata"] = .object(metadata)
        merged["items"] = .array(items)
        let value = JSONValue.object(merged)
        return KubeList(value: value, bytes: [UInt8](value.serialized()), pages: pages)
    }
}
