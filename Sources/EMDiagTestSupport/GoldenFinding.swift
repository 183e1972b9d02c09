import EMDiagCore
import Foundation

/// A finding as the golden files `Fixtures/<scenario>/expected/findings.json` hold it: what must stay stable
/// (id, severity, summary, resources, evidence places, the explains/explainedBy links), not titles or remedies.
package struct GoldenFinding: Codable, Equatable, Sendable, CustomStringConvertible {
    package struct Place: Codable, Equatable, Sendable {
        package var path: String
        package var line: Int?
    }
    package var id: String
    package var severity: Severity
    package var summary: String
    package var resources: [String]
    package var evidence: [Place]
    package var explains: [String]
    package var explainedBy: String?

    package init(_ f: Finding) {
        id = f.id
        severity = f.severity
        summary = f.summary
        resources = f.resources.map(\.description)
        evidence = f.evidence.map { Place(path: $0.path, line: $0.line) }
        explains = f.explains
        explainedBy = f.explainedBy
    }

    /// "migration-conflict@Pod/em/x container=app", the key `explains` and `explainedBy` use.
    package var key: String { resources.first.map { "\(id)@\($0)" } ?? id }

    package var description: String { "\(severity.rawValue) \(key)" }

    /// Reads `Fixtures/<scenario>/expected/findings.json`.
    package static func load(_ url: URL) throws -> [GoldenFinding] {
        try JSONDecoder().decode([GoldenFinding].self, from: Data(contentsOf: url))
    }
}
