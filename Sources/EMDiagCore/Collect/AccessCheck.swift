import Foundation

/// One step of a gather plan: a unit of evidence that is collected, or absent, as a whole.
package enum GatherStep: Sendable, Hashable, Comparable, CustomStringConvertible {
    case resources(GatherPlan.Resources)
    case logs(GatherPlan.Logs)
    case secret(GatherPlan.Secret)
    case helmRelease(GatherPlan.HelmRelease)
    case argoApplications(GatherPlan.ArgoApplications)
    case httpCheck(GatherPlan.HTTPCheck)

    /// The step alone, as a plan: its own permissions are that plan's `permissions`.
    var plan: GatherPlan {
        var plan = GatherPlan()
        switch self {
        case .resources(let r): plan.resources = [r]
        case .logs(let l): plan.logs = [l]
        case .secret(let s): plan.secrets = [s]
        case .helmRelease(let h): plan.helmReleases = [h]
        case .argoApplications(let a): plan.argoApplications = [a]
        case .httpCheck(let h): plan.httpChecks = [h]
        }
        return plan
    }

    package var description: String {
        switch self {
        case .resources(let r):
            "the \(r.type.description) list\(Self.scope(r.namespace))\(r.labelSelector.map { " (-l \($0))" } ?? "")"
        case .logs(let l):
            "container logs\(Self.scope(l.namespace)) (\(Self.streams(l)))"
        case .secret(let s):
            "Secret \(s.name)\(Self.scope(s.namespace)) (keys \(s.keys.joined(separator: ", ")))"
        case .helmRelease(let h):
            "the Helm release records of \(h.name)\(Self.scope(h.namespace)) (Secrets sh.helm.release.v1.\(h.name).v*)"
        case .argoApplications(let a):
            "Argo CD Application\(a.names.count == 1 ? "" : "s") \(a.names.isEmpty ? "(all)" : a.names.joined(separator: ", ")) in \(a.namespace)"
        case .httpCheck(let h):
            "HTTP check \(h.name) (GET \(h.url)\(h.secret.map { ", URL from Secret \($0)" } ?? ""))"
        }
    }

    package static func < (a: GatherStep, b: GatherStep) -> Bool { a.description < b.description }

    private static func scope(_ namespace: String?) -> String { namespace.map { " in namespace \($0)" } ?? "" }

    private static func streams(_ l: GatherPlan.Logs) -> String {
        let streams = [l.current ? "current" : nil, l.previous ? "previous" : nil, l.initContainers ? "init containers" : nil]
        return streams.compactMap { $0 }.joined(separator: ", ")
    }
}

extension GatherPlan {
    /// Every step of the plan, in the plan's (sorted) order.
    package var steps: [GatherStep] {
        resources.map(GatherStep.resources) + logs.map(GatherStep.logs) + secrets.map(GatherStep.secret)
            + helmReleases.map(GatherStep.helmRelease) + argoApplications.map(GatherStep.argoApplications)
            + httpChecks.map(GatherStep.httpCheck)
    }

    /// The permissions a step needs, including those of the steps it builds on: logs need the pod list, an HTTP
    /// check whose URL comes from a Secret needs that Secret.
    package func permissions(of step: GatherStep) -> [Permission] {
        var needed = step.plan.permissions
        switch step {
        case .logs(let l):
            needed += GatherStep.resources(.init(type: .pods, namespace: l.namespace, labelSelector: nil)).plan.permissions
        case .httpCheck(let h):
            guard let name = h.secret else { break }
            for secret in secrets where secret.name == name && AccessCheck.overlaps(secret.namespace, h.namespace) {
                needed += GatherStep.secret(secret).plan.permissions
            }
        default:
            break
        }
        return Array(Set(needed)).sorted()
    }
}

/// What a set of missing permissions costs: the evidence that will be absent and the rules that lose conditions.
package struct AccessImpact: Sendable, Hashable, Codable {
    /// Gather steps that cannot run (descriptions, sorted).
    package var absentEvidence: [String]
    /// Rules all of whose conditions read absent evidence: they cannot fire at all.
    package var rulesThatCannotFire: [String]
    /// Rules some of whose conditions read absent evidence: they fire only on their other signals.
    package var rulesWithFewerSignals: [String]

    /// One sentence for the manifest, the report and `emdiag rbac`.
    package var summary: String {
        guard !absentEvidence.isEmpty else { return "No evidence of the loaded playbooks depends on it." }
        var parts = ["Absent: \(absentEvidence.joined(separator: "; "))."]
        if !rulesThatCannotFire.isEmpty {
            parts.append("Rules that cannot fire: \(rulesThatCannotFire.joined(separator: ", ")).")
        }
        if !rulesWithFewerSignals.isEmpty {
            parts.append("Rules that lose some of their signals: \(rulesWithFewerSignals.joined(separator: ", ")).")
        }
        return parts.joined(separator: " ")
    }
}

