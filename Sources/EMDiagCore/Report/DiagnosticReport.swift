import Foundation

/// The one model every report format renders: what was diagnosed (findings, root cause first), the pods as
/// `kubectl get pods` shows them, a per-pod timeline of restarts and warnings, and what could not be collected.
/// Its JSON form is a public, versioned contract described by `docs/report.schema.json`.
package struct DiagnosticReport: Codable, Sendable, Equatable {
    package static let currentSchemaVersion = 1

    /// The cluster and release the report is about.
    package struct Target: Codable, Sendable, Equatable {
        package var server: String?
        package var context: String?
        package var namespace: String
        package var release: String?

        package init(server: String? = nil, context: String? = nil, namespace: String, release: String? = nil) {
            self.server = server
            self.context = context
            self.namespace = namespace
            self.release = release
        }
    }

    /// One container of a pod: its current state and its last termination.
    package struct ContainerSummary: Codable, Sendable, Equatable {
        package enum Kind: String, Codable, Sendable { case `init`, sidecar, app }
        package enum State: String, Codable, Sendable { case waiting, running, terminated, unknown }

        package var name: String
        package var kind: Kind
        package var ready: Bool
        package var restarts: Int
        package var state: State
        /// `CrashLoopBackOff`, `OOMKilled`, `Error`, ... (waiting or terminated reason).
        package var reason: String?
        package var message: String?
        package var exitCode: Int?
        package var startedAt: Date?
        package var finishedAt: Date?
        package var lastTermination: Termination?

        package init(
            name: String,
            kind: Kind,
            ready: Bool,
            restarts: Int,
            state: State,
            reason: String? = nil,
            message: String? = nil,
            exitCode: Int? = nil,
            startedAt: Date? = nil,
            finishedAt: Date? = nil,
            lastTermination: Termination? = nil
        ) {
            self.name = name
            self.kind = kind
            self.ready = ready
            self.restarts = restarts
            self.state = state
            self.reason = reason
            self.message = message
            self.exitCode = exitCode
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.lastTermination = lastTermination
        }
    }

    /// A container's previous run (`lastState.terminated`).
    package struct Termination: Codable, Sendable, Equatable {
        package var reason: String?
        package var exitCode: Int?
        package var startedAt: Date?
        package var finishedAt: Date?

        package init(reason: String?, exitCode: Int?, startedAt: Date?, finishedAt: Date?) {
            self.reason = reason
            self.exitCode = exitCode
            self.startedAt = startedAt
            self.finishedAt = finishedAt
        }
    }

    /// One row of the pod table, the way `kubectl get pods -o wide` prints it, plus container details.
    package struct PodSummary: Codable, Sendable, Equatable {
        package var name: String
        package var namespace: String
        /// `app.kubernetes.io/component` (or `app.kubernetes.io/name`, `app`) label, when set.
        package var component: String?
        package var phase: String
        /// "ready/total", e.g. "2/3".
        package var ready: String
        /// The STATUS column: `Running`, `Init:0/3`, `CrashLoopBackOff`, `CreateContainerConfigError`, ...
        package var status: String
        package var restarts: Int
        package var lastRestart: Date?
        package var node: String?
        package var containers: [ContainerSummary]

        package init(
            name: String,
            namespace: String,
            component: String?,
            phase: String,
            ready: String,
            status: String,
            restarts: Int,
            lastRestart: Date?,
            node: String?,
            containers: [ContainerSummary]
        ) {
            self.name = name
            self.namespace = namespace
            self.component = component
            self.phase = phase
            self.ready = ready
            self.status = status
            self.restarts = restarts
            self.lastRestart = lastRestart
            self.node = node
            self.containers = containers
        }

        /// True when kubectl would show this pod as healthy (all ready and running, or completed).
        package var healthy: Bool {
            let parts = ready.split(separator: "/")
            return (status == "Running" && parts.count == 2 && parts[0] == parts[1]) || status == "Completed"
        }
    }

    /// One point on a pod's timeline.
    package struct TimelineEvent: Codable, Sendable, Equatable {
        package enum Kind: String, Codable, Sendable { case started, terminated, warning }

        package var time: Date
        package var kind: Kind
        package var container: String?
        /// Termination reason (`OOMKilled`, `Error`, `Completed`) or warning event reason (`BackOff`, `FailedMount`).
        package var reason: String?
        package var exitCode: Int?
        package var message: String?
        /// For warnings: how many times the event was seen, and when first and last.
        package var count: Int?
        package var firstSeen: Date?
        package var lastSeen: Date?

        package init(
            time: Date,
            kind: Kind,
            container: String? = nil,
            reason: String? = nil,
            exitCode: Int? = nil,
            message: String? = nil,
            count: Int? = nil,
            firstSeen: Date? = nil,
            lastSeen: Date? = nil
        ) {
            self.time = time
            self.kind = kind
            self.container = container
            self.reason = reason
            self.exitCode = exitCode
            self.message = message
            self.count = count
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen
        }

        /// A short label: "OOMKilled", "Error exit 1", "BackOff x12".
        package var label: String {
            switch kind {
            case .started:
                return "started"
            case .terminated:
                let why = reason ?? "terminated"
                guard let exitCode, why != "Completed" || exitCode != 0 else { return why }
                return why == "OOMKilled" ? why : "\(why) exit \(exitCode)"
            case .warning:
                let why = reason ?? "Warning"
                return (count ?? 1) > 1 ? "\(why) x\(count ?? 1)" : why
            }
        }
    }

    /// The events of one pod, in time order.
    package struct PodTimeline: Codable, Sendable, Equatable {
        package var pod: String
        package var namespace: String
        package var events: [TimelineEvent]

        package init(pod: String, namespace: String, events: [TimelineEvent]) {
            self.pod = pod
            self.namespace = namespace
            self.events = events
        }
    }

    /// Whether values were redacted, and how many were hidden.
    package struct RedactionSummary: Codable, Sendable, Equatable {
        package var enabled: Bool
        package var hiddenValues: Int

        package init(enabled: Bool, hiddenValues: Int) {
            self.enabled = enabled
            self.hiddenValues = hiddenValues
        }
    }

    package var schemaVersion: Int
    package var tool: Manifest.Tool
    package var target: Target
    package var collectedAt: Date
    /// Path of the bundle file the report was made from, or nil.
    package var bundle: String?
    /// True when collection stopped early; the findings may be incomplete.
    package var partial: Bool
    /// Ordered root cause first.
    package var findings: [Finding]
    package var pods: [PodSummary]
    package var timeline: [PodTimeline]
    /// Items that could not be collected, and why.
    package var collection: [Manifest.CollectionIssue]
    package var redaction: RedactionSummary

    package init(
        tool: Manifest.Tool = Manifest.Tool(),
        target: Target,
        collectedAt: Date,
        bundle: String?,
        partial: Bool,
        findings: [Finding],
        pods: [PodSummary],
        timeline: [PodTimeline],
        collection: [Manifest.CollectionIssue],
        redaction: RedactionSummary
    ) {
        self.schemaVersion = DiagnosticReport.currentSchemaVersion
        self.tool = tool
        self.target = target
        self.collectedAt = collectedAt
        self.bundle = bundle
        self.partial = partial
        self.findings = findings
        self.pods = pods
        self.timeline = timeline
        self.collection = collection
        self.redaction = redaction
    }

    private enum CodingKeys: String, CodingKey {
        case schemaVersion, tool, target, collectedAt, bundle, partial, findings, pods, timeline, collection, redaction
    }

    // Written by hand only so that `bundle` is an explicit `null` when absent, as the schema documents.
    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schemaVersion, forKey: .schemaVersion)
        try c.encode(tool, forKey: .tool)
        try c.encode(target, forKey: .target)
        try c.encode(collectedAt, forKey: .collectedAt)
        try c.encode(bundle, forKey: .bundle)
        try c.encode(partial, forKey: .partial)
        try c.encode(findings, forKey: .findings)
        try c.encode(pods, forKey: .pods)
        try c.encode(timeline, forKey: .timeline)
        try c.encode(collection, forKey: .collection)
        try c.encode(redaction, forKey: .redaction)
    }

    /// Counts of findings per severity, most severe first, for headers: [(critical, 1), (warning, 2)].
    package var severityCounts: [(Severity, Int)] {
        Severity.allCases.reversed().compactMap { severity in
            let n = findings.filter { $0.severity == severity }.count
            return n > 0 ? (severity, n) : nil
        }
    }

    /// "namespace em, release em-runtime, context kind-dev, server https://..." (the parts that are known).
    package var targetLine: String {
        var parts = ["namespace \(target.namespace)"]
        if let release = target.release { parts.append("release \(release)") }
        if let context = target.context { parts.append("context \(context)") }
        if let server = target.server { parts.append("server \(server)") }
        return parts.joined(separator: ", ")
    }
}
