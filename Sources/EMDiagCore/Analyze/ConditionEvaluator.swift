import Foundation

/// A place where a condition held: the resource, the template values and the evidence.
struct Hit: Sendable {
    var resource: ResourceRef
    var values: [String: String]
    var evidence: [Evidence]
    /// The component of the pod the hit is on (nil for non-pod resources).
    var component: String?
}

/// Compiled regexes of one analysis (POSIX `regex_t` is not shareable across threads; the evaluator runs on one).
final class RegexPool {
    private var cache: [String: PosixRegex] = [:]

    /// Captures of `regex` in `text` (nil: no match). `anchored` requires the whole text to match.
    func captures(_ regex: PortableRegex, in text: String, anchored: Bool = false, ignoreCase: Bool = false) -> [String: String]? {
        let key = "\(anchored ? "^" : "")\(ignoreCase ? "i" : "")\(regex.source)"
        let compiled: PosixRegex
        if let cached = cache[key] {
            compiled = cached
        } else {
            guard let made = try? regex.compile(ignoreCase: ignoreCase, anchored: anchored) else { return nil }
            cache[key] = made
            compiled = made
        }
        return regex.captures(in: text, using: compiled, groupOffset: anchored ? 1 : 0)
    }

    func matches(_ regex: PortableRegex?, _ text: String?, anchored: Bool = true) -> Bool {
        guard let regex else { return true }
        guard let text else { return false }
        return captures(regex, in: text, anchored: anchored) != nil
    }
}

/// Finds the line of a JSON file where an object's field is, by searching anchors in order (a pod's name, then
/// `containerStatuses`, then the container's name, ...). Files are read once.
final class LineLocator {
    private let bundle: BundleDirectory
    /// One file as read, with what the search needs.
    private struct File {
        var bytes: [UInt8]
        /// The offsets where its lines start.
        var lineStarts: [Int]
        /// How often each byte value occurs.
        var histogram: [Int]
    }
    private var files: [String: File] = [:]

    init(bundle: BundleDirectory) { self.bundle = bundle }

    /// The 1-based line of the last anchor found (searching each after the previous), or nil.
    func line(_ path: String, _ anchors: [String]) -> Int? {
        if files[path] == nil {
            let bytes = (try? bundle.data(path)).map { [UInt8]($0) } ?? []
            var starts = [0]
            var histogram = [Int](repeating: 0, count: 256)
            for (offset, byte) in bytes.enumerated() {
                histogram[Int(byte)] += 1
                if byte == 0x0A { starts.append(offset + 1) }
            }
            files[path] = File(bytes: bytes, lineStarts: starts, histogram: histogram)
        }
        guard let file = files[path] else { return nil }
        var index = 0
        var found: Int?
        for anchor in anchors where !anchor.isEmpty && !anchor.utf8.contains(0x0A) {
            guard let hit = Self.firstLine(containing: Array(anchor.utf8), in: file, from: index) else { continue }
            found = hit + 1
            index = hit
        }
        return found ?? 1
    }

    /// The 0-based index of the first line at or after `first` that contains `needle`.
    ///
    /// Byte search: `memchr` for the needle's byte that is rarest in the file, then `memcmp` around it. Foundation's
    /// `contains` bridged every line to `NSString` (which dominated analyze), and a `memchr` of the first byte, a
    /// quote in every anchor, stopped at every quote of the file.
    private static func firstLine(containing needle: [UInt8], in file: File, from first: Int) -> Int? {
        let offset = file.lineStarts[first]
        let rare = needle.indices.min { file.histogram[Int(needle[$0])] < file.histogram[Int(needle[$1])] } ?? 0
        let hit: Int? = file.bytes.withUnsafeBytes { haystack in
            needle.withUnsafeBytes { pattern in
                guard let base = haystack.baseAddress, let wanted = pattern.baseAddress else { return nil }
                let last = haystack.count - pattern.count  // the last possible start
                var at = offset + rare  // where the rare byte of a match at `offset` would be
                while at <= last + rare {
                    guard let found = memchr(base + at, Int32(pattern[rare]), last + rare - at + 1) else { return nil }
                    let start = base.distance(to: UnsafeRawPointer(found)) - rare
                    if memcmp(base + start, wanted, pattern.count) == 0 { return start }
                    at = start + rare + 1
                }
                return nil
            }
        }
        guard let hit else { return nil }
        // The last line starting at or before the hit.
        var low = first
        var high = file.lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if file.lineStarts[mid] <= hit { low = mid } else { high = mid - 1 }
        }
        return low
    }

    static func quoted(_ text: String) -> String { "\"\(text)\"" }
}