/// Checks, with SelfSubjectAccessReviews, whether the current identity holds every permission the loaded
/// playbooks' gather plan needs, and derives from the playbooks (not from a table) what each missing one costs.
package enum AccessCheck {
    /// The answer for one permission.
    package struct Entry: Sendable, Hashable, Codable {
        package var permission: GatherPlan.Permission
        /// The permission as checked, with the target namespace filled in (`get secrets/x in namespace em`).
        package var checked: String
        package var allowed: Bool
        /// The authorizer's reason, when it gave one.
        package var reason: String?
        /// What is lost without it (nil when allowed).
        package var impact: AccessImpact?
    }

    /// The result of `emdiag rbac`: every permission, in the plan's order, and the combined cost of the missing ones.
    package struct Report: Sendable, Hashable, Encodable {
        package var namespace: String
        package var entries: [Entry]
        package var missing: Int { entries.filter { !$0.allowed }.count }
        /// The cost of all missing permissions together (a rule may lose one condition to each).
        package var combined: AccessImpact

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(namespace, forKey: .namespace)
            try c.encode(entries, forKey: .entries)
            try c.encode(missing, forKey: .missing)
            try c.encode(combined, forKey: .combined)
        }

        private enum CodingKeys: String, CodingKey { case namespace, entries, missing, combined }
    }

    /// Asks the API about one permission (wired to `KubeClient.accessReview` by the executable, to a closure in tests).
    package typealias Reviewer = @Sendable (_ verb: String, _ type: ResourceType, _ namespace: String?,
                                            _ subresource: String?, _ name: String?) async throws -> KubeAccessReview

    /// Checks every permission of the catalog's gather plan, one review at a time (they are few and cheap).
    /// - Parameters:
    ///   - catalog: the loaded playbooks.
    ///   - namespace: the target namespace (fills permissions whose namespace is the target's).
    ///   - review: asks the API server.
    /// - Throws: what `review` throws (unreachable server, rejected credentials, reviews forbidden).
    package static func run(catalog: PlaybookCatalog, namespace: String, review: Reviewer) async throws -> Report {
        var entries: [Entry] = []
        for permission in catalog.gatherPlan.permissions {
            let (type, subresource) = resourceType(of: permission)
            let answer = try await review(permission.verb, type, permission.namespace ?? namespace, subresource,
                                          permission.resourceName)
            var checked = permission
            checked.namespace = permission.namespace ?? namespace
            entries.append(Entry(
                permission: permission, checked: checked.description, allowed: answer.allowed,
                reason: answer.reason.flatMap { $0.isEmpty ? nil : $0 },
                impact: answer.allowed ? nil : impact(of: [permission], catalog: catalog, namespace: namespace)))
        }
        let missing = entries.filter { !$0.allowed }.map(\.permission)
        return Report(namespace: namespace, entries: entries, combined: impact(of: missing, catalog: catalog, namespace: namespace))
    }

    /// What `collect` records in the manifest when the API refuses a permission (a 403).
    /// - Parameters:
    ///   - permission: the refused request (a nil namespace is the target namespace).
    ///   - namespace: the target namespace, when known; without it a nil namespace may stand for any.
    /// - Returns: a sentence naming the absent evidence and the rules that cannot fire.
    package static func consequence(
        of permission: GatherPlan.Permission, catalog: PlaybookCatalog, namespace: String? = nil
    ) -> String {
        impact(of: [permission], catalog: catalog, namespace: namespace).summary
    }

    /// The evidence and rules lost when every permission in `missing` is refused.
    /// - Parameter namespace: the target namespace, when known (see `consequence`).
    package static func impact(
        of missing: [GatherPlan.Permission], catalog: PlaybookCatalog, namespace: String? = nil
    ) -> AccessImpact {
        let plan = catalog.gatherPlan
        let lost = Set(plan.steps.filter { step in
            plan.permissions(of: step).contains { needed in missing.contains { covers($0, needed, target: namespace) } }
        })
        let pool = RegexPool()
        var cannotFire: [String] = []
        var fewer: [String] = []
        for rule in catalog.rules {
            let losses = rule.match.map { loss($0, steps: plan.steps, lost: lost, regexes: pool) }
            if !losses.isEmpty, losses.allSatisfy({ $0 == .blind }) {
                cannotFire.append(rule.id)
            } else if losses.contains(where: { $0 != .none }) {
                fewer.append(rule.id)
            }
        }
        return AccessImpact(absentEvidence: lost.sorted().map(\.description), rulesThatCannotFire: cannotFire.sorted(),
                            rulesWithFewerSignals: fewer.sorted())
    }

    /// True when a refused permission takes away a needed one: same verb and resource, a refusal without a name
    /// covers every name, and the namespaces agree once a nil one is read as `target` (unknown target: any).
    static func covers(_ refused: GatherPlan.Permission, _ needed: GatherPlan.Permission, target: String?) -> Bool {
        refused.verb == needed.verb && refused.group == needed.group && refused.resource == needed.resource
            && (refused.resourceName == nil || refused.resourceName == needed.resourceName)
            && overlaps(refused.namespace ?? target, needed.namespace ?? target)
    }

    /// Namespaces that may be the same: equal, or one of them unspecified.
    static func overlaps(_ a: String?, _ b: String?) -> Bool { a == nil || b == nil || a == b }

    /// How much of a condition's input is lost.
    enum Loss { case none, partial, blind }

    /// A condition is blind when every step serving one of its inputs is lost, partly blind when some are.
    static func loss(_ condition: Condition, steps: [GatherStep], lost: Set<GatherStep>, regexes: RegexPool) -> Loss {
        var partial = false
        for input in inputs(of: condition, regexes: regexes) {
            let serving = steps.filter(input)
            let gone = serving.filter(lost.contains).count
            if gone > 0, gone == serving.count { return .blind }
            partial = partial || gone > 0
        }
        return partial ? .partial : .none
    }

    /// The inputs of a condition, as the analysis engine reads them: each is served by one or more gather steps
    /// (a base-url check needs its Secret, and the route hosts of HTTPRoutes, Gateways or Ingresses).
    static func inputs(of condition: Condition, regexes: RegexPool) -> [(GatherStep) -> Bool] {
        func list(_ types: [ResourceType], _ namespace: String?) -> (GatherStep) -> Bool {
            { if case .resources(let r) = $0 { types.contains(r.type) && overlaps(namespace, r.namespace) } else { false } }
        }
        func secret(_ name: String, _ namespace: String?) -> (GatherStep) -> Bool {
            { if case .secret(let s) = $0 { s.name == name && overlaps(namespace, s.namespace) } else { false } }
        }
        switch condition {
        case .log(let c):
            let namespace = c.containers.pods.namespace
            return [list([.pods], namespace), { if case .logs(let l) = $0 { overlaps(namespace, l.namespace) } else { false } }]
        case .containerState(let c): return [list([.pods], c.containers.pods.namespace)]
        case .podStatus(let c): return [list([.pods], c.pods.namespace)]
        case .event(let c): return [list([.events], c.namespace)]
        case .secret(let c): return [secret(c.name, c.namespace)]
        case .baseURL(let c): return [secret(c.secret, c.namespace), list([.httpRoutes, .gateways, .ingresses], nil)]
        case .helmRelease(let c):
            return [{ if case .helmRelease(let h) = $0 { regexes.matches(c.release, h.name) } else { false } }]
        case .argoApplication(let c):
            return [{ if case .argoApplications(let a) = $0 { overlaps(c.namespace, a.namespace) } else { false } }]
        case .httpCheck(let c):
            return [{ if case .httpCheck(let h) = $0 { regexes.matches(c.name, h.name) } else { false } }]
        }
    }

    /// The type and subresource a permission names (`pods/log` is `pods` with subresource `log`).
    static func resourceType(of permission: GatherPlan.Permission) -> (ResourceType, String?) {
        let parts = permission.resource.split(separator: "/", maxSplits: 1).map(String.init)
        let resource = parts.first ?? permission.resource
        let known = ResourceType.wellKnown.first { $0.group == permission.group && $0.resource == resource }
        let type = known ?? ResourceType(group: permission.group, version: "*", resource: resource, kind: resource)
        return (type, parts.count > 1 ? parts[1] : nil)
    }
}

extension AccessCheck.Report {
    /// The text of `emdiag rbac`: a summary line, then each permission; a missing one with what it costs.
    /// - Parameter identity: who asked (the endpoint's identity), for the summary line.
    package func text(identity: String) -> String {
        var lines = ["\(identity) in namespace \(namespace): \(entries.count) permissions needed by the loaded playbooks, \(missing) missing."]
        for entry in entries {
            lines.append("\(entry.allowed ? "ok     " : "MISSING") \(entry.checked)")
            guard let impact = entry.impact else { continue }
            if let reason = entry.reason { lines.append("        server: \(reason)") }
            lines.append("        \(impact.summary)")
        }
        if missing > 1 {
            lines.append("All missing permissions together: \(combined.summary)")
        }
        if missing > 0 {
            lines.append("Grant them with deploy/rbac.yaml (docs/hooks.md, \"Least privilege\"); emdiag collect still runs without them.")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The JSON of `emdiag rbac --format json` (sorted keys).
    package func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}

