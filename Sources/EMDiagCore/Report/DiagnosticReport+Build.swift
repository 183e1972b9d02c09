import Foundation

extension DiagnosticReport {
    /// Builds the report of a bundle: pods and timelines come from every `pods.json` and `events.json` in the
    /// bundle (all namespaces present), the target, time, partial flag and collection problems from the manifest.
    /// - Parameters:
    ///   - bundle: the extracted bundle (or a Fixtures scenario folder).
    ///   - findings: the analysis result, already ordered root cause first; kept in that order.
    ///   - manifest: the bundle's manifest, or nil for a folder without one.
    ///   - bundlePath: the `.tar.gz` the report describes, or nil.
    ///   - now: the time used as `collectedAt` when there is no manifest (injected, so output is reproducible).
    /// - Throws: `BundleError.invalidJSON` when a pods or events file is not JSON.
    package static func build(
        bundle: BundleDirectory,
        findings: [Finding],
        manifest: Manifest?,
        bundlePath: String?,
        now: Date = Date()
    ) throws -> DiagnosticReport {
        let namespaces = storedNamespaces(in: bundle)
        let pods =
            try namespaces.flatMap { try bundle.items(.pods, namespace: $0) } + bundle.items(.pods, namespace: nil)
        let events =
            try namespaces.flatMap { try bundle.items(.events, namespace: $0) }
            + bundle.items(.events, namespace: nil)

        var summaries: [String: PodSummary] = [:]
        var rawPods: [String: JSONValue] = [:]
        for pod in pods {
            let summary = podSummary(pod)
            let key = "\(summary.namespace)/\(summary.name)"
            summaries[key] = summary
            rawPods[key] = pod
        }
        var warnings: [String: [TimelineEvent]] = [:]
        for event in events
        where event["type"]?.string == "Warning" && event[path: "involvedObject.kind"]?.string == "Pod" {
            guard let name = event[path: "involvedObject.name"]?.string, let item = warningEvent(event) else {
                continue
            }
            let namespace =
                event[path: "involvedObject.namespace"]?.string ?? event[path: "metadata.namespace"]?.string ?? ""
            warnings["\(namespace)/\(name)", default: []].append(item)
        }

        let keys = Set(summaries.keys).union(warnings.keys).sorted()
        let timeline: [PodTimeline] = keys.compactMap { key in
            let events = (rawPods[key].map(containerEvents) ?? []) + (warnings[key] ?? [])
            guard !events.isEmpty else { return nil }
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            return PodTimeline(
                pod: parts.last ?? key,
                namespace: parts.first ?? "",
                events: events.sorted(by: timeOrder)
            )
        }

        let target =
            manifest.map {
                Target(
                    server: $0.target.server,
                    context: $0.target.context,
                    namespace: $0.target.namespace,
                    release: $0.target.release
                )
            } ?? Target(namespace: namespaces.first ?? "")
        return DiagnosticReport(
            tool: manifest?.tool ?? Manifest.Tool(),
            target: target,
            collectedAt: manifest?.createdAt ?? now,
            bundle: bundlePath,
            partial: manifest?.partial ?? false,
            findings: findings,
            pods: summaries.keys.sorted().compactMap { summaries[$0] },
            timeline: timeline,
            collection: manifest?.collection ?? [],
            redaction: RedactionSummary(
                enabled: manifest?.redaction.enabled ?? false,
                hiddenValues: hiddenValueCount(bundle, manifest)
            )
        )
    }

