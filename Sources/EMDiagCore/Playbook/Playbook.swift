/// A playbook (`apiVersion: emdiag.io/v1`, `kind: Playbook`): what to gather from a cluster, the components in
/// start-up order, extra redaction, and the rules that turn the gathered evidence into findings.
/// `docs/playbooks.md` documents the YAML form.
package struct Playbook: Sendable {
    package static let apiVersion = "emdiag.io/v1"
    package static let kind = "Playbook"

    package var name: String
    /// Where it was read from (`Playbooks/em-runtime.yaml`, or `built-in:em-runtime.yaml`).
    package var file: String
    package var description: String
    package var components: [Component]
    package var gather: GatherPlan
    package var redaction: RedactionPolicyAdditions
    package var rules: [Rule]
}

/// A part of the installation in start-up order (PostgreSQL, Redis, Keycloak, ...). Pods belong to the first
/// component whose `match` finds their name or their `app.kubernetes.io/name` / `app` label; a dependency named by
/// a finding (`{dependency}`) is mapped to a component the same way.
package struct Component: Sendable, Hashable {
    package var name: String
    package var match: PortableRegex
    /// Infrastructure others wait on (checked first by `infra-unhealthy`-style rules).
    package var infrastructure: Bool
}

/// How a rule's findings relate to findings of another rule, for root-cause ranking.
package enum ExplainRelation: String, CaseIterable, Sendable, Hashable, Codable {
    /// Same pod and container.
    case sameContainer
    /// Same pod.
    case samePod
    /// The other finding's `dependency` (what it waits on or fails to reach) is this finding's component.
    case dependency
    /// Both findings are on pods of the same component.
    case sameComponent
    /// Any finding of that rule.
    case any

    package var documentation: String {
        switch self {
        case .sameContainer: "the other finding is on the same pod and container"
        case .samePod: "the other finding is on the same pod"
        case .dependency: "the other finding waits on, or cannot reach, this finding's component"
        case .sameComponent: "the other finding is on a pod of the same component"
        case .any: "every finding of the other rule"
        }
    }
}

/// "My findings explain findings of `rule` related by `relation`"; `suppress` drops the explained finding from
/// the report (e.g. a `crash-loop` whose cause a log signature already names).
package struct ExplainLink: Sendable, Hashable {
    package var rule: String
    package var relation: ExplainRelation
    package var suppress: Bool
}

/// Fixture scenarios where a rule must fire and where it must stay quiet (rules describe themselves with them).
package struct RuleExamples: Sendable, Hashable {
    package var fires: [String]
    package var quiet: [String]
}

/// Where something was written in a playbook file.
package struct PlaybookLocation: Sendable, Hashable, CustomStringConvertible {
    package var file: String
    package var line: Int
    package var column: Int
    package var description: String { "\(file):\(line):\(column)" }
}

/// One failure signature: stable id, what it means, how to fix it, and when it fires (any of `match`).
package struct Rule: Sendable, Hashable {
    package var id: String
    package var severity: Severity
    package var title: String
    /// Filled from the match: `{pod}`, `{container}`, `{namespace}`, named captures such as `{database}`.
    package var summary: String
    package var remedy: String
    package var references: [String]
    /// A dependency fixed by the rule (`postgresql` for "database unreachable"), unless a `dependency` capture says.
    package var dependency: String?
    package var explains: [ExplainLink]
    package var examples: RuleExamples
    package var match: [Condition]
    package var location: PlaybookLocation
    /// The playbook that defines it.
    package var playbook: String

    /// Every capture name of the rule's conditions.
    package var captureNames: Set<String> {
        Set(match.flatMap { $0.regexes.flatMap { $0.captureNames.map(\.name) } })
    }

    /// Template values the rule's summary may use.
    package var templateNames: Set<String> {
        var names = captureNames.union(["namespace", "kind", "name", "resource", "dependency", "component", "count"])
        for condition in match { names.formUnion(condition.kind.provides) }
        return names
    }
}

/// Additions to the redactor's policy a playbook asks for (consumed by the redaction step).
package struct RedactionPolicyAdditions: Sendable, Hashable, Codable {
    /// Extra regular expressions (portable syntax) whose matches are redacted.
    package var patterns: [String]
    /// Extra key / env names whose values are redacted (`myToken`, `LICENSE_KEY`).
    package var keyNames: [String]
    /// Bundle paths or glob patterns (`*`, `**`) of files dropped entirely.
    package var dropFiles: [String]

    package init(patterns: [String] = [], keyNames: [String] = [], dropFiles: [String] = []) {
        self.patterns = patterns
        self.keyNames = keyNames
        self.dropFiles = dropFiles
    }

    /// The union of two policies (sorted, without duplicates).
    package func merged(with other: RedactionPolicyAdditions) -> RedactionPolicyAdditions {
        RedactionPolicyAdditions(
            patterns: Array(Set(patterns + other.patterns)).sorted(),
            keyNames: Array(Set(keyNames + other.keyNames)).sorted(),
            dropFiles: Array(Set(dropFiles + other.dropFiles)).sorted())
    }
}