/// Evaluates every non-log condition kind over a `ClusterSnapshot` (one exhaustive switch in `hits`).
struct ConditionEvaluator {
    let snapshot: ClusterSnapshot
    let regexes = RegexPool()
    let locator: LineLocator

    init(snapshot: ClusterSnapshot) {
        self.snapshot = snapshot
        locator = LineLocator(bundle: snapshot.bundle)
    }

    /// Hits of one condition. Log conditions are answered by the scanner (`logHits` holds them, by condition).
    func hits(_ condition: Condition, logHits: [Hit]) -> [Hit] {
        switch condition {
        case .log: logHits
        case .containerState(let c): containerState(c)
        case .podStatus(let c): podStatus(c)
        case .event(let c): events(c)
        case .secret(let c): secret(c)
        case .baseURL(let c): baseURL(c)
        case .helmRelease(let c): helmRelease(c)
        case .argoApplication(let c): argo(c)
        case .httpCheck(let c): httpCheck(c)
        }
    }

    // MARK: selection

    func pods(_ selector: PodSelector) -> [ClusterSnapshot.Pod] {
        snapshot.pods.filter { pod in
            (selector.namespace.map { $0 == pod.namespace } ?? true)
                && (selector.component.map { $0 == pod.component } ?? true)
                && (selector.labels?.matches(pod.labels) ?? true)
                && regexes.matches(selector.name, pod.name, anchored: false)
        }
    }

    /// Containers of selected pods, with the captures of the container-name pattern.
    func containers(_ selector: ContainerSelector) -> [(ClusterSnapshot.Pod, ClusterSnapshot.Container, [String: String])] {
        var out: [(ClusterSnapshot.Pod, ClusterSnapshot.Container, [String: String])] = []
        for pod in pods(selector.pods) {
            for container in pod.containers {
                if selector.kind == .app && container.isInit || selector.kind == .`init` && !container.isInit { continue }
                if let name = selector.name {
                    guard let captures = regexes.captures(name, in: container.name, anchored: true) else { continue }
                    out.append((pod, container, captures))
                } else {
                    out.append((pod, container, [:]))
                }
            }
        }
        return out
    }

    static func baseValues(_ ref: ResourceRef) -> [String: String] {
        var values = ["kind": ref.kind, "name": ref.name, "resource": ref.description]
        values["namespace"] = ref.namespace
        values["container"] = ref.container
        if ref.kind == "Pod" { values["pod"] = ref.name }
        return values
    }

    func hit(_ ref: ResourceRef, _ values: [String: String], path: String, anchors: [String], excerpt: String, component: String? = nil) -> Hit {
        let evidence = Evidence(path: path, line: locator.line(path, anchors), excerpt: String(excerpt.prefix(300)))
        return Hit(resource: ref, values: Self.baseValues(ref).merging(values) { _, new in new }, evidence: [evidence], component: component)
    }

    // MARK: pods

