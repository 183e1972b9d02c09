/// Human-readable descriptions of rules (for `emdiag playbooks explain` and the rule reference in the docs).
package enum PlaybookExplainer {
    /// A rule's id, severity, meaning, conditions, links, remedy and examples, as plain text.
    package static func explain(_ rule: Rule) -> String {
        var lines = [
            "\(rule.id) (\(rule.severity.rawValue)): \(rule.title)",
            "defined in \(rule.location) (playbook \(rule.playbook))",
            "",
            "Summary template: \(rule.summary)",
            "",
            "Fires when any of:",
        ]
        for condition in rule.match {
            lines.append("  - \(condition.kind.rawValue): \(describe(condition))")
        }
        if let dependency = rule.dependency { lines.append("Depends on: \(dependency)") }
        if !rule.explains.isEmpty {
            lines.append("Explains:")
            for link in rule.explains {
                lines.append("  - \(link.rule) when \(link.relation.documentation)\(link.suppress ? " (then not reported separately)" : "")")
            }
        }
        lines += ["", "What to do:", "  \(rule.remedy)"]
        if !rule.references.isEmpty { lines += ["", "References:"] + rule.references.map { "  \($0)" } }
        lines += [
            "", "Examples (Fixtures scenarios):",
            "  fires in: \(rule.examples.fires.joined(separator: ", "))",
            "  quiet in: \(rule.examples.quiet.joined(separator: ", "))",
        ]
        return lines.joined(separator: "\n")
    }

    /// One line per condition: its kind's key fields.
    static func describe(_ condition: Condition) -> String {
        switch condition {
        case .log(let c):
            "log /\(c.pattern.source)/ in \(c.streams.map(\.rawValue).joined(separator: "+")) logs\(selector(c.containers))"
        case .containerState(let c):
            [c.state.map { "state \($0.rawValue)" }, c.reason.map { "reason \($0.source)" }, c.lastReason.map { "last termination \($0.source)" },
             c.exitCodes.isEmpty ? nil : "exit code \(c.exitCodes.map(String.init).joined(separator: "|"))",
             c.minRestarts.map { "at least \($0) restarts" }, c.runningFor.map { "running for \($0)s or more" },
             c.message.map { "message /\($0.source)/" }].compactMap { $0 }.joined(separator: ", ") + selector(c.containers)
        case .podStatus(let c):
            [c.phase.map { "phase \($0.source)" }, c.ready.map { "ready=\($0)" },
             c.condition.map { "condition \($0.type)=\($0.status ?? "*") reason \($0.reason?.source ?? "*")" }].compactMap { $0 }.joined(separator: ", ")
        case .event(let c):
            "event reason \(c.reason?.source ?? "*")\(c.message.map { " message /\($0.source)/" } ?? "")"
        case .secret(let c):
            "Secret \(c.name) key \(c.key) is not \(c.expect.rawValue)\(c.length.map { " of \($0) bytes" } ?? "")"
        case .baseURL(let c):
            "host/scheme of \(c.secret) \(c.key) do not match HTTPRoute/Gateway/Ingress hosts and TLS"
        case .helmRelease(let c):
            "latest revision status \(c.status.source)"
        case .argoApplication(let c):
            [c.sync.map { "sync \($0.source)" }, c.health.map { "health \($0.source)" }, c.conditionType.map { "condition \($0.source)" },
             c.operationPhase.map { "operation \($0.source)" }].compactMap { $0 }.joined(separator: ", ")
        case .httpCheck(let c):
            "HTTP check \(c.name?.source ?? "*") \(c.failed ? "failed" : "")\(c.status.map { " status \($0.source)" } ?? "")"
        }
    }

    static func selector(_ c: ContainerSelector) -> String {
        var parts: [String] = []
        if let name = c.pods.name { parts.append("pods /\(name.source)/") }
        if let labels = c.pods.labels { parts.append("pods \(labels)") }
        if let name = c.name { parts.append("containers /\(name.source)/") }
        if c.kind != .any { parts.append("\(c.kind.rawValue) containers") }
        return parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
    }
}
