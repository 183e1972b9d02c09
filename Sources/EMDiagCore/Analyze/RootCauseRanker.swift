/// A finding before ranking, with what ranking needs: its rule, the component it is on, and the component it
/// depends on (what it waits on or cannot reach).
struct RankedFinding: Sendable {
    var finding: Finding
    var rule: Rule
    var component: String?
    var dependency: String?
    var pod: String? {
        guard let r = finding.resources.first, r.kind == "Pod" else { return nil }
        return "\(r.namespace ?? "")/\(r.name)"
    }
    var container: String? { finding.resources.first?.container }
}

/// Links findings that explain each other and orders them root cause first.
///
/// A rule's `explains` entries say which findings of other rules its findings explain (same container, same pod,
/// the other depends on this one's component, same component, or any). Each finding gets at most one explainer: the
/// earliest in ranking order that does not close a cycle. Links marked `suppress` remove the explained finding (a
/// `crash-loop` whose cause a log signature already names); what it explained moves to its explainer.
/// Order: roots first, then what they explain (by depth); within a depth, by the component's place in the
/// start-up order (PostgreSQL, Redis, Keycloak, OpenFGA, Infisical, services, then other objects), severity (most
/// severe first), rule id and resource.
struct RootCauseRanker {
    let rules: [Rule]
    let snapshot: ClusterSnapshot

    func rank(_ input: [RankedFinding]) -> [Finding] {
        var items = input.sorted { sortKey($0) < sortKey($1) }
        let n = items.count
        var parent = [Int?](repeating: nil, count: n)
        var suppressed = [Bool](repeating: false, count: n)
        func link(_ a: Int, _ b: Int) -> ExplainLink? {
            guard a != b else { return nil }
            return items[a].rule.explains.first { $0.rule == items[b].rule.id && holds($0.relation, items[a], items[b]) }
        }
        let candidates = (0..<n).map { b in (0..<n).filter { link($0, b) != nil } }
        // Prefer explainers nothing explains (true roots), then ranking order; never close a cycle.
        for b in 0..<n {
            let ordered = candidates[b].sorted { (!candidates[$0].isEmpty ? 1 : 0, $0) < (!candidates[$1].isEmpty ? 1 : 0, $1) }
            for a in ordered where !createsCycle(parent, from: a, to: b) {
                parent[b] = a
                suppressed[b] = link(a, b)?.suppress ?? false
                break
            }
        }
        // Suppressed findings hand what they explain to their own explainer.
        func visibleAncestor(_ i: Int?) -> Int? {
            var current = i
            while let c = current, suppressed[c] { current = parent[c] }
            return current
        }
        var depth = [Int](repeating: 0, count: n)
        func depthOf(_ i: Int) -> Int {
            var d = 0
            var current = visibleAncestor(parent[i])
            while let c = current {
                d += 1
                current = visibleAncestor(parent[c])
            }
            return d
        }
        for i in 0..<n { depth[i] = depthOf(i) }
        for i in 0..<n where !suppressed[i] {
            if let p = visibleAncestor(parent[i]) {
                items[i].finding.explainedBy = items[p].finding.key
                items[p].finding.explains.append(items[i].finding.key)
            }
        }
        let visible = (0..<n).filter { !suppressed[$0] }.sorted { (depth[$0], $0) < (depth[$1], $1) }
        return visible.map { i in
            var finding = items[i].finding
            finding.explains.sort()
            return finding
        }
    }

    func sortKey(_ f: RankedFinding) -> SortKey {
        let isPod = f.finding.resources.first?.kind == "Pod"
        let order = isPod ? snapshot.order(of: f.component) : snapshot.components.count + 1
        return SortKey(order: order, severity: -rank(f.finding.severity), id: f.finding.id, key: f.finding.key)
    }

    struct SortKey: Comparable {
        var order: Int
        var severity: Int
        var id: String
        var key: String
        static func < (a: SortKey, b: SortKey) -> Bool { (a.order, a.severity, a.id, a.key) < (b.order, b.severity, b.id, b.key) }
    }

    func rank(_ severity: Severity) -> Int {
        Severity.allCases.firstIndex(of: severity) ?? 0
    }

    func holds(_ relation: ExplainRelation, _ a: RankedFinding, _ b: RankedFinding) -> Bool {
        switch relation {
        case .sameContainer: a.pod != nil && a.pod == b.pod && (a.container == nil || a.container == b.container)
        case .samePod: a.pod != nil && a.pod == b.pod
        case .dependency: a.component != nil && b.dependency == a.component
        case .sameComponent: a.component != nil && a.component == b.component
        case .any: true
        }
    }

    func createsCycle(_ parent: [Int?], from a: Int, to b: Int) -> Bool {
        var current: Int? = a
        while let c = current {
            if c == b { return true }
            current = parent[c]
        }
        return false
    }
}
