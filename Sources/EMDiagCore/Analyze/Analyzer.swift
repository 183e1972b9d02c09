import Foundation

/// Runs the loaded playbooks' rules over a bundle and returns the findings, root cause first.
///
/// The bundle is read only through `BundleDirectory`, so a live collection and an old `.tar.gz` give the same
/// answer. All log patterns of all rules run in one streaming pass per log file (`LogScanner`), files in
/// parallel; the other conditions read the stored objects (`ConditionEvaluator`). `RootCauseRanker` then links
/// findings that explain each other and orders them.
package struct Analyzer: Sendable {
    package var catalog: PlaybookCatalog
    /// "Now" for durations such as `runningFor`; default: the manifest's `createdAt`, else the newest stored time.
    package var referenceTime: Date?
    /// Evidence items kept per finding.
    package var maxEvidence = 6
    /// The scanner's chunk size (tests make it small to exercise chunk boundaries).
    package var chunkSize = 4 << 20

    package init(catalog: PlaybookCatalog, referenceTime: Date? = nil) {
        self.catalog = catalog
        self.referenceTime = referenceTime
    }

    /// The outcome of an analysis: the ranked findings and every rule that matched (also those whose findings a
    /// more specific rule suppressed).
    package struct Analysis: Sendable {
        package var findings: [Finding]
        package var matchedRules: Set<String>
    }

    /// Analyzes `bundle`.
    /// - Returns: findings ranked root cause first (see `RootCauseRanker`).
    /// - Throws: `PortableRegex.SyntaxError` only if a pattern that passed the linter is refused by `regcomp`.
    package func analyze(_ bundle: BundleDirectory) async throws -> [Finding] {
        try await analysis(bundle).findings
    }

    /// Analyzes `bundle`, also reporting which rules matched before ranking.
    package func analysis(_ bundle: BundleDirectory) async throws -> Analysis {
        let snapshot = ClusterSnapshot(bundle: bundle, components: catalog.components, referenceTime: referenceTime)
        let logHits = try await scanLogs(snapshot)
        let evaluator = ConditionEvaluator(snapshot: snapshot)
        var drafts: [RankedFinding] = []
        for (r, rule) in catalog.rules.enumerated() {
            var grouped: [String: [Hit]] = [:]
            var order: [String] = []
            for (c, condition) in rule.match.enumerated() {
                for hit in evaluator.hits(condition, logHits: logHits[ConditionID(rule: r, condition: c)] ?? []) {
                    let key = hit.resource.description
                    if grouped[key] == nil { order.append(key) }
                    grouped[key, default: []].append(hit)
                }
            }
            for key in order {
                guard let hits = grouped[key] else { continue }
                drafts.append(draft(rule, hits, snapshot))
            }
        }
        let findings = RootCauseRanker(rules: catalog.rules, snapshot: snapshot).rank(drafts)
        return Analysis(findings: findings, matchedRules: Set(drafts.map(\.rule.id)))
    }

    func draft(_ rule: Rule, _ hits: [Hit], _ snapshot: ClusterSnapshot) -> RankedFinding {
        var values: [String: String] = [:]
        for hit in hits { values.merge(hit.values) { old, _ in old } }
        var evidence: [Evidence] = []
        // The same excerpt twice (a crash-looping container's current and previous logs are the same run) is kept once.
        for item in hits.flatMap(\.evidence) where !evidence.contains(where: { $0.excerpt == item.excerpt }) && evidence.count < maxEvidence {
            evidence.append(item)
        }
        let resource = hits[0].resource
        let dependencyName = values["dependency"] ?? rule.dependency
        values["dependency"] = dependencyName
        values["component"] = hits[0].component
        let finding = Finding(
            id: rule.id, severity: rule.severity, title: rule.title, summary: Self.render(rule.summary, values),
            resources: [resource], evidence: evidence, remedy: rule.remedy, references: rule.references)
        return RankedFinding(
            finding: finding, rule: rule, component: hits[0].component,
            dependency: dependencyName.flatMap { snapshot.component(forDependency: $0) ?? $0 })
    }

    /// Fills `{name}` placeholders; a value that is absent becomes empty.
    package static func render(_ template: String, _ values: [String: String]) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            out += values[name] ?? ""
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    // MARK: logs

    struct ConditionID: Hashable {
        var rule: Int
        var condition: Int
    }

    /// One pass over every stored log with every log pattern that applies to it.
    func scanLogs(_ snapshot: ClusterSnapshot) async throws -> [ConditionID: [Hit]] {
        var owners: [ConditionID] = []
        var conditions: [LogCondition] = []
        for (r, rule) in catalog.rules.enumerated() {
            for (c, condition) in rule.match.enumerated() {
                guard case .log(let log) = condition else { continue }
                owners.append(ConditionID(rule: r, condition: c))
                conditions.append(log)
            }
        }
        guard !conditions.isEmpty else { return [:] }
        var scanner = try LogScanner(patterns: conditions.map {
            LogPattern(regex: $0.pattern, ignoreCase: $0.ignoreCase, before: $0.before, after: $0.after)
        })
        scanner.chunkSize = chunkSize
        let evaluator = ConditionEvaluator(snapshot: snapshot)
        // Which containers each condition selects (with the captures of its container-name pattern).
        let selected: [[String: [String: String]]] = conditions.map { condition in
            Dictionary(
                evaluator.containers(condition.containers).map { ("\($0.0.namespace)/\($0.0.name)/\($0.1.name)", $0.2) },
                uniquingKeysWith: { first, _ in first })
        }
        var jobs: [LogScanJob] = []
        var sources: [(ClusterSnapshot.Pod, ClusterSnapshot.Container, LogStream)] = []
        var nameCaptures: [[Int: [String: String]]] = []
        for pod in snapshot.pods {
            for container in pod.containers {
                for stream in LogStream.allCases {
                    let path = BundleLayout.logPath(namespace: pod.namespace, pod: pod.name, container: container.name, previous: stream == .previous)
                    guard snapshot.bundle.exists(path) else { continue }
                    var applicable: [Int] = []
                    var captures: [Int: [String: String]] = [:]
                    let key = "\(pod.namespace)/\(pod.name)/\(container.name)"
                    for (index, condition) in conditions.enumerated() where condition.streams.contains(stream) {
                        guard let found = selected[index][key] else { continue }
                        applicable.append(index)
                        captures[index] = found
                    }
                    guard !applicable.isEmpty else { continue }
                    jobs.append(LogScanJob(path: path, patterns: applicable))
                    sources.append((pod, container, stream))
                    nameCaptures.append(captures)
                }
            }
        }
        let results = try await scanner.scanAll(jobs, in: snapshot.bundle)
        var out: [ConditionID: [Hit]] = [:]
        for (k, result) in results.enumerated() {
            let (pod, container, stream) = sources[k]
            let byPattern = Dictionary(grouping: result.matches, by: \.pattern)
            for (pattern, matches) in byPattern.sorted(by: { $0.key < $1.key }) {
                var ref = pod.ref
                ref.container = container.name
                var values = ConditionEvaluator.baseValues(ref).merging(nameCaptures[k][pattern] ?? [:]) { _, new in new }
                values.merge(matches[0].captures) { _, new in new }
                values["stream"] = stream.rawValue
                values["line"] = String(matches[0].line)
                values["file"] = result.path
                let count = result.counts[pattern] ?? matches.count
                values["count"] = String(count)
                values["times"] = count == 1 ? "once" : "\(count) times"
                let evidence = matches.map { match in
                    let lines = (match.before + [match.text] + match.after).map { String($0.prefix(240)) }
                    return Evidence(path: result.path, line: match.line, excerpt: lines.joined(separator: "\n"))
                }
                out[owners[pattern], default: []].append(Hit(resource: ref, values: values, evidence: evidence, component: pod.component))
            }
        }
        return out
    }
}
