import Foundation
import Logging
import Synchronization

/// What one `emdiag collect` run gathers and how.
package struct CollectOptions: Sendable {
    /// The release namespace (`-n`).
    package var namespace: String
    /// The Helm release name (`--release`); it names the Helm records gathered.
    package var release: String
    /// Only log lines newer than this (`--since`).
    package var since: Duration?
    /// Each stored log keeps at most `maxLogBytes` bytes (`--max-log-bytes`): its first tenth and its newest bytes.
    package var maxLogBytes: Int64
    /// Gathering stops here (`--timeout`); what was gathered is still bundled, marked partial.
    package var deadline: ContinuousClock.Instant?
    /// Run the playbooks' HTTP checks (the health endpoint).
    package var httpChecks: Bool

    package init(
        namespace: String, release: String = "em-runtime", since: Duration? = nil,
        maxLogBytes: Int64 = 10 << 20, deadline: ContinuousClock.Instant? = nil, httpChecks: Bool = true
    ) {
        self.namespace = namespace
        self.release = release
        self.since = since
        self.maxLogBytes = maxLogBytes
        self.deadline = deadline
        self.httpChecks = httpChecks
    }
}

/// What a run gathered besides its files.
package struct CollectSummary: Sendable {
    package var issues: [Manifest.CollectionIssue]
    /// Gathering stopped at the deadline before everything was fetched.
    package var partial: Bool
    package var serverVersion: String?
    package var logs: Int
}

