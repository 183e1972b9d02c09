import Foundation

/// How bad a finding is. Ordered: `critical` > `warning` > `info`.
package enum Severity: String, Codable, Sendable, CaseIterable, Comparable {
    case info, warning, critical

    private var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .critical: 2
        }
    }
    package static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// A Kubernetes object a finding is about, written `Pod/em/governance-0` (plus the container when it matters).
package struct ResourceRef: Codable, Sendable, Hashable, CustomStringConvertible {
    package var kind: String
    package var namespace: String?
    package var name: String
    package var container: String?

    package init(kind: String, namespace: String?, name: String, container: String? = nil) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.container = container
    }

    package var description: String {
        let base = namespace.map { "\(kind)/\($0)/\(name)" } ?? "\(kind)/\(name)"
        return container.map { "\(base) container=\($0)" } ?? base
    }
}

/// Where in the bundle a finding's proof is: a file, a 1-based line, and a short redacted excerpt.
package struct Evidence: Codable, Sendable, Hashable {
    package var path: String
    package var line: Int?
    package var excerpt: String

    package init(path: String, line: Int?, excerpt: String) {
        self.path = path
        self.line = line
        self.excerpt = excerpt
    }
}

/// One diagnosed problem: what happened, the proof, and what to do.
package struct Finding: Codable, Sendable, Hashable {
    /// The rule id (a public contract: `migration-conflict`, `init-waiting`, ...).
    package var id: String
    package var severity: Severity
    package var title: String
    package var summary: String
    package var resources: [ResourceRef]
    package var evidence: [Evidence]
    package var remedy: String
    package var references: [String]
    /// Ids of findings this one explains (they follow from it), filled by root-cause ranking.
    package var explains: [String]
    /// Id of the finding that explains this one, when there is one.
    package var explainedBy: String?
    /// A stable key for this occurrence, `id@resource`, used to link findings.
    package var key: String

    package init(
        id: String, severity: Severity, title: String, summary: String, resources: [ResourceRef],
        evidence: [Evidence], remedy: String, references: [String] = [], explains: [String] = [],
        explainedBy: String? = nil
    ) {
        self.id = id
        self.severity = severity
        self.title = title
        self.summary = summary
        self.resources = resources
        self.evidence = evidence
        self.remedy = remedy
        self.references = references
        self.explains = explains
        self.explainedBy = explainedBy
        self.key = resources.first.map { "\(id)@\($0)" } ?? id
    }
}
