/// A problem in a playbook file, located by file, line and column (1-based, from the YAML node's `Mark`).
/// The description reads like a compiler diagnostic: `Playbooks/x.yaml:12:7: error: ...`.
package struct PlaybookError: Error, CustomStringConvertible, Sendable, Hashable, Comparable {
    /// What kind of mistake it is (tests and tools key on it).
    package enum Kind: String, Sendable, Hashable, CaseIterable {
        case unreadable, syntax, unknownKey, duplicateID, badRegex, unknownCondition, wrongType, missingField
        case invalidValue, unknownScenario, unknownRule, unknownPlaceholder
    }

    package var file: String
    package var line: Int
    package var column: Int
    package var kind: Kind
    package var message: String

    package init(file: String, line: Int, column: Int, kind: Kind, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.kind = kind
        self.message = message
    }

    package var description: String { "\(file):\(line):\(column): error: \(message)" }

    package static func < (lhs: PlaybookError, rhs: PlaybookError) -> Bool {
        (lhs.file, lhs.line, lhs.column, lhs.message) < (rhs.file, rhs.line, rhs.column, rhs.message)
    }
}