/// Gathers what the playbooks ask for from a live cluster into a staging folder, redacting everything on the
/// way in. Failure-first: whatever the playbooks say, every container that restarted or terminated and every init
/// container that is not done gets its logs. One item failing (403, 404, timeout) becomes a
/// `Manifest.CollectionIssue` and the run goes on; only an unreachable cluster or a missing namespace stops it.
package final class Collector: Sendable {
    let services: CollectServices
    let plan: GatherPlan
    let redactor: Redactor
    let staging: BundleStaging
    private var client: KubeClient { services.client }
    private var progress: any ProgressReporter { services.progress }
    private var logger: Logger { services.logger }
    private let state = Mutex(State())

    private struct State {
        var issues: [Manifest.CollectionIssue] = []
        var progress = CollectionProgress()
        var partial = false
    }

    package init(services: CollectServices, plan: GatherPlan, redactor: Redactor, staging: BundleStaging) {
        self.services = services
        self.plan = plan
        self.redactor = redactor
        self.staging = staging
    }

    /// Runs the gather steps. Cancelling the task (the `--timeout` watchdog) stops gathering: what was
    /// gathered is kept, the rest is recorded as not fetched, and the summary says `partial`.
    /// - Throws: `CollectError.clusterUnreachable` / `.namespaceMissing` when nothing can be collected.
    package func run(_ options: CollectOptions) async throws -> CollectSummary {
        let version = try await preflight(options)
        let secretValues = await gatherSecrets(options)
        await gatherHelmReleases(options)
        let pods = await gatherResources(options)
        await gatherLogs(options, pods: pods)
        if options.httpChecks && !Task.isCancelled { await runHTTPChecks(options, secretValues: secretValues) }
        if Task.isCancelled { markPartial() }
        let final = state.withLock { $0 }
        progress.finish(final.progress)
        return CollectSummary(
            issues: final.issues.sorted { ($0.item, $0.reason) < ($1.item, $1.reason) }, partial: final.partial,
            serverVersion: version, logs: final.progress.logs)
    }

    // MARK: Preflight

    /// Checks the cluster answers and the namespace exists; stores `version.json`.
    private func preflight(_ options: CollectOptions) async throws -> String? {
        var versionText: String?
        do {
            let version = try await client.serverVersion(deadline: options.deadline)
            versionText = version["gitVersion"]?.string
            try write(BundleLayout.version, bytes: Array(version.serialized(pretty: true)))
        } catch let error as KubeError {
            switch error {
            case .forbidden, .notFound, .httpStatus, .invalidResponse:
                record(item: "server version", path: BundleLayout.version, error: error)
            default:
                throw CollectError.clusterUnreachable(error)
            }
        }
        do {
            _ = try await client.getRaw(path: "/api/v1/namespaces/\(options.namespace)", deadline: options.deadline)
        } catch let error as KubeError {
            switch error {
            case .notFound:
                throw CollectError.namespaceMissing(namespace: options.namespace, server: client.endpoint.server)
            case .unauthorized, .transport, .deadlineExceeded:
                throw CollectError.clusterUnreachable(error)
            case .forbidden:
                // A namespace-scoped identity (deploy/rbac.yaml) may not read Namespace objects, which are
                // cluster-scoped: expected, not lost evidence. The lists below still tell what is there.
                logger.debug("cannot read Namespace/\(options.namespace) (forbidden); going on")
            default:
                record(item: "Namespace/\(options.namespace)", path: nil, error: error)
            }
        }
        return versionText
    }

    // MARK: Secrets

    /// Gets each named Secret: stores keys, lengths, fingerprints and value facts, never values (but the
    /// non-secret keys a playbook needs, such as `base-url`). Registers every value with the redactor first, so
    /// the logs fetched later are scrubbed of them. Returns the clear non-secret values for HTTP checks.
    private func gatherSecrets(_ options: CollectOptions) async -> [String: [String: String]] {
        var byNamespace: [String: [JSONValue]] = [:]
        var clearValues: [String: [String: String]] = [:]
        for wanted in plan.secrets {
            let namespace = wanted.namespace ?? options.namespace
            let path = BundleLayout.listPath(.secrets, namespace: namespace)
            do {
                let bytes = try await client.get(.secrets, name: wanted.name, namespace: namespace, deadline: options.deadline)
                let secret = try JSONValue.parse(bytes)
                var facts: [String: JSONValue] = [:]
                // A Secret served from a bundle (`emdiag serve`) holds placeholders, and the facts of the values.
                let servedFacts = secret["emdiagFacts"]?.object ?? [:]
                for key in Set(wanted.keys + wanted.nonSecretKeys) {
                    guard let stored = secret[path: "data"]?[key]?.string else { continue }
                    if let known = servedFacts[key], Self.isPlaceholder(base64: stored) {
                        facts[key] = known
                        continue
                    }
                    let fact = SecretValueFacts(storedBase64: stored)
                    if let encoded = try? JSONEncoder().encode(fact), let json = try? JSONValue.parse(encoded) {
                        facts[key] = json
                    }
                    if wanted.nonSecretKeys.contains(key), let data = Data(base64Encoded: stored) {
                        clearValues[wanted.name, default: [:]][key] = String(decoding: data, as: UTF8.self)
                    }
                }
                var redacted = redactor.redactSecret(secret, file: path).object
                if !facts.isEmpty { redacted["emdiagFacts"] = .object(facts) }
                byNamespace[namespace, default: []].append(.object(redacted))
                advance(done: 1)
            } catch {
                record(item: "Secret/\(namespace)/\(wanted.name)", path: path, error: error,
                       permission: .init(verb: "get", group: "", resource: "secrets", namespace: wanted.namespace,
                                         resourceName: wanted.name))
            }
        }
        for (namespace, items) in byNamespace {
            let list = JSONValue.object([
                "kind": .string("SecretList"), "apiVersion": .string("v1"), "metadata": .object([:]),
                "items": .array(items.sorted { ($0[path: "metadata.name"]?.string ?? "") < ($1[path: "metadata.name"]?.string ?? "") }),
            ])
            writeRecording(BundleLayout.listPath(.secrets, namespace: namespace), list)
        }
        return clearValues
    }

    /// Lists the Helm release records (`owner=helm,name=<release>`) and stores each revision's status and
    /// metadata (never its values or manifest) as `helm/<ns>/<release>.json`, newest first.
    private func gatherHelmReleases(_ options: CollectOptions) async {
        var releases = plan.helmReleases
        if !releases.contains(where: { $0.name == options.release }) {
            releases.append(GatherPlan.HelmRelease(name: options.release, namespace: nil))
        }
        for release in releases {
            let namespace = release.namespace ?? options.namespace
            let path = BundleLayout.helmReleasesPath(namespace: namespace, release: release.name)
            do {
                let list = try await client.list(
                    .secrets, namespace: namespace, labelSelector: "owner=helm,name=\(release.name)",
                    deadline: options.deadline)
                var records: [JSONValue] = []
                for secret in list.items {
                    do {
                        records.append(try redactor.redactHelmRelease(secret, file: path, helmDecoder: Self.gunzipJSON))
                    } catch {
                        let name = secret[path: "metadata.name"]?.string ?? "?"
                        record(item: "Helm record Secret/\(namespace)/\(name)", path: path, status: .error, reason: "\(error)")
                    }
                }
                records.sort { ($0["version"]?.int ?? 0) > ($1["version"]?.int ?? 0) }
                writeRecording(path, .array(records))
                advance(done: 1)
            } catch {
                record(item: "Helm release \(release.name) in \(namespace)", path: path, error: error,
                       permission: .init(verb: "list", group: "", resource: "secrets", namespace: release.namespace))
            }
        }
    }

    /// A Secret value that is a redaction placeholder, `<redacted:XXXXXX>`, base64-encoded.
    static func isPlaceholder(base64: String) -> Bool {
        guard let data = Data(base64Encoded: base64), data.count == 17 else { return false }
        let text = String(decoding: data, as: UTF8.self)
        return text.hasPrefix("<redacted:") && text.hasSuffix(">")
    }

    static func gunzipJSON(_ data: Data) throws -> JSONValue {
        try JSONValue.parse(Inflate.gunzip([UInt8](data)))
    }

    // MARK: Resources

    /// One list request: a type in a namespace, by an optional selector.
    private struct ListJob: Sendable {
        var type: ResourceType
        var namespace: String?
        var selectors: [String?]
    }

    /// Lists every resource type of the plan (and the Argo CD Applications), in parallel under the client's
    /// concurrency limit. Returns the pods per namespace, for the log step.
    private func gatherResources(_ options: CollectOptions) async -> [String: [JSONValue]] {
        var jobs: [String: ListJob] = [:]
        func add(_ type: ResourceType, _ namespace: String?, _ selector: String?) {
            let ns = type.namespaced ? (namespace ?? options.namespace) : nil
            let key = BundleLayout.listPath(type, namespace: ns)
            var job = jobs[key] ?? ListJob(type: type, namespace: ns, selectors: [])
            // An unselected list covers every selected one.
            if selector == nil || job.selectors.contains(where: { $0 == nil }) {
                job.selectors = [nil]
            } else if !job.selectors.contains(selector) {
                job.selectors.append(selector)
            }
            jobs[key] = job
        }
        for r in plan.resources where r.type != .secrets { add(r.type, r.namespace, r.labelSelector) }
        for l in plan.logs { add(.pods, l.namespace, nil) }
        add(.pods, nil, nil)
        add(.events, nil, nil)
        for a in plan.argoApplications where a.names.isEmpty { add(.argoApplications, a.namespace, nil) }
        state.withLock { $0.progress.total += jobs.count + plan.secrets.count + plan.helmReleases.count }

        await gatherNamedArgoApplications(options)
        let ordered = jobs.values.sorted { BundleLayout.listPath($0.type, namespace: $0.namespace) < BundleLayout.listPath($1.type, namespace: $1.namespace) }
        return await withTaskGroup(of: (String, [JSONValue])?.self) { group in
            for job in ordered {
                group.addTask { await self.list(job, options: options) }
            }
            var pods: [String: [JSONValue]] = [:]
            for await result in group {
                if let (namespace, items) = result { pods[namespace] = items }
            }
            return pods
        }
    }

    /// Argo CD Applications the playbooks name: fetched one by one with `get` (what the least-privilege Role
    /// grants), stored as one ApplicationList per namespace.
    private func gatherNamedArgoApplications(_ options: CollectOptions) async {
        for apps in plan.argoApplications where !apps.names.isEmpty {
            let path = BundleLayout.listPath(.argoApplications, namespace: apps.namespace)
            var items: [JSONValue] = []
            for name in apps.names {
                do {
                    let bytes = try await client.get(.argoApplications, name: name, namespace: apps.namespace, deadline: options.deadline)
                    items.append(try JSONValue.parse(bytes))
                } catch {
                    record(item: "Application/\(apps.namespace)/\(name) (argoproj.io)", path: path, error: error,
                           permission: .init(verb: "get", group: ResourceType.argoApplications.group,
                                             resource: ResourceType.argoApplications.resource, namespace: apps.namespace,
                                             resourceName: name))
                }
            }
            guard !items.isEmpty else { continue }
            let list = JSONValue.object([
                "kind": .string("ApplicationList"), "apiVersion": .string(ResourceType.argoApplications.groupVersion),
                "metadata": .object([:]), "items": .array(items),
            ])
            writeRecording(path, redactor.redactObject(list, file: path))
        }
    }

    /// Fetches and stores one List; returns the pods when it was a pod list.
    private func list(_ job: ListJob, options: CollectOptions) async -> (String, [JSONValue])? {
        let path = BundleLayout.listPath(job.type, namespace: job.namespace)
        var first: JSONValue?
        var items: [JSONValue] = []
        var seen: Set<String> = []
        for selector in job.selectors {
            do {
                let list = try await client.list(job.type, namespace: job.namespace, labelSelector: selector, deadline: options.deadline)
                if first == nil { first = list.value }
                for item in list.items {
                    let uid = item[path: "metadata.uid"]?.string ?? "\(item[path: "metadata.namespace"]?.string ?? "")/\(item[path: "metadata.name"]?.string ?? "")"
                    guard seen.insert(uid).inserted else { continue }
                    items.append(item)
                }
            } catch {
                let scope = job.namespace.map { " in \($0)" } ?? ""
                record(item: "list \(job.type)\(scope)\(selector.map { " -l \($0)" } ?? "")", path: path, error: error,
                       permission: .init(verb: "list", group: job.type.group, resource: job.type.resource,
                                         namespace: job.namespace == options.namespace ? nil : job.namespace))
            }
        }
        advance(done: 1)
        guard var list = first?.object else { return nil }
        list["items"] = .array(items)
        list["metadata"] = .object([:])
        let stored = redactor.redactObject(.object(list), file: path)
        writeRecording(path, stored)
        return job.type == .pods ? (job.namespace ?? options.namespace, items) : nil
    }

    // MARK: Logs

    /// One container log to fetch.
    struct LogJob: Sendable, Hashable {
        var namespace: String
        var pod: String
        var container: String
        var previous: Bool
    }

    /// Fetches the logs the plan selects plus the failure-first set, in parallel.
    private func gatherLogs(_ options: CollectOptions, pods: [String: [JSONValue]]) async {
        let jobs = LogSelection.jobs(plan: plan, pods: pods, target: options.namespace)
        state.withLock { $0.progress.total += jobs.count }
        await withTaskGroup(of: Void.self) { group in
            for job in jobs {
                group.addTask { await self.fetchLog(job, options: options) }
            }
        }
    }

    private func fetchLog(_ job: LogJob, options: CollectOptions) async {
        let path = BundleLayout.logPath(namespace: job.namespace, pod: job.pod, container: job.container, previous: job.previous)
        let item = "log Pod/\(job.namespace)/\(job.pod) container=\(job.container)\(job.previous ? " previous" : "")"
        if Task.isCancelled || options.deadline.map({ ContinuousClock.now >= $0 }) == true {
            markPartial()
            record(item: item, path: path, status: .timeout, reason: "not fetched: the --timeout budget ran out")
            return
        }
        let capture: LogCapture
        do {
            capture = try LogCapture(staging: staging, path: path, redactor: redactor, maxBytes: options.maxLogBytes)
        } catch {
            record(item: item, path: path, status: .error, reason: "\(error)")
            return
        }
        let logOptions = KubeLogOptions(
            container: job.container, previous: job.previous, timestamps: true,
            sinceSeconds: options.since.map { Int($0.components.seconds) })
        var failure: (any Error)?
        do {
            _ = try await client.logs(pod: job.pod, namespace: job.namespace, options: logOptions,
                                      to: .consumer(capture.sink), deadline: options.deadline)
        } catch {
            failure = error
        }
        do {
            let kept = try capture.finish(keep: failure == nil || capture.receivedBytes > 0)
            if let failure {
                if kept {
                    record(item: item, path: path, status: .error,
                           reason: "incomplete: the stream broke after \(capture.receivedBytes) bytes (\(failure)); the part received is stored")
                } else {
                    record(item: item, path: path, error: failure,
                           permission: .init(verb: "get", group: "", resource: "pods/log",
                                             namespace: job.namespace == options.namespace ? nil : job.namespace))
                }
            }
            if kept { state.withLock { $0.progress.logs += 1 } }
        } catch {
            record(item: item, path: path, status: .error, reason: "\(error)")
        }
        advance(done: 1)
    }

    // MARK: HTTP checks

    /// Runs each HTTP check of the plan (e.g. `{base-url}/api/governance/health`) from this machine and stores
    /// the status, or why it could not run, as `checks/http/<name>.json`.
    private func runHTTPChecks(_ options: CollectOptions, secretValues: [String: [String: String]]) async {
        for check in plan.httpChecks {
            let path = BundleLayout.httpCheckPath(name: check.name)
            var result: [String: JSONValue] = ["name": .string(check.name), "expectStatus": .array(check.expectStatus.map { .number(Double($0)) })]
            var url = check.url
            var missing: [String] = []
            for (key, value) in secretValues[check.secret ?? ""] ?? [:] {
                url = url.replacingOccurrences(of: "{\(key)}", with: value.trimmingCharacters(in: .whitespacesAndNewlines).trimmingSuffix("/"))
            }
            if let open = url.firstIndex(of: "{"), let close = url[open...].firstIndex(of: "}") {
                missing.append(String(url[url.index(after: open)..<close]))
            }
            result["url"] = .string(redactor.redact(text: url, file: path))
            guard missing.isEmpty, let transport = services.checkTransport else {
                // Not run: no result file (a check that never ran did not fail), only the reason.
                record(item: "HTTP check \(check.name)", path: path, status: .skipped, reason: services.checkTransport == nil
                    ? "not run: the HTTP client for checks could not be created"
                    : "not run: \(missing.joined(separator: ", ")) is not known (the Secret \(check.secret ?? "?") or its key is missing)")
                continue
            }
            do {
                let response = try await transport.send(HTTPRequest(url: url, timeout: .seconds(10)), sink: .memory(limit: 64 << 10))
                let excerpt = String(decoding: response.body.prefix(512), as: UTF8.self)
                result["status"] = .number(Double(response.status))
                result["ok"] = .bool(check.expectStatus.isEmpty ? (200..<300).contains(response.status) : check.expectStatus.contains(response.status))
                result["error"] = .null
                result["excerpt"] = .string(redactor.redact(text: excerpt, file: path))
            } catch {
                // DNS, refused and timeouts say more about where emdiag runs than about the cluster: the check
                // is recorded as not reachable (no finding) and listed among what could not be collected.
                let unreachable = (error as? HTTPError).map { [.couldNotResolveHost, .connectionRefused, .timeout].contains($0.kind) } ?? false
                let message = redactor.redact(text: "\(error)", file: path)
                result["status"] = .null
                result["ok"] = .bool(false)
                result["reachable"] = .bool(!unreachable)
                result["error"] = .string(message)
                if unreachable {
                    record(item: "HTTP check \(check.name)", path: path, status: .skipped,
                           reason: "not reachable from this machine (\(message)); run it where the URL resolves, e.g. inside the cluster")
                }
            }
            writeRecording(path, .object(result))
        }
    }

    // MARK: Recording

    private func write(_ path: String, bytes: [UInt8]) throws {
        _ = try staging.write(path, data: Data(bytes))
    }

    /// Stores a JSON document, pretty-printed with sorted keys so that evidence cites a meaningful line (the line
    /// of the field that matched, not line 1 of a one-line List); a failure to write is itself recorded.
    private func writeRecording(_ path: String, _ value: JSONValue) {
        do {
            try write(path, bytes: Array(value.serialized(pretty: true)))
        } catch {
            record(item: "write \(path)", path: path, status: .error, reason: "\(error)")
        }
    }

    private func advance(done: Int) {
        let snapshot = state.withLock { s -> CollectionProgress in
            s.progress.done += done
            return s.progress
        }
        progress.update(snapshot)
    }

    private func markPartial() {
        state.withLock { $0.partial = true }
    }

    private func record(item: String, path: String?, status: Manifest.CollectionIssue.Status, reason: String, httpStatus: Int? = nil) {
        logger.debug("not collected: \(item): \(reason)")
        let snapshot = state.withLock { s -> CollectionProgress in
            s.issues.append(.init(item: item, path: path, status: status, reason: reason, httpStatus: httpStatus))
            s.progress.errors += 1
            return s.progress
        }
        progress.update(snapshot)
    }

    /// Records a failed request with the status its error deserves.
    private func record(item: String, path: String?, error: any Error, permission: GatherPlan.Permission? = nil) {
        switch error {
        case let error as KubeError:
            switch error {
            case .forbidden:
                let cost = permission.flatMap(services.consequence).map { " Without it: \($0)" } ?? ""
                record(item: item, path: path, status: .forbidden, reason: "\(error)\(cost)", httpStatus: 403)
            case .notFound:
                record(item: item, path: path, status: .notFound, reason: "\(error)", httpStatus: 404)
            case .deadlineExceeded:
                markPartial()
                record(item: item, path: path, status: .timeout, reason: "\(error)")
            case .transport(_, let cause, _, _) where cause.kind == .aborted && Task.isCancelled:
                // The --timeout watchdog cancelled the gathering while this request was in flight.
                markPartial()
                record(item: item, path: path, status: .timeout, reason: "stopped before it finished: the --timeout budget ran out")
            case .httpStatus(_, let status, _, _):
                record(item: item, path: path, status: status == 400 ? .skipped : .error, reason: "\(error)", httpStatus: status)
            default:
                record(item: item, path: path, status: .error, reason: "\(error)")
            }
        case is CancellationError:
            markPartial()
            record(item: item, path: path, status: .timeout, reason: "stopped before it finished")
        default:
            record(item: item, path: path, status: .error, reason: "\(error)")
        }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
