import Foundation
import Testing

@testable import EMDiagCore

/// A bundle folder a test writes file by file (removed when the value is released).
final class AnalyzeTestBundle {
    let root: URL
    var bundle: BundleDirectory { BundleDirectory(root: root) }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("emdiag-analyze-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func write(_ path: String, _ text: String) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// Writes a List file (`{"kind": "List", "items": [...]}`) pretty-printed, so objects have line numbers.
    func list(_ type: ResourceType, namespace: String?, _ items: [JSONValue]) throws {
        let list: JSONValue = .object(["kind": .string("\(type.kind)List"), "apiVersion": .string(type.groupVersion), "items": .array(items)])
        try write(BundleLayout.listPath(type, namespace: namespace), String(decoding: list.serialized(pretty: true), as: UTF8.self))
    }

    /// Parses a JSON literal written in a test.
    static func json(_ text: String) -> JSONValue {
        (try? JSONValue.parse(Data(text.utf8))) ?? .null
    }
}

/// Peak resident memory of this process in KiB (`ru_maxrss`).
func peakResidentKiB() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return usage.ru_maxrss
}
