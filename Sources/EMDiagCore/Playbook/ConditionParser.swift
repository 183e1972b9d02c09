import Yams

/// Builds a `Condition` of a given kind from its YAML mapping (one exhaustive switch over `ConditionKind`).
struct ConditionParser {
    let reader: MappingReader
    let parser: PlaybookParser

    func parse(_ kind: ConditionKind) -> Condition? {
        let m = reader
        switch kind {
        case .log:
            guard let pattern = m.regex("pattern", required: true, literals: m.strings("literals")) else { return nil }
            let (before, after) = context()
            let streams = m.strings("streams").compactMap { name -> LogStream? in
                guard let stream = LogStream(rawValue: name) else {
                    m.diagnostics.report(.invalidValue, at: m.mark(of: "streams"), "`streams` in \(m.what) holds `current` and/or `previous`, not `\(name)`.")
                    return nil
                }
                return stream
            }
            return .log(LogCondition(
                containers: containers(), pattern: pattern, ignoreCase: m.bool("ignoreCase") ?? false,
                streams: streams.isEmpty ? LogStream.allCases : streams, before: before, after: after))
        case .containerState:
            let state = m.choice("state", ContainerStateName.self)
            return .containerState(ContainerStateCondition(
                containers: containers(), state: state, reason: m.regex("reason"), message: m.regex("message"),
                lastReason: m.regex("lastReason"), exitCodes: m.ints("exitCodes"), minRestarts: m.int("minRestarts"),
                runningFor: m.seconds("runningFor"), command: m.regex("command"), ready: m.bool("ready")))
        case .podStatus:
            var match: PodConditionMatch?
            if let c = m.mapping("condition", allowed: ["type", "status", "reason", "message"]), let type = c.string("type", required: true) {
                match = PodConditionMatch(type: type, status: c.string("status"), reason: c.regex("reason"), message: c.regex("message"))
            }
            return .podStatus(PodStatusCondition(pods: pods(), phase: m.regex("phase"), ready: m.bool("ready"), condition: match))
        case .event:
            return .event(EventCondition(
                reason: m.regex("reason"), type: m.string("type"), message: m.regex("message"),
                involvedKind: m.string("involvedKind"), involvedName: m.regex("involvedName"), namespace: m.string("namespace")))
        case .secret:
            guard let name = m.string("name", required: true), let key = m.string("key", required: true) else { return nil }
            let expect = m.has("expect") ? m.choice("expect", SecretExpectation.self) : .present
            guard let expect else { return nil }
            return .secret(SecretCondition(name: name, namespace: m.string("namespace"), key: key, expect: expect, length: m.int("length")))
        case .baseURL:
            guard let secret = m.string("secret", required: true) else { return nil }
            return .baseURL(BaseURLCondition(secret: secret, namespace: m.string("namespace"), key: m.string("key") ?? "base-url"))
        case .helmRelease:
            guard let status = m.regex("status", required: true) else { return nil }
            return .helmRelease(HelmReleaseCondition(release: m.regex("release"), status: status))
        case .argoApplication:
            return .argoApplication(ArgoApplicationCondition(
                name: m.regex("name"), namespace: m.string("namespace"), sync: m.regex("sync"), health: m.regex("health"),
                conditionType: m.regex("conditionType"), message: m.regex("message"), operationPhase: m.regex("operationPhase")))
        case .httpCheck:
            return .httpCheck(HTTPCheckCondition(name: m.regex("name"), status: m.regex("status"), failed: m.bool("failed") ?? true))
        }
    }

    /// `context: N` (N lines before and after) or `context: {before: N, after: M}`.
    func context() -> (Int, Int) {
        guard let node = reader.node("context") else { return (0, 0) }
        if node.scalar != nil { let n = reader.int("context") ?? 0; return (n, n) }
        guard let c = reader.mapping("context", allowed: ["before", "after"]) else { return (0, 0) }
        return (c.int("before") ?? 0, c.int("after") ?? 0)
    }

    func pods() -> PodSelector {
        guard let p = reader.mapping("pods", allowed: ["name", "labelSelector", "component", "namespace"]) else { return PodSelector() }
        return PodSelector(
            name: p.regex("name"), labels: parser.labelSelector(p, "labelSelector"), component: p.string("component"),
            namespace: p.string("namespace"))
    }

    func containers() -> ContainerSelector {
        ContainerSelector(pods: pods(), name: reader.regex("containers"), kind: reader.choice("containerKind", ContainerKind.self) ?? .any)
    }
}
