import Foundation

/// The READY, STATUS and RESTARTS columns of `kubectl get pods`, computed from a Pod object exactly the way
/// kubectl's server-side printer does (a port of `printPod` in kubernetes
/// `pkg/printers/internalversion/printers.go`, v1.32): `Init:0/3`, `Init:CrashLoopBackOff`, `CrashLoopBackOff`,
/// `CreateContainerConfigError`, `Completed`, `NotReady`, `Terminating`, ...
package enum PodStatus {
    /// The printed columns of one pod.
    /// - Parameter pod: a Pod object as the API returns it (`items[i]` of a PodList).
    /// - Returns: `ready` as "1/3", the `status` string, the total restart count shown, and the time of the
    ///   latest restart (the newest `lastState.terminated.finishedAt` among the counted containers).
    package static func display(pod: JSONValue) -> (ready: String, status: String, restarts: Int, lastRestart: Date?) {
        let spec = pod["spec"] ?? .null
        let status = pod["status"] ?? .null
        let phase = status["phase"]?.string ?? ""
        var reason = status["reason"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? phase
        let conditions = status["conditions"]?.array ?? []
        if conditions.contains(where: {
            $0["type"]?.string == "PodScheduled" && $0["reason"]?.string == "SchedulingGated"
        }) {
            reason = "SchedulingGated"
        }

        let initSpecs = spec["initContainers"]?.array ?? []
        let restartableInit = Set(
            initSpecs.filter { $0["restartPolicy"]?.string == "Always" }.compactMap { $0["name"]?.string }
        )
        let totalContainers = (spec["containers"]?.array.count ?? 0) + restartableInit.count
        var readyContainers = 0
        var restarts = 0
        var lastRestart: Date?
        var sidecarRestarts = 0
        var sidecarLastRestart: Date?

        var initializing = false
        for (index, container) in (status["initContainerStatuses"]?.array ?? []).enumerated() {
            let name = container["name"]?.string ?? ""
            let isSidecar = restartableInit.contains(name)
            let count = container["restartCount"]?.int ?? 0
            let finished = KubeTime.parse(container[path: "lastState.terminated.finishedAt"]?.string)
            restarts += count
            lastRestart = latest(lastRestart, finished)
            if isSidecar {
                sidecarRestarts += count
                sidecarLastRestart = latest(sidecarLastRestart, finished)
            }
            let terminated = container[path: "state.terminated"]
            let waitingReason = container[path: "state.waiting.reason"]?.string ?? ""
            if let terminated, (terminated["exitCode"]?.int ?? 0) == 0 {
                continue
            }
            if isSidecar, container["started"]?.bool == true {
                if container["ready"]?.bool == true { readyContainers += 1 }
                continue
            }
            if let terminated {
                if let why = terminated["reason"]?.string, !why.isEmpty {
                    reason = "Init:" + why
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
            restarts = sidecarRestarts
            lastRestart = sidecarLastRestart
            var hasRunning = false
            for container in (status["containerStatuses"]?.array ?? []).reversed() {
                restarts += container["restartCount"]?.int ?? 0
                lastRestart = latest(
                    lastRestart,
                    KubeTime.parse(container[path: "lastState.terminated.finishedAt"]?.string)
                )
                let waitingReason = container[path: "state.waiting.reason"]?.string ?? ""
                let terminated = container[path: "state.terminated"]
                if !waitingReason.isEmpty {
                    reason = waitingReason
                } else if let terminated {
                    if let why = terminated["reason"]?.string, !why.isEmpty {
                        reason = why
                    } else if let signal = terminated["signal"]?.int, signal != 0 {
                        reason = "Signal:\(signal)"
                    } else {
                        reason = "ExitCode:\(terminated["exitCode"]?.int ?? 0)"
                    }
                } else if container["ready"]?.bool == true, container[path: "state.running"] != nil {
                    hasRunning = true
                    readyContainers += 1
                }
            }
            if reason == "Completed", hasRunning {
                let podReady = conditions.contains { $0["type"]?.string == "Ready" && $0["status"]?.string == "True" }
                reason = podReady ? "Running" : "NotReady"
            }
        }

        let deleting = pod[path: "metadata.deletionTimestamp"]?.string != nil
        if deleting, status["reason"]?.string == "NodeLost" {
            reason = "Unknown"
        } else if deleting, phase != "Succeeded", phase != "Failed" {
            reason = "Terminating"
        }
        return ("\(readyContainers)/\(totalContainers)", reason, restarts, lastRestart)
    }

    private static func latest(_ a: Date?, _ b: Date?) -> Date? {
        guard let b else { return a }
        guard let a else { return b }
        return max(a, b)
    }
}

extension PodStatus {
    /// kubectl's RESTARTS cell: "5 (2m ago)", or "0".
    package static func restartsColumn(restarts: Int, lastRestart: Date?, now: Date) -> String {
        guard restarts != 0, let lastRestart else { return "\(restarts)" }
        return "\(restarts) (\(KubeTime.humanDuration(now.timeIntervalSince(lastRestart))) ago)"
    }
}
