import Foundation

/// Builds the server-side `Table` (meta.k8s.io) that `kubectl get` asks for, so its output looks like a
/// real cluster's: pods (NAME READY STATUS RESTARTS AGE), events (LAST SEEN TYPE REASON OBJECT MESSAGE), the
/// workloads, services, storage, nodes, Argo CD and Gateway API kinds of `TableBuilder+Printers.swift`, and
/// NAME/AGE for any other kind.
package struct TableBuilder: Sendable {
    /// What `rows[].object` holds (the `includeObject` query parameter).
    package enum IncludeObject: String, Sendable {
        case none = "None", metadata = "Metadata", object = "Object"
    }

    package var now: Date
    package var include: IncludeObject
    /// "meta.k8s.io/v1" or "meta.k8s.io/v1beta1", as the Accept header asked.
    package var apiVersion: String

    package init(now: Date, include: IncludeObject = .metadata, apiVersion: String = "meta.k8s.io/v1") {
        self.now = now
        self.include = include
        self.apiVersion = apiVersion
    }

    /// The Table of `objects` of `type`, with list metadata (`resourceVersion`, `continue`) passed through.
    package func table(type: ResourceType, objects: [JSONValue], listMetadata: [String: JSONValue]) -> JSONValue {
        let columns: [Column]
        let cells: (JSONValue) -> [JSONValue]
        switch type.resource {
        case "pods":
            columns = Self.podColumns
            cells = podCells
        case "events":
            columns = Self.eventColumns
            cells = eventCells
        default:
            if let printer = Self.printer(for: type) {
                columns = printer.columns
                cells = { [now] in printer.cells($0, now).map { .string($0) } }
            } else {
                columns = Self.genericColumns
                cells = { [now] in [.string(Self.name($0)), .string(Self.age($0, now))] }
            }
        }
        let rows: [JSONValue] = objects.map { object in
            var row: [String: JSONValue] = ["cells": .array(cells(object))]
            if let embedded = embeddedObject(object) { row["object"] = embedded }
            return .object(row)
        }
        return .object([
            "kind": .string("Table"), "apiVersion": .string(apiVersion), "metadata": .object(listMetadata),
            "columnDefinitions": .array(columns.map(\.json)), "rows": .array(rows),
        ])
    }

    private func embeddedObject(_ object: JSONValue) -> JSONValue? {
        switch include {
        case .none: nil
        case .object: object
        case .metadata:
            .object([
                "kind": .string("PartialObjectMetadata"), "apiVersion": .string(apiVersion),
                "metadata": object["metadata"] ?? .object([:]),
            ])
        }
    }

    private func podCells(_ pod: JSONValue) -> [JSONValue] {
        let printed = PodStatus.display(pod: pod)
        let gates = pod[path: "spec.readinessGates"]?.array ?? []
        let conditions = pod[path: "status.conditions"]?.array ?? []
        let trueGates = gates.filter { gate in
            conditions.first { $0["type"] == gate["conditionType"] }?["status"]?.string == "True"
        }.count
        let cells: [String] = [
            Self.name(pod), printed.ready, printed.status,
            PodStatus.restartsColumn(restarts: printed.restarts, lastRestart: printed.lastRestart, now: now),
            KubeTime.age(of: pod[path: "metadata.creationTimestamp"]?.string, now: now),
            pod[path: "status.podIPs"]?[0]?["ip"]?.string ?? pod[path: "status.podIP"]?.string ?? "<none>",
            pod[path: "spec.nodeName"]?.string ?? "<none>",
            pod[path: "status.nominatedNodeName"]?.string ?? "<none>",
            gates.isEmpty ? "<none>" : "\(trueGates)/\(gates.count)",
        ]
        return cells.map { .string($0.isEmpty ? "<none>" : $0) }
    }

    private func eventCells(_ event: JSONValue) -> [JSONValue] {
        let first = event["firstTimestamp"]?.string ?? event["eventTime"]?.string
        let firstSeen = KubeTime.age(of: first, now: now)
        var lastSeen = event["lastTimestamp"]?.string.map { KubeTime.age(of: $0, now: now) } ?? firstSeen
        var count = event["count"]?.int ?? 0
        if let series = event["series"], series != .null {
            lastSeen = KubeTime.age(of: series["lastObservedTime"]?.string, now: now)
            count = series["count"]?.int ?? count
        } else if count == 0 {
            count = 1
        }
        let involved = event["involvedObject"] ?? .null
        let kind = (involved["kind"]?.string ?? "").lowercased()
        let target = (involved["name"]?.string).map { $0.isEmpty ? kind : "\(kind)/\($0)" } ?? kind
        let source = [event[path: "source.component"]?.string, event[path: "source.host"]?.string]
            .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
        return [
            .string(lastSeen), .string(event["type"]?.string ?? ""), .string(event["reason"]?.string ?? ""),
            .string(target), .string(involved["fieldPath"]?.string ?? ""), .string(source),
            .string((event["message"]?.string ?? "").trimmingCharacters(in: .whitespacesAndNewlines)),
            .string(firstSeen), .number(Double(count)), .string(Self.name(event)),
        ]
    }

    static func name(_ object: JSONValue) -> String {
        object[path: "metadata.name"]?.string ?? ""
    }

    struct Column: Sendable {
        var name: String
        var type = "string"
        var format = ""
        var priority = 0
        var description = ""

        var json: JSONValue {
            .object([
                "name": .string(name), "type": .string(type), "format": .string(format),
                "priority": .number(Double(priority)), "description": .string(description),
            ])
        }
    }

    static let nameColumn = Column(name: "Name", format: "name", description: "Name must be unique within a namespace.")
    static let ageColumn = Column(name: "Age", description: "CreationTimestamp of the object.")

    private static let podColumns: [Column] = [
        nameColumn,
        Column(name: "Ready", description: "The aggregate readiness state of this pod for accepting traffic."),
        Column(name: "Status", description: "The aggregate status of the containers in this pod."),
        Column(name: "Restarts", description: "The number of times the containers in this pod have been restarted."),
        ageColumn,
        Column(name: "IP", priority: 1), Column(name: "Node", priority: 1),
        Column(name: "Nominated Node", priority: 1), Column(name: "Readiness Gates", priority: 1),
    ]

    private static let eventColumns: [Column] = [
        Column(name: "Last Seen"), Column(name: "Type"), Column(name: "Reason"), Column(name: "Object"),
        Column(name: "Subobject", priority: 1), Column(name: "Source", priority: 1), Column(name: "Message"),
        Column(name: "First Seen", priority: 1), Column(name: "Count", type: "integer", priority: 1),
        Column(name: "Name", format: "name", priority: 1),
    ]

    private static let genericColumns: [Column] = [nameColumn, ageColumn]
}
