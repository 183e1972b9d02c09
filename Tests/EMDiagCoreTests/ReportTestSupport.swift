import Foundation
import Testing

@testable import EMDiagCore

/// Shared pieces of the report tests: a small failing bundle written to a temp folder, constructed findings,
/// a fixed clock, golden-file comparison and a subprocess runner.
enum ReportFixtures {
    /// The fixed clock of every report test.
    static let clock = Date(timeIntervalSince1970: 1_714_557_600)  // 2024-05-01T10:00:00Z

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let fixturesRoot = packageRoot.appendingPathComponent("Fixtures")
    static let schemaURL = packageRoot.appendingPathComponent("docs/report.schema.json")

    static let hostile = "<script>alert(1)</script> | `rm -rf` *bold* \u{1B}[31mred"

    /// Fixture scenarios (folders of `Fixtures/` holding an `api/` tree), sorted.
    static var scenarios: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: fixturesRoot.path)) ?? []
        return names.filter {
            FileManager.default.fileExists(atPath: fixturesRoot.appendingPathComponent("\($0)/api").path)
        }.sorted()
    }

    /// The failing scenario used for golden files and the screenshot, when the fixtures are present.
    static var failingScenario: String? {
        scenarios.contains("migration-conflict") ? "migration-conflict" : nil
    }

    /// Findings as the playbooks would rank them for `Fixtures/migration-conflict` (constructed here, so the
    /// report tests do not depend on the engine): the Alembic conflict explains the failed health check.
    static let migrationConflictFindings: [Finding] = {
        let pod = ResourceRef(
            kind: "Pod",
            namespace: "em",
            name: "em-runtime-governance-qwcf9lg7zf-dcmmv",
            container: "app"
        )
        let log = "api/v1/namespaces/em/pods/em-runtime-governance-qwcf9lg7zf-dcmmv/log/app.previous.log"
        return [
            Finding(
                id: "migration-conflict",
                severity: .critical,
                title: "Database migration conflict (multiple Alembic heads)",
                summary: "governance runs its Alembic migrations on start and stops: two revisions share a parent, so "
                    + "there is no single head to upgrade to. The pod restarts and fails the same way each time.",
                resources: [pod],
                evidence: [
                    Evidence(
                        path: log,
                        line: 32,
                        excerpt:
                            "alembic.script.revision.MultipleHeads: Multiple heads are present for given argument 'head'; e9a3f4c2b1d7, f1b6d8e2a4c9"
                    ),
                    Evidence(
                        path: log,
                        line: 74,
                        excerpt:
                            "alembic.util.exc.CommandError: Multiple head revisions are present for given argument 'head'"
                    ),
                ],
                remedy:
                    "This is a defect of the image: roll back to the previous chart version (helm rollback em-runtime) "
                    + "and ask the vendor for a merge revision. Do not edit the alembic_version table by hand.",
                references: ["https://docs.emergence.ai/deployment/helm/upgrades"],
                explains: ["health-endpoint-failed"]
            ),
            Finding(
                id: "health-endpoint-failed",
                severity: .warning,
                title: "Governance health endpoint fails",
                summary: "GET https://em.example.test/api/governance/health answered 503 (no healthy upstream).",
                resources: [ResourceRef(kind: "HTTPRoute", namespace: "em", name: "em-runtime")],
                evidence: [
                    Evidence(path: "checks/http/governance-health.json", line: 1, excerpt: "503 no healthy upstream")
                ],
                remedy: "Fix the governance pod first; the endpoint recovers when it is Ready.",
                explainedBy: "migration-conflict"
            ),
        ]
    }()

    /// Findings of the written bundle: a root cause that explains a follow-on warning.
    static let findings: [Finding] = [
        Finding(
            id: "migration-conflict",
            severity: .critical,
            title: "Database migration conflict in assets",
            summary:
                "Alembic found two head revisions and the assets service exits on start, so the pod restarts forever.",
            resources: [ResourceRef(kind: "Pod", namespace: "em", name: "assets-7d9f", container: "app")],
            evidence: [
                Evidence(
                    path: "api/v1/namespaces/em/pods/assets-7d9f/log/app.previous.log",
                    line: 42,
                    excerpt: "FAILED: Multiple head revisions are present for given argument 'head'"
                ),
                Evidence(
                    path: "api/v1/namespaces/em/pods/assets-7d9f/log/app.previous.log",
                    line: 43,
                    excerpt: hostile
                ),
            ],
            remedy:
                "Roll back to the previous chart version and ask the vendor for a merge revision; do not edit alembic_version by hand.",
            references: ["https://docs.emergence.ai/deployment/helm/upgrades", "javascript:alert(1)"],
            explains: ["crashloop"]
        ),
        Finding(
            id: "crashloop",
            severity: .warning,
            title: "Container restarting (CrashLoopBackOff)",
            summary: "assets-7d9f container app restarted 5 times.",
            resources: [ResourceRef(kind: "Pod", namespace: "em", name: "assets-7d9f", container: "app")],
            evidence: [
                Evidence(path: "api/v1/namespaces/em/pods.json", line: nil, excerpt: "reason: CrashLoopBackOff")
            ],
            remedy: "Read the previous log of the container.",
            explainedBy: "migration-conflict"
        ),
    ]

    static func pod(
        _ name: String,
        labels: [String: String] = [:],
        node: String? = "node-1",
        phase: String = "Running",
        initContainers: [JSONValue] = [],
        initStatuses: [JSONValue] = [],
        containers: [JSONValue],
        statuses: [JSONValue],
        conditions: [JSONValue] = []
    ) -> JSONValue {
        var spec: [String: JSONValue] = ["containers": .array(containers), "initContainers": .array(initContainers)]
        if let node { spec["nodeName"] = .string(node) }
        return .object([
            "metadata": .object([
                "name": .string(name), "namespace": .string("em"),
                "labels": .object(labels.mapValues(JSONValue.string)),
            ]),
            "spec": .object(spec),
            "status": .object([
                "phase": .string(phase), "initContainerStatuses": .array(initStatuses),
                "containerStatuses": .array(statuses), "conditions": .array(conditions),
            ]),
        ])
    }

    static func container(_ name: String) -> JSONValue { .object(["name": .string(name)]) }

    static func status(
        _ name: String,
        ready: Bool = false,
        restarts: Int = 0,
        state: [String: JSONValue],
        last: [String: JSONValue]? = nil,
        started: Bool? = nil
    ) -> JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(name), "ready": .bool(ready), "restartCount": .number(Double(restarts)),
            "state": .object(state),
        ]
        if let last { object["lastState"] = .object(["terminated": .object(last)]) }
        if let started { object["started"] = .bool(started) }
        return .object(object)
    }

    static func waiting(_ reason: String, message: String? = nil) -> [String: JSONValue] {
        var detail: [String: JSONValue] = ["reason": .string(reason)]
        if let message { detail["message"] = .string(message) }
        return ["waiting": .object(detail)]
    }

    static func running(_ startedAt: String) -> [String: JSONValue] {
        ["running": .object(["startedAt": .string(startedAt)])]
    }

    static func terminated(_ reason: String, exit: Int, started: String, finished: String) -> [String: JSONValue] {
        [
            "reason": .string(reason), "exitCode": .number(Double(exit)), "startedAt": .string(started),
            "finishedAt": .string(finished),
        ]
    }

    static let pods: [JSONValue] = [
        pod(
            "governance-0",
            labels: ["app.kubernetes.io/component": "governance"],
            phase: "Pending",
            initContainers: ["wait-for-postgres", "wait-for-redis", "wait-for-keycloak"].map(container),
            initStatuses: [
                status("wait-for-postgres", state: running("2024-05-01T09:40:00Z")),
                status("wait-for-redis", state: waiting("PodInitializing")),
                status("wait-for-keycloak", state: waiting("PodInitializing")),
            ],
            containers: [container("app")],
            statuses: [status("app", state: waiting("PodInitializing"))]
        ),
        pod(
            "assets-7d9f",
            labels: ["app.kubernetes.io/component": "assets"],
            containers: [container("app")],
            statuses: [
                status(
                    "app",
                    restarts: 5,
                    state: waiting("CrashLoopBackOff", message: "back-off 2m40s restarting failed container"),
                    last: terminated(
                        "Error",
                        exit: 1,
                        started: "2024-05-01T09:55:00Z",
                        finished: "2024-05-01T09:55:04Z"
                    )
                )
            ]
        ),
        pod(
            "utils-5c4b",
            labels: ["app": "utils"],
            containers: [container("app")],
            statuses: [
                status(
                    "app",
                    restarts: 2,
                    state: running("2024-05-01T09:58:00Z"),
                    last: terminated(
                        "OOMKilled",
                        exit: 137,
                        started: "2024-05-01T09:50:00Z",
                        finished: "2024-05-01T09:52:30Z"
                    )
                )
            ]
        ),
        pod(
            "keycloak-0",
            labels: ["app": "keycloak"],
            phase: "Pending",
            containers: [container("keycloak")],
            statuses: [
                status(
                    "keycloak",
                    state: waiting("CreateContainerConfigError", message: "secret \"em-runtime-secrets\" not found")
                )
            ]
        ),
        pod(
            "postgres-0",
            labels: ["app.kubernetes.io/component": "database"],
            containers: [container("postgres")],
            statuses: [status("postgres", ready: true, state: running("2024-05-01T09:30:00Z"))],
            conditions: [.object(["type": .string("Ready"), "status": .string("True")])]
        ),
    ]

    static func event(
        pod: String,
        reason: String,
        message: String,
        count: Int,
        first: String,
        last: String,
        fieldPath: String? = nil
    ) -> JSONValue {
        var involved: [String: JSONValue] = ["kind": .string("Pod"), "namespace": .string("em"), "name": .string(pod)]
        if let fieldPath { involved["fieldPath"] = .string(fieldPath) }
        return .object([
            "type": .string("Warning"), "reason": .string(reason), "message": .string(message),
            "count": .number(Double(count)), "firstTimestamp": .string(first), "lastTimestamp": .string(last),
            "involvedObject": .object(involved), "metadata": .object(["namespace": .string("em")]),
        ])
    }

    static let events: [JSONValue] = [
        event(
            pod: "assets-7d9f",
            reason: "BackOff",
            message: "Back-off restarting failed container app",
            count: 12,
            first: "2024-05-01T09:45:00Z",
            last: "2024-05-01T09:59:00Z",
            fieldPath: "spec.containers{app}"
        ),
        event(
            pod: "keycloak-0",
            reason: "Failed",
            message: "Error: secret \"em-runtime-secrets\" not found " + hostile,
            count: 3,
            first: "2024-05-01T09:41:00Z",
            last: "2024-05-01T09:57:00Z"
        ),
        .object([
            "type": .string("Normal"), "reason": .string("Pulled"), "lastTimestamp": .string("2024-05-01T09:41:00Z"),
            "involvedObject": .object([
                "kind": .string("Pod"), "namespace": .string("em"), "name": .string("postgres-0"),
            ]),
        ]),
    ]

    /// Writes the bundle (pods, events, a manifest with collection problems, a redaction report) to a temp folder.
    static func writeBundle(manifest: Bool = true) throws -> BundleDirectory {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("emdiag-report-\(UUID().uuidString)")
        let bundle = BundleDirectory(root: root)
        func write(_ path: String, _ value: JSONValue) throws {
            let url = bundle.url(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try value.serialized(pretty: true).write(to: url)
        }
        try write(
            BundleLayout.listPath(.pods, namespace: "em"),
            .object(["kind": .string("PodList"), "items": .array(pods)])
        )
        try write(
            BundleLayout.listPath(.events, namespace: "em"),
            .object(["kind": .string("EventList"), "items": .array(events)])
        )
        if manifest {
            // A real redaction report: 7 values hidden by the redactor over two files.
            let redactor = try Redactor(placeholderKey: Array("report-test-key".utf8))
            _ = redactor.redact(text: "password=aaaa1111 token=bbbb2222 secret=cccc3333\n", file: "a.log")
            _ = redactor.redact(
                text: "password=dddd4444\napi_key=eeee5555\nclient_secret=ffff6666\npasswd=gggg7777\n", file: "b.log")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try redactor.report().serialized().write(to: root.appendingPathComponent(BundleLayout.redactionReport))
            let value = Manifest(
                createdAt: clock,
                target: .init(
                    server: "https://127.0.0.1:6443",
                    context: "kind-em",
                    namespace: "em",
                    release: "em-runtime"
                ),
                partial: true,
                redaction: .init(enabled: true, report: BundleLayout.redactionReport),
                collection: [
                    .init(
                        item: "list secrets in em",
                        status: .forbidden,
                        reason: "secrets is forbidden | `rbac`",
                        httpStatus: 403
                    ),
                    .init(
                        item: "logs Pod/em/utils-5c4b container=app previous",
                        status: .timeout,
                        reason: "read timed out"
                    ),
                ]
            )
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            try encoder.encode(value).write(to: bundle.url(BundleLayout.manifest))
        }
        return bundle
    }

    /// The report of the written bundle with the constructed findings.
    static func report() throws -> DiagnosticReport {
        let bundle = try writeBundle()
        defer { try? FileManager.default.removeItem(at: bundle.root) }
        return try DiagnosticReport.build(
            bundle: bundle,
            findings: findings,
            manifest: try bundle.manifest(),
            bundlePath: "emdiag-em.tar.gz",
            now: clock
        )
    }

    /// The findings of a fixture scenario: its `expected/findings.json` when there is one, the constructed
    /// migration-conflict findings for that scenario, or else the generic constructed ones.
    static func findings(scenario: String) -> [Finding] {
        if scenario == "migration-conflict" { return migrationConflictFindings }
        let url = fixturesRoot.appendingPathComponent("\(scenario)/expected/findings.json")
        guard let data = try? Data(contentsOf: url), let decoded = try? JSONDecoder().decode([Finding].self, from: data)
        else { return findings }
        return decoded
    }

    static func report(scenario: String) throws -> DiagnosticReport {
        let bundle = BundleDirectory(root: fixturesRoot.appendingPathComponent(scenario))
        return try DiagnosticReport.build(
            bundle: bundle,
            findings: findings(scenario: scenario),
            manifest: try bundle.manifest(),
            bundlePath: "emdiag-\(scenario).tar.gz",
            now: clock
        )
    }

    /// Compares `actual` with a golden file; `EMDIAG_RECORD=1` (re)writes it. A mismatch records a unified diff.
    static func expectGolden(_ actual: String, at url: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        if ProcessInfo.processInfo.environment["EMDIAG_RECORD"] == "1" {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try Data(actual.utf8).write(to: url)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record(
                "Golden file \(url.path) is missing; run with EMDIAG_RECORD=1 to record it.",
                sourceLocation: sourceLocation
            )
            return
        }
        guard expected != actual else { return }
        let actualURL = FileManager.default.temporaryDirectory.appendingPathComponent("actual-\(UUID().uuidString)")
        try Data(actual.utf8).write(to: actualURL)
        defer { try? FileManager.default.removeItem(at: actualURL) }
        let diff = try run("/usr/bin/diff", ["-u", url.path, actualURL.path])
        Issue.record(
            "\(url.path) differs from the output (EMDIAG_RECORD=1 re-records):\n\(diff.stdout)",
            sourceLocation: sourceLocation
        )
    }

    struct ProcessResult {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `python3` from PATH (the one with `jsonschema` may not be /usr/bin/python3).
    static func python(_ arguments: [String]) throws -> ProcessResult {
        try run("/usr/bin/env", ["python3"] + arguments)
    }

    /// Runs a program to completion; output goes through temp files so large outputs cannot deadlock a pipe.
    static func run(_ executable: String, _ arguments: [String], stdin: Data? = nil) throws -> ProcessResult {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("emdiag-proc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("out")
        let errURL = dir.appendingPathComponent("err")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        if let stdin {
            let inURL = dir.appendingPathComponent("in")
            try stdin.write(to: inURL)
            process.standardInput = try FileHandle(forReadingFrom: inURL)
        }
        try process.run()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        )
    }
}