    func containerState(_ c: ContainerStateCondition) -> [Hit] {
        containers(c.containers).compactMap { pod, container, nameCaptures in
            guard let status = container.status else { return nil }
            let stateName = ContainerStateName.allCases.first { status[path: "state.\($0.rawValue)"] != nil }
            let current = stateName.flatMap { status[path: "state.\($0.rawValue)"] }
            let last = status[path: "lastState.terminated"]
            let reason = current?["reason"]?.string
            let lastReason = last?["reason"]?.string
            let restarts = status["restartCount"]?.int ?? 0
            let exitCode = (current?["exitCode"] ?? last?["exitCode"])?.int
            if let wanted = c.state, wanted != stateName { return nil }
            guard regexes.matches(c.reason, reason), regexes.matches(c.lastReason, lastReason) else { return nil }
            if !c.exitCodes.isEmpty, !(exitCode.map(c.exitCodes.contains) ?? false) { return nil }
            if let minimum = c.minRestarts, restarts < minimum { return nil }
            if let ready = c.ready, (status["ready"]?.bool ?? false) != ready { return nil }
            var values = nameCaptures
            if let wanted = c.runningFor {
                guard let started = KubeTime.parse(current?["startedAt"]?.string),
                    let now = snapshot.referenceTime
                else { return nil }
                let seconds = Int(now.timeIntervalSince(started))
                guard seconds >= wanted else { return nil }
                values["runningFor"] = Self.duration(seconds)
            }
            let message = current?["message"]?.string ?? last?["message"]?.string
            if let pattern = c.message {
                guard let text = message, let captures = regexes.captures(pattern, in: text) else { return nil }
                values.merge(captures) { _, new in new }
            }
            if let pattern = c.command {
                guard let captures = regexes.captures(pattern, in: container.command) else { return nil }
                values.merge(captures) { old, _ in old }
            }
            values["state"] = stateName?.rawValue
            values["reason"] = reason ?? lastReason
            values["message"] = message
            values["exitCode"] = exitCode.map(String.init)
            values["restarts"] = String(restarts)
            var ref = pod.ref
            ref.container = container.name
            let statusKey = container.isInit ? "initContainerStatuses" : "containerStatuses"
            var parts = ["\(container.isInit ? "init container" : "container") \(container.name)"]
            if let stateName { parts.append("state.\(stateName.rawValue).reason=\(reason ?? "-")") }
            if let lastReason { parts.append("lastState.terminated.reason=\(lastReason) exitCode=\(exitCode.map(String.init) ?? "-")") }
            parts.append("restartCount=\(restarts)")
            if let message { parts.append("message=\(message)") }
            return hit(
                ref, values, path: pod.path,
                anchors: [LineLocator.quoted(pod.name), LineLocator.quoted(statusKey), LineLocator.quoted(container.name), reason.map(LineLocator.quoted) ?? ""],
                excerpt: parts.joined(separator: " "), component: pod.component)
        }
    }

    static func duration(_ seconds: Int) -> String {
        seconds >= 3600 ? "\(seconds / 3600)h\(seconds % 3600 / 60)m" : seconds >= 60 ? "\(seconds / 60)m\(seconds % 60)s" : "\(seconds)s"
    }

    func podStatus(_ c: PodStatusCondition) -> [Hit] {
        pods(c.pods).compactMap { pod in
            let phase = pod.json[path: "status.phase"]?.string
            guard regexes.matches(c.phase, phase) else { return nil }
            let conditions = pod.json[path: "status.conditions"]?.array ?? []
            if let ready = c.ready {
                let isReady = conditions.contains { $0["type"]?.string == "Ready" && $0["status"]?.string == "True" }
                guard isReady == ready else { return nil }
            }
            var values: [String: String] = ["phase": phase ?? ""]
            var anchors = [LineLocator.quoted(pod.name)]
            var excerpt = "Pod \(pod.namespace)/\(pod.name) phase=\(phase ?? "-")"
            if let wanted = c.condition {
                let found = conditions.first { cond in
                    cond["type"]?.string == wanted.type && (wanted.status.map { $0 == cond["status"]?.string } ?? true)
                        && regexes.matches(wanted.reason, cond["reason"]?.string)
                        && (wanted.message.map { regexes.captures($0, in: cond["message"]?.string ?? "") != nil } ?? true)
                }
                guard let found else { return nil }
                if let pattern = wanted.message, let captures = regexes.captures(pattern, in: found["message"]?.string ?? "") {
                    values.merge(captures) { _, new in new }
                }
                values["reason"] = found["reason"]?.string
                values["message"] = found["message"]?.string
                anchors += [LineLocator.quoted(wanted.type)]
                excerpt += " condition \(wanted.type)=\(found["status"]?.string ?? "-") reason=\(found["reason"]?.string ?? "-") \(found["message"]?.string ?? "")"
            }
            return hit(pod.ref, values, path: pod.path, anchors: anchors, excerpt: excerpt, component: pod.component)
        }
    }

