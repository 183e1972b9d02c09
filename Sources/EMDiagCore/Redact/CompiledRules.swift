/// The redactor's rules in scanning form: one prefilter automaton over every trigger literal (rule triggers,
/// playbook names and patterns, prefixes of the cluster's secret values) and what each literal stands for.
/// Immutable; `Redactor` builds a new one when secret values are registered.
final class CompiledRules: Sendable {
    /// What a trigger literal stands for.
    enum Target: Sendable {
        case rule(RedactionRule)
        /// Part of a secret-looking key name: run the key=value and env matchers at this spot.
        case name
        /// The first bytes of registered secret values (indices into `knownValues`).
        case known([Int])
        /// A playbook pattern's required literal (index into `patterns`).
        case pattern(Int)
    }

    /// How many bytes of each registered secret value feed the prefilter.
    static let knownPrefix = 8

    let automaton: LiteralAutomaton
    let targets: [Target]
    let names: SecretNames
    let patterns: [RedactionPattern]
    /// Patterns without a required literal: they run on every line (and turn off the fast path).
    let unconditionalPatterns: [Int]
    /// Registered secret values; for a base64 form, `knownAlias` is the index of the raw value (else -1):
    /// padding may follow it, and it takes the raw value's placeholder.
    let knownValues: [[UInt8]]
    let knownAlias: [Int]
    /// Raw bytes of the per-bundle placeholder key (SymmetricKey is not Sendable, so it is made per use).
    private let placeholderKey: [UInt8]

    /// Count slots: the built-in rules in `RedactionRule.allCases` order, then one per playbook pattern.
    static let builtInSlots = RedactionRule.allCases.count
    var slotCount: Int { Self.builtInSlots + patterns.count }

    static func slot(_ rule: RedactionRule) -> Int {
        RedactionRule.allCases.firstIndex(of: rule) ?? 0
    }

    static let ruleTriggers: [(String, RedactionRule)] = [
        ("://", .urlCredentials), ("@tcp(", .connectionString), ("@unix(", .connectionString),
        ("authorization", .authorizationHeader), ("bearer", .authorizationHeader), ("eyj", .jwt),
        ("akia", .awsAccessKey), ("asia", .awsAccessKey), ("agpa", .awsAccessKey), ("aida", .awsAccessKey),
        ("aroa", .awsAccessKey), ("aipa", .awsAccessKey), ("anpa", .awsAccessKey), ("anva", .awsAccessKey),
        ("aiza", .gcpKey), ("ya29.", .gcpKey), ("private key", .pemPrivateKey),
    ]

    init(
        names: SecretNames, patterns: [RedactionPattern], patternLiterals: [[String]], knownValues: [[UInt8]],
        knownAlias: [Int], placeholderKey: [UInt8]
    ) {
        var literals: [[UInt8]] = []
        var targets: [Target] = []
        for (literal, rule) in Self.ruleTriggers {
            literals.append(Array(literal.utf8))
            targets.append(.rule(rule))
        }
        for literal in SecretNames.builtInTriggers + names.extraTriggers {
            literals.append(Array(literal.utf8))
            targets.append(.name)
        }
        var unconditional: [Int] = []
        for (index, alternatives) in patternLiterals.enumerated() {
            if alternatives.isEmpty { unconditional.append(index) }
            for literal in alternatives {
                literals.append(Array(literal.utf8))
                targets.append(.pattern(index))
            }
        }
        var byPrefix: [[UInt8]: [Int]] = [:]
        for (index, value) in knownValues.enumerated() {
            byPrefix[value.prefix(Self.knownPrefix).map(LiteralAutomaton.lower), default: []].append(index)
        }
        for (prefix, indices) in byPrefix.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            literals.append(prefix)
            targets.append(.known(indices))
        }
        automaton = LiteralAutomaton(literals: literals)
        self.targets = targets
        self.names = names
        self.patterns = patterns
        unconditionalPatterns = unconditional
        self.knownValues = knownValues
        self.knownAlias = knownAlias
        self.placeholderKey = placeholderKey
    }

    /// `<redacted:XXXXXX>`: the first 3 bytes of HMAC-SHA256(per-bundle key, value), in hex.
    func placeholder(for value: UnsafeRawBufferPointer) -> [UInt8] {
        Redactor.placeholder(for: value, key: placeholderKey)
    }
}
