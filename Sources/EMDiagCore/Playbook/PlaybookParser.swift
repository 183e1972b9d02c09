import Foundation
import Yams

/// Reads one playbook file into a `Playbook`, reporting every problem (with its line and column) to the
/// diagnostics instead of stopping at the first.
struct PlaybookParser {
    let diagnostics: PlaybookDiagnostics
    var file: String { diagnostics.file }

    /// - Returns: the playbook, or nil when the text is not a playbook at all (the reason is reported).
    func parse(_ text: String) -> Playbook? {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                diagnostics.report(.missingField, at: nil, "the file is empty; a playbook starts with `apiVersion: \(Playbook.apiVersion)`.")
                return nil
            }
            root = node
        } catch let error as YamlError {
            let (line, column, problem) = Self.locate(error)
            diagnostics.report(.syntax, line: line, column: column, "the file is not valid YAML: \(problem).")
            return nil
        } catch {
            diagnostics.report(.syntax, at: nil, "the file is not valid YAML: \(error).")
            return nil
        }
        let top = ["apiVersion", "kind", "metadata", "components", "gather", "redaction", "rules"]
        guard let doc = MappingReader(root, what: "the playbook", allowed: top, diagnostics: diagnostics) else { return nil }
        if let version = doc.string("apiVersion", required: true), version != Playbook.apiVersion {
            diagnostics.report(.invalidValue, at: doc.mark(of: "apiVersion"), "`apiVersion` must be `\(Playbook.apiVersion)`, not `\(version)`.")
        }
        if let kind = doc.string("kind", required: true), kind != Playbook.kind {
            diagnostics.report(.invalidValue, at: doc.mark(of: "kind"), "`kind` must be `\(Playbook.kind)`, not `\(kind)`.")
        }
        let metadata = doc.mapping("metadata", allowed: ["name", "description"], required: true)
        let name = metadata?.string("name", required: true) ?? ""
        return Playbook(
            name: name, file: file, description: metadata?.string("description") ?? "",
            components: doc.sequence("components").compactMap(component),
            gather: gatherPlan(doc.sequence("gather")),
            redaction: redaction(doc),
            rules: doc.sequence("rules").compactMap { rule($0, playbook: name) })
    }

    static func locate(_ error: YamlError) -> (Int, Int, String) {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            (mark.line, mark.column, problem)
        case .duplicatedKeysInMapping(let duplicates, let context):
            (context.mark.line, context.mark.column, "duplicate keys \(duplicates.joined(separator: ", "))")
        default:
            (1, 1, "\(error)")
        }
    }

    // MARK: components, redaction

    func component(_ node: Node) -> Component? {
        guard let m = MappingReader(node, what: "a component", allowed: ["name", "match", "infrastructure"], diagnostics: diagnostics),
            let name = m.string("name", required: true), let match = m.regex("match", required: true)
        else { return nil }
        return Component(name: name, match: match, infrastructure: m.bool("infrastructure") ?? false)
    }

    func redaction(_ doc: MappingReader) -> RedactionPolicyAdditions {
        guard let m = doc.mapping("redaction", allowed: ["patterns", "keyNames", "dropFiles"]) else {
            return RedactionPolicyAdditions()
        }
        let patterns = m.strings("patterns")
        for (index, pattern) in patterns.enumerated() {
            let node = m.node("patterns")?.sequence.flatMap { $0.indices.contains(index) ? $0[index] : nil }
            _ = MappingReader.regex(pattern, node: node, key: "patterns", what: "`redaction`", diagnostics: diagnostics)
        }
        return RedactionPolicyAdditions(patterns: patterns, keyNames: m.strings("keyNames"), dropFiles: m.strings("dropFiles"))
    }

    // MARK: gather

    static let gatherSteps = ["resources", "logs", "secret", "helmRelease", "argoApplications", "http"]

    func gatherPlan(_ steps: [Node]) -> GatherPlan {
        var plan = GatherPlan()
        for step in steps {
            guard let wrapper = MappingReader(step, what: "a gather step", allowed: Self.gatherSteps, diagnostics: diagnostics)
            else { continue }
            let kinds = Self.gatherSteps.filter(wrapper.has)
            guard kinds.count == 1, let kind = kinds.first else {
                if kinds.count > 1 {
                    diagnostics.report(.invalidValue, at: wrapper.mark, "a gather step has exactly one of \(Self.gatherSteps.joined(separator: ", ")); split it.")
                }
                continue
            }
            addStep(kind, wrapper, to: &plan)
        }
        return plan.merged(with: GatherPlan())
    }

    private func addStep(_ kind: String, _ wrapper: MappingReader, to plan: inout GatherPlan) {
        let what = "the `\(kind)` gather step"
        switch kind {
        case "resources":
            guard let m = wrapper.mapping(kind, what: what, allowed: ["types", "namespace", "labelSelector"]) else { return }
            let selector = labelSelector(m, "labelSelector")
            for typeName in m.strings("types", required: true) {
                guard let type = Self.resourceType(typeName) else {
                    diagnostics.report(.invalidValue, at: m.mark(of: "types"), "unknown resource type `\(typeName)` in \(what); use a plural like `pods` or `group/version/resource`.")
                    continue
                }
                plan.resources.append(.init(type: type, namespace: m.string("namespace"), labelSelector: selector?.description))
            }
        case "logs":
            guard let m = wrapper.mapping(kind, what: what, allowed: ["namespace", "labelSelector", "containers", "initContainers", "current", "previous"])
            else { return }
            let containers = m.regex("containers")
            plan.logs.append(.init(
                namespace: m.string("namespace"), labelSelector: labelSelector(m, "labelSelector")?.description,
                containers: containers?.source, initContainers: m.bool("initContainers") ?? true,
                current: m.bool("current") ?? true, previous: m.bool("previous") ?? true))
        case "secret":
            guard let m = wrapper.mapping(kind, what: what, allowed: ["name", "namespace", "keys", "nonSecretKeys"]),
                let name = m.string("name", required: true)
            else { return }
            plan.secrets.append(.init(name: name, namespace: m.string("namespace"), keys: m.strings("keys"), nonSecretKeys: m.strings("nonSecretKeys")))
        case "helmRelease":
            guard let m = wrapper.mapping(kind, what: what, allowed: ["name", "namespace"]),
                let name = m.string("name", required: true)
            else { return }
            plan.helmReleases.append(.init(name: name, namespace: m.string("namespace")))
        case "argoApplications":
            guard let m = wrapper.mapping(kind, what: what, allowed: ["namespace", "names"]) else { return }
            plan.argoApplications.append(.init(namespace: m.string("namespace") ?? "argocd", names: m.strings("names")))
        default:
            guard let m = wrapper.mapping(kind, what: what, allowed: ["name", "url", "secret", "namespace", "expectStatus"]),
                let name = m.string("name", required: true), let url = m.string("url", required: true)
            else { return }
            let expect = m.ints("expectStatus")
            plan.httpChecks.append(.init(
                name: name, url: url, secret: m.string("secret"), namespace: m.string("namespace"),
                expectStatus: expect.isEmpty ? [200] : expect))
        }
    }

    /// `pods`, `deployments`, `httproutes.gateway.networking.k8s.io`, or `group/version/resource`.
    static func resourceType(_ name: String) -> ResourceType? {
        if let known = ResourceType.named(name) { return known }
        let parts = name.split(separator: "/").map(String.init)
        guard parts.count == 3 || parts.count == 2 else { return nil }
        let (group, version, resource) = parts.count == 3 ? (parts[0], parts[1], parts[2]) : ("", parts[0], parts[1])
        guard !resource.isEmpty else { return nil }
        return ResourceType(group: group, version: version, resource: resource, kind: resource)
    }

    func labelSelector(_ m: MappingReader, _ key: String) -> LabelSelector? {
        guard let text = m.string(key) else { return nil }
        do {
            return try LabelSelector(parsing: text)
        } catch {
            diagnostics.report(
                .invalidValue, at: m.mark(of: key),
                "`\(key)` in \(m.what) is not a label selector (`a=b,c in (x,y)`): \(error.reason).")
            return nil
        }
    }

    // MARK: rules

    static let ruleKeys = [
        "id", "severity", "title", "summary", "remedy", "references", "dependency", "explains", "examples", "match",
    ]

    func rule(_ node: Node, playbook: String) -> Rule? {
        let label = node.mapping?["id"]?.scalar.map { "rule \"\($0.string)\"" } ?? "a rule"
        guard let m = MappingReader(node, what: label, allowed: Self.ruleKeys, diagnostics: diagnostics) else { return nil }
        let id = m.string("id", required: true)
        if let id, id.range(of: #"^[a-z0-9]+(-[a-z0-9]+)*$"#, options: .regularExpression) == nil {
            diagnostics.report(.invalidValue, at: m.mark(of: "id"), "rule id `\(id)` must be lower-case words joined by `-` (it is a public contract).")
        }
        let severity: Severity? = m.has("severity") ? m.choice("severity", Severity.self) : { m.missing("severity"); return nil }()
        let title = m.string("title", required: true)
        let summary = m.string("summary", required: true)
        let remedy = m.string("remedy", required: true)
        let conditionNodes = m.sequence("match", required: true)
        let conditions = conditionNodes.compactMap { condition($0, rule: label) }
        if m.has("match"), conditions.isEmpty, m.sequence("match").isEmpty {
            diagnostics.report(.missingField, at: m.mark(of: "match"), "\(label) needs at least one condition under `match`.")
        }
        var examples = RuleExamples(fires: [], quiet: [])
        if let e = m.mapping("examples", what: "`examples` of \(label)", allowed: ["fires", "quiet"], required: true) {
            examples = RuleExamples(fires: e.strings("fires", required: true), quiet: e.strings("quiet", required: true))
        }
        guard let id, let severity, let title, let summary, let remedy else { return nil }
        let location = PlaybookLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        let rule = Rule(
            id: id, severity: severity, title: title, summary: summary, remedy: remedy,
            references: m.strings("references"), dependency: m.string("dependency"),
            explains: m.sequence("explains").compactMap { explainLink($0, rule: label) },
            examples: examples, match: conditions, location: location, playbook: playbook)
        // Placeholders are only judged when every condition parsed (a broken one would report them all).
        if conditions.count == conditionNodes.count { checkTemplate(rule, mark: m.mark(of: "summary")) }
        return rule
    }

    func checkTemplate(_ rule: Rule, mark: Mark?) {
        let known = rule.templateNames
        for name in Self.placeholders(in: rule.summary) where !known.contains(name) {
            diagnostics.report(
                .unknownPlaceholder, at: mark,
                "the summary of rule \"\(rule.id)\" uses `{\(name)}`, which none of its conditions provides. Known: \(known.sorted().joined(separator: ", ")).")
        }
    }

    static func placeholders(in template: String) -> [String] {
        var out: [String] = []
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return out
    }

    func explainLink(_ node: Node, rule: String) -> ExplainLink? {
        if let text = node.scalar?.string { return ExplainLink(rule: text, relation: .sameContainer, suppress: false) }
        guard let m = MappingReader(node, what: "an `explains` entry of \(rule)", allowed: ["rule", "relation", "suppress"], diagnostics: diagnostics),
            let target = m.string("rule", required: true)
        else { return nil }
        let relation: ExplainRelation? = m.has("relation") ? m.choice("relation", ExplainRelation.self) : .sameContainer
        guard let relation else { return nil }
        return ExplainLink(rule: target, relation: relation, suppress: m.bool("suppress") ?? false)
    }

    // MARK: conditions

    func condition(_ node: Node, rule: String) -> Condition? {
        guard let mapping = node.mapping, mapping.count == 1, let (keyNode, body) = mapping.first.map({ ($0.key, $0.value) }),
            let key = keyNode.scalar?.string
        else {
            diagnostics.report(.wrongType, at: node.mark, "each condition of \(rule) is a mapping with one key, the condition kind (\(ConditionKind.allCases.map(\.rawValue).joined(separator: ", "))).")
            return nil
        }
        guard let kind = ConditionKind(rawValue: key) else {
            let hint = MappingReader.closest(to: key, in: ConditionKind.allCases.map(\.rawValue)).map { " Did you mean `\($0)`?" } ?? ""
            diagnostics.report(.unknownCondition, at: keyNode.mark, "unknown condition `\(key)` in \(rule).\(hint) Known: \(ConditionKind.allCases.map(\.rawValue).joined(separator: ", ")).")
            return nil
        }
        guard let m = MappingReader(body, what: "the `\(key)` condition of \(rule)", allowed: kind.fields, diagnostics: diagnostics) else { return nil }
        return ConditionParser(reader: m, parser: self).parse(kind)
    }
}