    func events(_ c: EventCondition) -> [Hit] {
        snapshot.events.compactMap { item in
            let e = item.json
            let involved = e["involvedObject"] ?? e["regarding"]
            let reason = e["reason"]?.string
            let message = e["message"]?.string ?? e["note"]?.string ?? ""
            let namespace = involved?["namespace"]?.string ?? e[path: "metadata.namespace"]?.string ?? item.namespace
            guard regexes.matches(c.reason, reason), c.type.map({ $0 == e["type"]?.string }) ?? true,
                c.involvedKind.map({ $0 == involved?["kind"]?.string }) ?? true,
                c.namespace.map({ $0 == namespace }) ?? true,
                regexes.matches(c.involvedName, involved?["name"]?.string)
            else { return nil }
            var values: [String: String] = [:]
            if let pattern = c.message {
                guard let captures = regexes.captures(pattern, in: message) else { return nil }
                values = captures
            }
            let kind = involved?["kind"]?.string ?? "Object"
            let name = involved?["name"]?.string ?? ""
            var ref = ResourceRef(kind: kind, namespace: namespace, name: name)
            if let fieldPath = involved?["fieldPath"]?.string, let open = fieldPath.firstIndex(of: "{"), fieldPath.hasSuffix("}") {
                ref.container = String(fieldPath[fieldPath.index(after: open)..<fieldPath.index(before: fieldPath.endIndex)])
            }
            values["reason"] = reason
            values["message"] = message
            values["count"] = String(e["count"]?.int ?? 1)
            values["object"] = "\(kind)/\(name)"
            let component = kind == "Pod" ? snapshot.pods.first { $0.name == name && $0.namespace == namespace }?.component : nil
            return hit(
                ref, values, path: item.path,
                anchors: [e[path: "metadata.name"]?.string.map(LineLocator.quoted) ?? LineLocator.quoted(name), reason.map(LineLocator.quoted) ?? ""],
                excerpt: "\(e["type"]?.string ?? "") \(reason ?? "") \(kind)/\(name): \(message)", component: component)
        }
    }

    // MARK: secrets

    /// Named Secrets (in `namespace`, or in every namespace whose Secret list was collected).
    func secrets(named name: String, namespace: String?) -> (found: [ClusterSnapshot.Item], listed: [String]) {
        let all = snapshot.items(.secrets)
        let listed = Set(all.compactMap(\.namespace) + snapshot.namespaces.filter {
            snapshot.bundle.exists(BundleLayout.listPath(.secrets, namespace: $0))
        })
        let found = all.filter { item in
            item.json[path: "metadata.name"]?.string == name && (namespace.map { $0 == item.namespace } ?? true)
        }
        return (found, listed.filter { ns in namespace.map { $0 == ns } ?? true }.sorted())
    }

    static func facts(_ secret: JSONValue, key: String) -> SecretValueFacts? {
        if let stored = secret["emdiagFacts"]?[key], let facts = try? JSONDecoder().decode(SecretValueFacts.self, from: stored.serialized()) {
            return facts
        }
        guard let value = secret["data"]?[key]?.string else {
            return secret["stringData"]?[key]?.string.map { SecretValueFacts(value: Data($0.utf8)) }
        }
        return SecretValueFacts(storedBase64: value)
    }

    func secret(_ c: SecretCondition) -> [Hit] {
        let (found, listed) = secrets(named: c.name, namespace: c.namespace)
        var hits: [Hit] = []
        // A missing Secret is reported only where it is needed: namespaces whose Secrets were listed and that run pods.
        let podNamespaces = Set(snapshot.pods.map(\.namespace))
        for namespace in listed where found.isEmpty && podNamespaces.contains(namespace) && c.expect == .present {
            let ref = ResourceRef(kind: "Secret", namespace: namespace, name: c.name)
            let problem = "the Secret \(namespace)/\(c.name) does not exist"
            hits.append(hit(ref, ["secret": c.name, "key": c.key, "problem": problem], path: BundleLayout.listPath(.secrets, namespace: namespace), anchors: [], excerpt: problem))
        }
        for item in found {
            let ref = ResourceRef(kind: "Secret", namespace: item.namespace, name: c.name)
            let hasKey = item.json["data"]?[c.key] != nil || item.json["stringData"]?[c.key] != nil || item.json["emdiagFacts"]?[c.key] != nil
            let problem: String?
            if !hasKey {
                problem = c.expect == .present ? "has no key `\(c.key)`" : nil
            } else {
                problem = Self.facts(item.json, key: c.key)?.problem(c.expect, length: c.length)
            }
            guard let problem else { continue }
            let excerpt = "Secret \(item.namespace ?? "")/\(c.name) key \(c.key) \(problem)"
            hits.append(hit(ref, ["secret": c.name, "key": c.key, "problem": problem], path: item.path, anchors: [LineLocator.quoted(c.name), hasKey ? LineLocator.quoted(c.key) : ""], excerpt: excerpt))
        }
        return hits
    }

