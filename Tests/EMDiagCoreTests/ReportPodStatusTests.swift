import Foundation
import Testing

@testable import EMDiagCore

/// kubectl's READY/STATUS/RESTARTS columns, case by case (the cases of kubernetes printers_test.go TestPrintPod*).
struct ReportPodStatusTests {
    typealias F = ReportFixtures

    @Test func initContainerNotDoneShowsInitIndex() {
        let pod = F.pods[0]
        let shown = PodStatus.display(pod: pod)
        #expect(shown.status == "Init:0/3")
        #expect(shown.ready == "0/1")
        #expect(shown.restarts == 0)
    }

    @Test func secondInitContainerRunningShowsInit1() {
        let pod = F.pod(
            "p",
            initContainers: ["a", "b"].map(F.container),
            initStatuses: [
                F.status(
                    "a",
                    state: ["terminated": .object(["exitCode": .number(0), "reason": .string("Completed")])]
                ),
                F.status("b", state: F.running("2024-05-01T09:00:00Z")),
            ],
            containers: [F.container("app")],
            statuses: [F.status("app", state: F.waiting("PodInitializing"))]
        )
        #expect(PodStatus.display(pod: pod).status == "Init:1/2")
    }

    @Test func failingInitContainerShowsItsReason() {
        let crashing = F.pod(
            "p",
            initContainers: [F.container("migrate")],
            initStatuses: [F.status("migrate", restarts: 4, state: F.waiting("CrashLoopBackOff"))],
            containers: [F.container("app")],
            statuses: []
        )
        let shown = PodStatus.display(pod: crashing)
        #expect(shown.status == "Init:CrashLoopBackOff")
        #expect(shown.restarts == 4)

        let failed = F.pod(
            "p",
            initContainers: [F.container("migrate")],
            initStatuses: [F.status("migrate", state: ["terminated": .object(["exitCode": .number(3)])])],
            containers: [F.container("app")],
            statuses: []
        )
        #expect(PodStatus.display(pod: failed).status == "Init:ExitCode:3")

        let signalled = F.pod(
            "p",
            initContainers: [F.container("migrate")],
            initStatuses: [
                F.status("migrate", state: ["terminated": .object(["exitCode": .number(137), "signal": .number(9)])])
            ],
            containers: [F.container("app")],
            statuses: []
        )
        #expect(PodStatus.display(pod: signalled).status == "Init:Signal:9")
    }

    @Test func waitingReasonsOfAppContainers() {
        let shown = PodStatus.display(pod: F.pods[1])
        #expect(shown.status == "CrashLoopBackOff")
        #expect(shown.ready == "0/1")
        #expect(shown.restarts == 5)
        #expect(shown.lastRestart == KubeTime.parse("2024-05-01T09:55:04Z"))
        #expect(PodStatus.display(pod: F.pods[3]).status == "CreateContainerConfigError")
    }

    @Test func runningReadyPod() {
        let shown = PodStatus.display(pod: F.pods[4])
        #expect(shown == ("1/1", "Running", 0, nil))
    }

    @Test func terminatedWithoutReasonShowsExitCode() {
        let pod = F.pod(
            "p",
            phase: "Failed",
            containers: [F.container("a")],
            statuses: [F.status("a", state: ["terminated": .object(["exitCode": .number(2)])])]
        )
        #expect(PodStatus.display(pod: pod).status == "ExitCode:2")
    }

    @Test func completedWithARunningContainerIsRunningOrNotReady() {
        let statuses = [
            F.status("done", state: ["terminated": .object(["exitCode": .number(0), "reason": .string("Completed")])]),
            F.status("server", ready: true, state: F.running("2024-05-01T09:00:00Z")),
        ]
        let notReady = F.pod("p", containers: ["done", "server"].map(F.container), statuses: statuses)
        #expect(PodStatus.display(pod: notReady).status == "NotReady")
        let ready = F.pod(
            "p",
            containers: ["done", "server"].map(F.container),
            statuses: statuses,
            conditions: [.object(["type": .string("Ready"), "status": .string("True")])]
        )
        #expect(PodStatus.display(pod: ready).status == "Running")
        #expect(PodStatus.display(pod: ready).ready == "1/2")
    }

    @Test func sidecarInitContainersCountAsContainers() {
        let sidecar: JSONValue = .object(["name": .string("proxy"), "restartPolicy": .string("Always")])
        let pod = F.pod(
            "p",
            initContainers: [sidecar],
            initStatuses: [
                F.status("proxy", ready: true, restarts: 1, state: F.running("2024-05-01T09:00:00Z"), started: true)
            ],
            containers: [F.container("app")],
            statuses: [F.status("app", ready: true, state: F.running("2024-05-01T09:00:00Z"))],
            conditions: [.object(["type": .string("Initialized"), "status": .string("True")])]
        )
        let shown = PodStatus.display(pod: pod)
        #expect(shown.ready == "2/2")
        #expect(shown.status == "Running")
        #expect(shown.restarts == 1)
    }

    @Test func deletionAndGates() {
        guard case .object(var pod) = F.pods[4], case .object(var metadata) = pod["metadata"] ?? .null else {
            Issue.record("fixture pod is not an object")
            return
        }
        metadata["deletionTimestamp"] = .string("2024-05-01T09:59:00Z")
        pod["metadata"] = .object(metadata)
        #expect(PodStatus.display(pod: .object(pod)).status == "Terminating")

        let gated = F.pod(
            "p",
            phase: "Pending",
            containers: [F.container("a")],
            statuses: [],
            conditions: [.object(["type": .string("PodScheduled"), "reason": .string("SchedulingGated")])]
        )
        #expect(PodStatus.display(pod: gated).status == "SchedulingGated")
    }

    @Test(
        arguments: [
            (0, "0s"), (119, "119s"), (125, "2m5s"), (600, "10m"), (3 * 3600 + 60, "3h1m"), (30 * 3600, "30h"),
            (3 * 86400 + 7200, "3d2h"), (40 * 86400, "40d"), (-5, "<invalid>"),
        ] as [(Double, String)]
    )
    func humanDuration(seconds: Double, expected: String) {
        #expect(KubeTime.humanDuration(seconds) == expected)
    }

    @Test func restartsColumnShowsAge() {
        let last = F.clock.addingTimeInterval(-300)
        #expect(PodStatus.restartsColumn(restarts: 5, lastRestart: last, now: F.clock) == "5 (5m ago)")
        #expect(PodStatus.restartsColumn(restarts: 0, lastRestart: nil, now: F.clock) == "0")
    }

    @Test func kubeTimeParsesFractionalSeconds() {
        #expect(KubeTime.parse("2024-05-01T10:00:00.123456Z") != nil)
        #expect(KubeTime.parse("2024-05-01T10:00:00Z") == F.clock)
        #expect(KubeTime.parse("yesterday") == nil)
    }
}
