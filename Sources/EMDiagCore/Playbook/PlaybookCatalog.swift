import Foundation

/// The text of one playbook file and the name it is reported under.
package struct PlaybookSource: Sendable, Hashable {
    package var name: String
    package var text: String
    package init(name: String, text: String) {
        self.name = name
        self.text = text
    }
}

/// Every loaded playbook, merged: the effective rules (a user's rule replaces the built-in rule with the same id),
/// the components in start-up order, the gather plan and the redaction additions.
package struct PlaybookCatalog: Sendable {
    package var playbooks: [Playbook]
    /// Effective rules, built-in order first, then user rules in file order.
    package var rules: [Rule]
    package var components: [Component]
    package var gatherPlan: GatherPlan
    package var redaction: RedactionPolicyAdditions
    /// The playbooks given by the user (not built in), as read: stored in bundles for later re-analysis.
    package var userSources: [PlaybookSource] = []

    package func rule(_ id: String) -> Rule? { rules.first { $0.id == id } }

    /// The built-in pack, compiled into the binary.
    package static var builtInSources: [PlaybookSource] {
        BuiltInPlaybooks.files.map { PlaybookSource(name: "built-in:\($0.name)", text: $0.text) }
    }

    /// Loads the built-in pack (unless `includeBuiltIn` is false) plus every playbook under `paths`.
    /// - Throws: the first `PlaybookError` (run `emdiag playbooks lint` to see them all).
    package static func load(paths: [String] = [], includeBuiltIn: Bool = true) throws(PlaybookError) -> PlaybookCatalog {
        let (user, readErrors) = sources(at: paths)
        let result = lint(user: user, builtIn: includeBuiltIn ? builtInSources : [])
        if let first = (readErrors + result.errors).sorted().first { throw first }
        return result.catalog
    }

    /// Reads `*.yaml` / `*.yml` files, from folders (sorted) or named directly.
    package static func sources(at paths: [String]) -> ([PlaybookSource], [PlaybookError]) {
        var out: [PlaybookSource] = []
        var errors: [PlaybookError] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                errors.append(.init(file: path, line: 1, column: 1, kind: .unreadable, message: "no such file or folder; pass a playbook file or a folder of *.yaml files."))
                continue
            }
            let files: [String]
            if isDirectory.boolValue {
                let names = (try? fm.contentsOfDirectory(atPath: path)) ?? []
                files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                    .map { (path as NSString).appendingPathComponent($0) }
            } else {
                files = [path]
            }
            for file in files {
                guard let data = fm.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                    errors.append(.init(file: file, line: 1, column: 1, kind: .unreadable, message: "cannot read the file as UTF-8 text."))
                    continue
                }
                out.append(PlaybookSource(name: file, text: text))
            }
        }
        return (out, errors)
    }

    /// Parses and checks playbooks, collecting every problem.
    /// - Parameters:
    ///   - user: playbooks given with `--playbooks` (their rules replace built-in rules with the same id).
    ///   - builtIn: the built-in pack.
    ///   - scenarios: when given, the fixture scenario names `examples` may refer to.
    package static func lint(
        user: [PlaybookSource], builtIn: [PlaybookSource] = builtInSources, scenarios: Set<String>? = nil
    ) -> (catalog: PlaybookCatalog, errors: [PlaybookError]) {
        var errors: [PlaybookError] = []
        func parse(_ sources: [PlaybookSource]) -> [Playbook] {
            sources.compactMap { source in
                let diagnostics = PlaybookDiagnostics(file: source.name)
                let playbook = PlaybookParser(diagnostics: diagnostics).parse(source.text)
                errors += diagnostics.errors
                return playbook
            }
        }
        let builtInBooks = parse(builtIn)
        let userBooks = parse(user)
        let builtInRules = uniqueRules(builtInBooks, errors: &errors)
        let userRules = uniqueRules(userBooks, errors: &errors)
        let replaced = Set(userRules.map(\.id))
        let rules = builtInRules.filter { !replaced.contains($0.id) } + userRules
        let ids = Set(rules.map(\.id))
        for rule in rules {
            for link in rule.explains where !ids.contains(link.rule) {
                errors.append(rule.error(.unknownRule, "rule \"\(rule.id)\" explains `\(link.rule)`, which no loaded playbook defines."))
            }
            guard let scenarios else { continue }
            for name in rule.examples.fires + rule.examples.quiet where !scenarios.contains(name) {
                errors.append(rule.error(.unknownScenario, "rule \"\(rule.id)\" names the example scenario `\(name)`, which is not a folder of the fixtures."))
            }
        }
        var components: [Component] = []
        for component in (builtInBooks + userBooks).flatMap(\.components) {
            if let index = components.firstIndex(where: { $0.name == component.name }) {
                components[index] = component
            } else {
                components.append(component)
            }
        }
        let books = builtInBooks + userBooks
        let catalog = PlaybookCatalog(
            playbooks: books, rules: rules, components: components,
            gatherPlan: books.reduce(GatherPlan()) { $0.merged(with: $1.gather) },
            redaction: books.reduce(RedactionPolicyAdditions()) { $0.merged(with: $1.redaction) }, userSources: user)
        return (catalog, errors.sorted())
    }

    /// Rules of a set of playbooks; an id defined twice is an error at its second definition.
    private static func uniqueRules(_ books: [Playbook], errors: inout [PlaybookError]) -> [Rule] {
        var seen: [String: Rule] = [:]
        var out: [Rule] = []
        for rule in books.flatMap(\.rules) {
            if let first = seen[rule.id] {
                errors.append(rule.error(.duplicateID, "duplicate rule id \"\(rule.id)\" (first defined at \(first.location)); rule ids must be unique."))
                continue
            }
            seen[rule.id] = rule
            out.append(rule)
        }
        return out
    }
}

extension Rule {
    func error(_ kind: PlaybookError.Kind, _ message: String) -> PlaybookError {
        PlaybookError(file: location.file, line: location.line, column: location.column, kind: kind, message: message)
    }
}