    /// A URL kept in clear (a non-secret key): decoded `data`, `stringData`, or a clear value the redactor kept.
    static func clearValue(_ secret: JSONValue, key: String) -> String? {
        if let text = secret["stringData"]?[key]?.string { return text }
        guard let stored = secret["data"]?[key]?.string else { return nil }
        if stored.contains("://") { return stored }
        return SecretValueFacts.strictBase64(stored).map { String(decoding: $0, as: UTF8.self) }
    }

    func baseURL(_ c: BaseURLCondition) -> [Hit] {
        let routes = RouteHosts(snapshot: snapshot)
        guard !routes.hosts.isEmpty else { return [] }
        return secrets(named: c.secret, namespace: c.namespace).found.compactMap { item in
            guard let value = Self.clearValue(item.json, key: c.key) else { return nil }
            let url = SecretValueFacts.urlFacts(value.trimmingCharacters(in: .whitespacesAndNewlines))
            guard let scheme = url.scheme, scheme == "http" || scheme == "https", let host = url.host else { return nil }
            let problem: String
            if !routes.serves(host) {
                problem = "the host \(host) is not among the hostnames routed by HTTPRoute, Gateway or Ingress (\(routes.hosts.sorted().joined(separator: ", ")))"
            } else if scheme == "http", routes.terminatesTLS(host) {
                problem = "the scheme is http but TLS is terminated for \(host); use https"
            } else if scheme == "https", routes.knowsTLS, !routes.terminatesTLS(host) {
                problem = "the scheme is https but no listener or Ingress terminates TLS for \(host)"
            } else {
                return nil
            }
            let ref = ResourceRef(kind: "Secret", namespace: item.namespace, name: c.secret)
            let values = ["secret": c.secret, "key": c.key, "host": host, "scheme": scheme, "problem": problem, "routeHosts": routes.hosts.sorted().joined(separator: ", ")]
            return hit(ref, values, path: item.path, anchors: [LineLocator.quoted(c.secret), LineLocator.quoted(c.key)], excerpt: "\(c.key): \(scheme)://\(host): \(problem)")
        }
    }

    // MARK: helm, argo, http

    func helmRecords() -> [HelmReleaseRecord] {
        var records = HelmReleaseRecord.storedFiles(in: snapshot.bundle).flatMap(\.records)
        for item in snapshot.items(.secrets) {
            if let record = HelmReleaseRecord.decode(secret: item.json, path: item.path) { records.append(record) }
        }
        return records
    }

