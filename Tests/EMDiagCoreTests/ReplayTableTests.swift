import EMDiagCore
import EMDiagTestSupport
import Foundation
import Testing

@Suite struct ReplayTableTests {
    let router: APIRouter
    init() throws { router = try ReplayHarness.router() }

    /// Row cells by pod name, from the Table kubectl asks for.
    private func podRows() throws -> [String: [String]] {
        let (status, table) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods?limit=500", accept: ReplayHarness.tableAccept)
        #expect(status == 200)
        #expect(table["kind"]?.string == "Table")
        #expect(table["apiVersion"]?.string == "meta.k8s.io/v1")
        var rows: [String: [String]] = [:]
        for row in table["rows"]?.array ?? [] {
            let cells = row["cells"]?.array.compactMap(\.string) ?? []
            if let name = cells.first { rows[name] = cells }
        }
        return rows
    }

    @Test func podColumnsAreThoseOfKubectl() throws {
        let (_, table) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods", accept: ReplayHarness.tableAccept)
        let columns = table["columnDefinitions"]?.array ?? []
        let visible = columns.filter { $0["priority"]?.int == 0 }.compactMap { $0["name"]?.string }
        #expect(visible == ["Name", "Ready", "Status", "Restarts", "Age"])
        #expect(columns.first?["format"]?.string == "name")
        let wide = columns.filter { $0["priority"]?.int == 1 }.compactMap { $0["name"]?.string }
        #expect(wide.contains("Node"))
    }

    @Test(arguments: [
        (ReplayTestBundle.crashLoopPod, "0/1", "CrashLoopBackOff", "5 (5m ago)"),
        (ReplayTestBundle.initPod, "0/1", "Init:0/3", "0"),
        (ReplayTestBundle.databasePod, "1/1", "Running", "0"),
        (ReplayTestBundle.initCrashPod, "0/1", "Init:CrashLoopBackOff", "3 (90s ago)"),
        (ReplayTestBundle.completedPod, "0/1", "Completed", "0"),
        (ReplayTestBundle.configErrorPod, "0/1", "CreateContainerConfigError", "0"),
        (ReplayTestBundle.terminatingPod, "2/2", "Terminating", "0"),
        (ReplayTestBundle.pendingPod, "0/1", "Pending", "0"),
    ])
    func podStatusCellsMatchThePrinter(pod: String, ready: String, status: String, restarts: String) throws {
        let row = try podRows()[pod]
        #expect(row?[1] == ready)
        #expect(row?[2] == status)
        #expect(row?[3] == restarts)
        #expect(row?[4] == "60m")
    }

    @Test func rowsCarryPartialObjectMetadataUnlessAskedOtherwise() throws {
        let (_, table) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods/\(ReplayTestBundle.databasePod)", accept: ReplayHarness.tableAccept)
        let object = table["rows"]?[0]?["object"]
        #expect(object?["kind"]?.string == "PartialObjectMetadata")
        #expect(object?[path: "metadata.labels"]?["app.kubernetes.io/component"]?.string == "database")
        #expect(object?["spec"] == nil)
        let (_, none) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods?includeObject=None", accept: ReplayHarness.tableAccept)
        #expect(none["rows"]?[0]?["object"] == nil)
        let (_, full) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods?includeObject=Object", accept: ReplayHarness.tableAccept)
        #expect(full["rows"]?[0]?["object"]?["spec"] != nil)
    }

    @Test func eventsTableShowsLastSeenTypeReasonObjectMessage() throws {
        let (_, table) = try ReplayHarness.get(router, "/api/v1/namespaces/em/events", accept: ReplayHarness.tableAccept)
        let columns = table["columnDefinitions"]?.array ?? []
        #expect(columns.filter { $0["priority"]?.int == 0 }.compactMap { $0["name"]?.string } == ["Last Seen", "Type", "Reason", "Object", "Message"])
        let cells = table["rows"]?.array.map { $0["cells"]?.array ?? [] } ?? []
        #expect(cells.count == 2)
        let backOff = cells.first { $0[2].string == "BackOff" } ?? []
        #expect(backOff.map { $0.string ?? "\($0.int ?? -1)" } == [
            "30s", "Warning", "BackOff", "pod/\(ReplayTestBundle.crashLoopPod)", "spec.containers{governance}", "kubelet, node-1",
            "Back-off restarting failed container governance", "50m", "12", "\(ReplayTestBundle.crashLoopPod).1",
        ])
        let pulled = cells.first { $0[2].string == "Pulled" } ?? []
        #expect(pulled.first?.string == "58m")  // no lastTimestamp: first seen
        #expect(pulled[6].string == "Container image already present on machine")
        #expect(pulled[8].int == 1)  // no count: a singleton
    }

    @Test func otherKindsGetNameAndAge() throws {
        let (_, table) = try ReplayHarness.get(router, "/apis/argoproj.io/v1alpha1/applications", accept: ReplayHarness.tableAccept)
        #expect(table["columnDefinitions"]?.array.compactMap { $0["name"]?.string } == ["Name", "Age"])
        #expect(table["rows"]?[0]?["cells"] == .array([.string("em-runtime"), .string("24h")]))
    }

    @Test func plainJSONWhenTableIsNotAsked() throws {
        let (_, list) = try ReplayHarness.get(router, "/api/v1/namespaces/em/pods", accept: "application/json, */*")
        #expect(list["kind"]?.string == "PodList")
    }

    static let durations: [(Double, String)] = [
        (0, "0s"), (-1.5, "0s"), (-5, "<invalid>"), (119, "119s"), (120, "2m"), (150, "2m30s"), (600, "10m"),
        (10_800, "3h"), (10_860, "3h1m"), (36_000, "10h"), (180_000, "2d2h"), (172_800, "2d"),
        (864_000, "10d"), (69_120_000, "2y70d"), (315_360_000, "10y"),
    ]

    @Test(arguments: durations)
    func humanDurationMatchesApimachinery(seconds: Double, expected: String) {
        #expect(KubeTime.humanDuration(seconds) == expected)
    }
}
