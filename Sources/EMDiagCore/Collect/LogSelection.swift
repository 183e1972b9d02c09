import Foundation

/// Decides which container logs to fetch: what the playbooks ask for, plus, failure-first and whatever the
/// playbooks say, the previous and current log of every container that restarted or terminated and the log of
/// every init container that is not done. Only logs that exist are asked for (a container that never started
/// has none).
enum LogSelection {
    static func jobs(plan: GatherPlan, pods: [String: [JSONValue]], target: String) -> [Collector.LogJob] {
        var jobs: Set<Collector.LogJob> = []
        for (namespace, items) in pods {
            for pod in items {
                guard let name = pod[path: "metadata.name"]?.string else { continue }
                let labels = (pod[path: "metadata.labels"]?.object ?? [:]).compactMapValues(\.string)
                for container in containers(of: pod) {
                    let wanted = plan.logs.filter { step in
                        (step.namespace ?? target) == namespace
                            && (step.labelSelector.map { (try? LabelSelector(parsing: $0))?.matches(labels) ?? false } ?? true)
                            && (!container.isInit || step.initContainers)
                            && matches(step.containers, container.name)
                    }
                    let current = wanted.contains { $0.current } || container.failing
                    let previous = wanted.contains { $0.previous } || container.failing
                    if current && container.hasCurrentLog {
                        jobs.insert(.init(namespace: namespace, pod: name, container: container.name, previous: false))
                    }
                    if previous && container.hasPreviousLog {
                        jobs.insert(.init(namespace: namespace, pod: name, container: container.name, previous: true))
                    }
                }
            }
        }
        return jobs.sorted { ($0.namespace, $0.pod, $0.container, $0.previous ? 1 : 0) < ($1.namespace, $1.pod, $1.container, $1.previous ? 1 : 0) }
    }

    struct Container {
        var name: String
        var isInit: Bool
        /// Restarted, terminated with an error, or an init container not done yet.
        var failing: Bool
        var hasCurrentLog: Bool
        var hasPreviousLog: Bool
    }

    /// The containers of a pod with what their status says about their logs.
    static func containers(of pod: JSONValue) -> [Container] {
        var out: [Container] = []
        for (specKey, statusKey, isInit) in [("initContainers", "initContainerStatuses", true), ("containers", "containerStatuses", false)] {
            let statuses = Dictionary(
                (pod[path: "status.\(statusKey)"]?.array ?? []).compactMap { s in s["name"]?.string.map { ($0, s) } },
                uniquingKeysWith: { a, _ in a })
            for spec in pod[path: "spec.\(specKey)"]?.array ?? [] {
                guard let name = spec["name"]?.string else { continue }
                let status = statuses[name]
                let restarts = status?["restartCount"]?.int ?? 0
                let state = status?["state"]
                let lastTerminated = status?[path: "lastState.terminated"] != nil
                let running = state?["running"] != nil
                let terminated = state?["terminated"]
                let exitCode = terminated?["exitCode"]?.int ?? 0
                let started = running || terminated != nil
                let initNotDone = isInit && !(terminated != nil && exitCode == 0)
                let failing = restarts > 0 || lastTerminated || (terminated != nil && exitCode != 0) || (initNotDone && status != nil)
                out.append(Container(
                    name: name, isInit: isInit, failing: failing,
                    hasCurrentLog: started || lastTerminated, hasPreviousLog: restarts > 0 || lastTerminated))
            }
        }
        return out
    }

    private static func matches(_ pattern: String?, _ name: String) -> Bool {
        guard let pattern else { return true }
        guard let portable = try? PortableRegex(pattern), let regex = try? PosixRegex(ere: "^(\(portable.ere))$") else {
            return false
        }
        return regex.match(name) != nil
    }
}