    func helmRelease(_ c: HelmReleaseCondition) -> [Hit] {
        let latest = Dictionary(grouping: helmRecords(), by: { "\($0.namespace)/\($0.name)" }).values.compactMap { $0.max { $0.revision < $1.revision } }
        return latest.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }.compactMap { record in
            guard regexes.matches(c.release, record.name), regexes.matches(c.status, record.status) else { return nil }
            let ref = ResourceRef(kind: "HelmRelease", namespace: record.namespace, name: record.name)
            let values = ["release": record.name, "revision": String(record.revision), "status": record.status, "description": record.description ?? ""]
            let anchor = record.path.hasPrefix(BundleLayout.helmDirectory) ? LineLocator.quoted(record.status) : LineLocator.quoted("sh.helm.release.v1.\(record.name).v\(record.revision)")
            return hit(ref, values, path: record.path, anchors: [anchor], excerpt: "revision \(record.revision) status \(record.status)\(record.description.map { ": \($0)" } ?? "")")
        }
    }

    func argo(_ c: ArgoApplicationCondition) -> [Hit] {
        snapshot.items(.argoApplications).compactMap { item in
            let app = item.json
            let name = app[path: "metadata.name"]?.string ?? ""
            let namespace = app[path: "metadata.namespace"]?.string ?? item.namespace
            let sync = app[path: "status.sync.status"]?.string
            let health = app[path: "status.health.status"]?.string
            let phase = app[path: "status.operationState.phase"]?.string
            guard c.namespace.map({ $0 == namespace }) ?? true, regexes.matches(c.name, name), regexes.matches(c.sync, sync),
                regexes.matches(c.health, health), regexes.matches(c.operationPhase, phase)
            else { return nil }
            let conditions = app[path: "status.conditions"]?.array ?? []
            var matched: JSONValue?
            if let type = c.conditionType {
                matched = conditions.first { regexes.matches(type, $0["type"]?.string) }
                guard matched != nil else { return nil }
            }
            let message = matched?["message"]?.string ?? app[path: "status.operationState.message"]?.string ?? conditions.first?["message"]?.string ?? ""
            var values: [String: String] = [:]
            if let pattern = c.message {
                guard let captures = regexes.captures(pattern, in: message) else { return nil }
                values = captures
            }
            values["application"] = name
            values["sync"] = sync ?? "-"
            values["health"] = health ?? "-"
            values["phase"] = phase ?? "-"
            values["message"] = message
            values["conditionType"] = matched?["type"]?.string ?? ""
            let ref = ResourceRef(kind: "Application", namespace: namespace, name: name)
            return hit(
                ref, values, path: item.path, anchors: [LineLocator.quoted(name), LineLocator.quoted("sync")],
                excerpt: "sync=\(sync ?? "-") health=\(health ?? "-") operation=\(phase ?? "-") \(message)")
        }
    }

    func httpCheck(_ c: HTTPCheckCondition) -> [Hit] {
        let directory = "\(BundleLayout.checksDirectory)/http"
        return snapshot.bundle.files(under: directory).compactMap { path in
            guard path.hasSuffix(".json"), let data = try? snapshot.bundle.data(path),
                var result = try? JSONDecoder().decode(HTTPCheckResult.self, from: data)
            else { return nil }
            if result.name.isEmpty { result.name = String(path.split(separator: "/").last?.dropLast(5) ?? "") }
            guard regexes.matches(c.name, result.name) else { return nil }
            if c.failed, result.ok || result.reachable == false { return nil }
            if let status = c.status, !regexes.matches(status, result.status.map(String.init)) { return nil }
            let ref = ResourceRef(kind: "HTTPCheck", namespace: nil, name: result.name)
            let statusText = result.status.map(String.init) ?? "no response"
            let values = ["check": result.name, "url": result.url, "status": statusText, "error": result.error ?? ""]
            return hit(ref, values, path: path, anchors: [result.error.map { _ in "\"error\"" } ?? "\"status\""], excerpt: "GET \(result.url) -> \(statusText)\(result.error.map { " (\($0))" } ?? "")")
        }
    }
}

/// Hostnames served by HTTPRoutes, Gateway listeners and Ingresses, and which of them terminate TLS.
struct RouteHosts {
    var hosts: Set<String> = []
    var tlsHosts: Set<String> = []
    /// Some object says where TLS is terminated (so "https without TLS" can be judged).
    var knowsTLS = false

    init(snapshot: ClusterSnapshot) {
        for item in snapshot.items(.httpRoutes) {
            for host in item.json[path: "spec.hostnames"]?.array ?? [] { if let h = host.string { hosts.insert(h.lowercased()) } }
        }
        for item in snapshot.items(.gateways) {
            for listener in item.json[path: "spec.listeners"]?.array ?? [] {
                let host = listener["hostname"]?.string?.lowercased() ?? "*"
                let proto = listener["protocol"]?.string?.uppercased() ?? ""
                if host != "*" { hosts.insert(host) }
                knowsTLS = true
                if proto == "HTTPS" || proto == "TLS" { tlsHosts.insert(host) }
            }
        }
        for item in snapshot.items(.ingresses) {
            for rule in item.json[path: "spec.rules"]?.array ?? [] { if let h = rule["host"]?.string { hosts.insert(h.lowercased()) } }
            knowsTLS = true
            for tls in item.json[path: "spec.tls"]?.array ?? [] {
                for h in tls["hosts"]?.array ?? [] { if let h = h.string { tlsHosts.insert(h.lowercased()) } }
            }
        }
    }

    static func matches(_ pattern: String, _ host: String) -> Bool {
        if pattern == "*" || pattern == host { return true }
        guard pattern.hasPrefix("*.") else { return false }
        let suffix = pattern.dropFirst(1)
        return host.hasSuffix(suffix) && !host.dropLast(suffix.count).contains(".")
    }

    func serves(_ host: String) -> Bool { hosts.contains { Self.matches($0, host) } }
    func terminatesTLS(_ host: String) -> Bool { tlsHosts.contains { Self.matches($0, host) } }
}
