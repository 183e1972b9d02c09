import Foundation

/// The READY, STATUS and RESTARTS cells of `kubectl get pods`, computed the way the API server's printer does
/// (a port of `printPod` in kubernetes/pkg/printers/internalversion/printers.go, v1.32).
package struct PodPrinter: Sendable {
    package var ready: String
    package var status: String
    package var restarts: String

    /// Computes the cells of one pod.
    /// - Parameters:
    ///   - pod: the Pod object as stored in the bundle.
    ///   - now: the clock used for "(5m ago)".
    package init(pod: JSONValue, now: Date) {
        let spec = pod["spec"] ?? .null
        let status = pod["status"] ?? .null
        let initSpecs = spec["initContainers"]?.array ?? []
        let restartableInit = Set(initSpecs.filter { $0["restartPolicy"]?.string == "Always" }.compactMap { $0["name"]?.string })
        let totalContainers = (spec["containers"]?.array.count ?? 0) + restartableInit.count
        var readyContainers = 0
        var restarts = 0
        var restartableRestarts = 0
        var lastRestart: Date?
        var lastRestartableRestart: Date?

        let phase = status["phase"]?.string ?? ""
        var reason = status["reason"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? phase
        let conditions = status["conditions"]?.array ?? []
        if conditions.contains(where: { $0["type"]?.string == "PodScheduled" && $0["reason"]?.string == "SchedulingGated" }) {
            reason = "SchedulingGated"
        }

        var initializing = false
        for (index, container) in (status["initContainerStatuses"]?.array ?? []).enumerated() {
            let count = container["restartCount"]?.int ?? 0
            let finished = Self.lastTerminationFinish(container)
            restarts += count
            lastRestart = Self.later(lastRestart, finished)
            let name = container["name"]?.string ?? ""
            let isRestartable = restartableInit.contains(name)
            if isRestartable {
                restartableRestarts += count
                lastRestartableRestart = Self.later(lastRestartableRestart, finished)
            }
            let state = container["state"] ?? .null
            let terminated = state["terminated"]
            let waitingReason = state["waiting"]?["reason"]?.string ?? ""
            if let terminated, (terminated["exitCode"]?.int ?? 0) == 0 {
                continue
            }
            if isRestartable, container["started"]?.bool == true {
                if container["ready"]?.bool == true { readyContainers += 1 }
                continue
            }
            if let terminated {
                let terminatedReason = terminated["reason"]?.string ?? ""
                if !terminatedReason.isEmpty {
                    reason = "Init:" + terminatedReason
                } else if let signal = terminated["signal"]?.int, signal != 0 {
                    reason = "Init:Signal:\(signal)"
                } else {
                    reason = "Init:ExitCode:\(terminated["exitCode"]?.int ?? 0)"
                }
            } else if !waitingReason.isEmpty, waitingReason != "PodInitializing" {
                reason = "Init:" + waitingReason
            } else {
                reason = "Init:\(index)/\(initSpecs.count)"
            }
            initializing = true
            break
        }

        let initialized = conditions.contains { $0["type"]?.string == "Initialized" && $0["status"]?.string == "True" }
        if !initializing || initialized {
            restarts = restartableRestarts
            lastRestart = lastRestartableRestart
            var hasRunning = false
            for container in (status["containerStatuses"]?.array ?? []).reversed() {
                restarts += container["restartCount"]?.int ?? 0
                lastRestart = Self.later(lastRestart, Self.lastTerminationFinish(container))
                let state = container["state"] ?? .null
                let waitingReason = state["waiting"]?["reason"]?.string ?? ""
                if !waitingReason.isEmpty {
                    reason = waitingReason
                } else if let terminated = state["terminated"] {
                    let terminatedReason = terminated["reason"]?.string ?? ""
                    if !terminatedReason.isEmpty {
                        reason = terminatedReason
                    } else if let signal = terminated["signal"]?.int, signal != 0 {
                        reason = "Signal:\(signal)"
                    } else {
                        reason = "ExitCode:\(terminated["exitCode"]?.int ?? 0)"
                    }
                } else if container["ready"]?.bool == true, state["running"] != nil {
                    hasRunning = true
                    readyContainers += 1
                }
            }
            if reason == "Completed", hasRunning {
                let podReady = conditions.contains { $0["type"]?.string == "Ready" && $0["status"]?.string == "True" }
                reason = podReady ? "Running" : "NotReady"
            }
        }

        let deleting = pod["metadata"]?["deletionTimestamp"]?.string != nil
        if deleting, status["reason"]?.string == "NodeLost" {
            reason = "Unknown"
        } else if deleting, phase != "Succeeded", phase != "Failed" {
            reason = "Terminating"
        }

        if let lastRestart, restarts != 0 {
            self.restarts = "\(restarts) (\(HumanDuration.format(now.timeIntervalSince(lastRestart))) ago)"
        } else {
            self.restarts = "\(restarts)"
        }
        self.ready = "\(readyContainers)/\(totalContainers)"
        self.status = reason
    }

    private static func lastTerminationFinish(_ container: JSONValue) -> Date? {
        container["lastState"]?["terminated"]?["finishedAt"]?.string.flatMap(HumanDuration.parseTimestamp)
    }

    private static func later(_ a: Date?, _ b: Date?) -> Date? {
        guard let b else { return a }
        guard let a else { return b }
        return max(a, b)
    }
}