    /// Namespaces with a folder under `api/v1/namespaces/`, sorted.
    private static func storedNamespaces(in bundle: BundleDirectory) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: bundle.url("api/v1/namespaces").path)) ?? []
        return names.filter { !$0.hasPrefix(".") && !$0.hasSuffix(".json") }.sorted()
    }

    private static func podSummary(_ pod: JSONValue) -> PodSummary {
        let shown = PodStatus.display(pod: pod)
        let labels = pod[path: "metadata.labels"]?.object ?? [:]
        let component = ["app.kubernetes.io/component", "app.kubernetes.io/name", "app", "component"]
            .lazy.compactMap { labels[$0]?.string }.first
        let sidecars = Set(
            (pod[path: "spec.initContainers"]?.array ?? []).filter { $0["restartPolicy"]?.string == "Always" }
                .compactMap { $0["name"]?.string }
        )
        let initStatuses = (pod[path: "status.initContainerStatuses"]?.array ?? []).map { status in
            containerSummary(status, kind: sidecars.contains(status["name"]?.string ?? "") ? .sidecar : .`init`)
        }
        let appStatuses = (pod[path: "status.containerStatuses"]?.array ?? []).map { containerSummary($0, kind: .app) }
        return PodSummary(
            name: pod[path: "metadata.name"]?.string ?? "",
            namespace: pod[path: "metadata.namespace"]?.string ?? "",
            component: component,
            phase: pod[path: "status.phase"]?.string ?? "Unknown",
            ready: shown.ready,
            status: shown.status,
            restarts: shown.restarts,
            lastRestart: shown.lastRestart,
            node: pod[path: "spec.nodeName"]?.string,
            containers: initStatuses + appStatuses
        )
    }

    private static func containerSummary(_ status: JSONValue, kind: ContainerSummary.Kind) -> ContainerSummary {
        let state = status["state"] ?? .null
        let (stateName, detail): (ContainerSummary.State, JSONValue?) =
            if let waiting = state["waiting"] { (.waiting, waiting) } else if let running = state["running"] {
                (.running, running)
            } else if let terminated = state["terminated"] { (.terminated, terminated) } else { (.unknown, nil) }
        let last = status[path: "lastState.terminated"]
        return ContainerSummary(
            name: status["name"]?.string ?? "",
            kind: kind,
            ready: status["ready"]?.bool ?? false,
            restarts: status["restartCount"]?.int ?? 0,
            state: stateName,
            reason: detail?["reason"]?.string,
            message: detail?["message"]?.string,
            exitCode: detail?["exitCode"]?.int,
            startedAt: KubeTime.parse(detail?["startedAt"]?.string),
            finishedAt: KubeTime.parse(detail?["finishedAt"]?.string),
            lastTermination: last.map {
                Termination(
                    reason: $0["reason"]?.string,
                    exitCode: $0["exitCode"]?.int,
                    startedAt: KubeTime.parse($0["startedAt"]?.string),
                    finishedAt: KubeTime.parse($0["finishedAt"]?.string)
                )
            }
        )
    }

    /// Starts and terminations of every container of a pod, from `state` and `lastState`.
    private static func containerEvents(_ pod: JSONValue) -> [TimelineEvent] {
        let statuses =
            (pod[path: "status.initContainerStatuses"]?.array ?? [])
            + (pod[path: "status.containerStatuses"]?.array ?? [])
        return statuses.flatMap { status -> [TimelineEvent] in
            let name = status["name"]?.string
            return [
                status[path: "lastState.terminated"], status[path: "state.terminated"], status[path: "state.running"],
            ]
            .compactMap { $0 }
            .flatMap { run -> [TimelineEvent] in
                var out: [TimelineEvent] = []
                if let started = KubeTime.parse(run["startedAt"]?.string) {
                    out.append(TimelineEvent(time: started, kind: .started, container: name))
                }
                if let finished = KubeTime.parse(run["finishedAt"]?.string) {
                    out.append(
                        TimelineEvent(
                            time: finished,
                            kind: .terminated,
                            container: name,
                            reason: run["reason"]?.string,
                            exitCode: run["exitCode"]?.int,
                            message: run["message"]?.string
                        )
                    )
                }
                return out
            }
        }
    }

    /// A Warning event, placed at the time it was first seen (`firstTimestamp`, else `eventTime`), so the
    /// timeline shows when each problem began; `lastSeen` is `lastTimestamp` or `series.lastObservedTime`.
    private static func warningEvent(_ event: JSONValue) -> TimelineEvent? {
        let first = KubeTime.parse(event["firstTimestamp"]?.string) ?? KubeTime.parse(event["eventTime"]?.string)
        let last =
            KubeTime.parse(event["lastTimestamp"]?.string)
            ?? KubeTime.parse(event[path: "series.lastObservedTime"]?.string)
        guard let time = first ?? last else { return nil }
        let fieldPath = event[path: "involvedObject.fieldPath"]?.string
        return TimelineEvent(
            time: time,
            kind: .warning,
            container: fieldPath.flatMap(containerName(fieldPath:)),
            reason: event["reason"]?.string,
            message: event["message"]?.string,
            count: event["count"]?.int ?? event[path: "series.count"]?.int ?? 1,
            firstSeen: time,
            lastSeen: max(last ?? time, time)
        )
    }

    /// `spec.containers{app}` -> `app`.
    private static func containerName(fieldPath: String) -> String? {
        guard let open = fieldPath.firstIndex(of: "{"), let close = fieldPath.lastIndex(of: "}"), open < close else {
            return nil
        }
        return String(fieldPath[fieldPath.index(after: open)..<close])
    }

    private static func timeOrder(_ a: TimelineEvent, _ b: TimelineEvent) -> Bool {
        if a.time != b.time { return a.time < b.time }
        let rank: [TimelineEvent.Kind: Int] = [.started: 0, .terminated: 1, .warning: 2]
        if a.kind != b.kind { return rank[a.kind, default: 0] < rank[b.kind, default: 0] }
        if (a.container ?? "") != (b.container ?? "") { return (a.container ?? "") < (b.container ?? "") }
        return (a.reason ?? "") < (b.reason ?? "")
    }

    /// How many values the redactor hid: the sum of the `totals` of `redaction-report.json` (0 without one).
    private static func hiddenValueCount(_ bundle: BundleDirectory, _ manifest: Manifest?) -> Int {
        let path = manifest?.redaction.report ?? BundleLayout.redactionReport
        guard bundle.exists(path), let data = try? bundle.data(path),
            let report = try? JSONDecoder().decode(RedactionReport.self, from: data)
        else { return 0 }
        return report.totals.values.reduce(0, +)
    }
}
