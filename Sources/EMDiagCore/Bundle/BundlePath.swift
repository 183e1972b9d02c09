/// Rules for paths inside a bundle, shared by the staging writer and the archive reader:
/// relative, no `..`, no empty or `.` components in the middle, no NUL bytes.
package enum BundlePath {
    /// Why a path is not a safe bundle path.
    package struct Unsafe: Error, Sendable, Equatable {
        package var reason: String
    }

    /// The path's components. A leading `./` and a trailing `/` are tolerated (tar writes both).
    /// - Throws: `Unsafe` with the reason when the path is absolute, climbs with `..`, is empty or holds a NUL byte.
    package static func components(_ path: String) throws(Unsafe) -> [String] {
        if path.hasPrefix("/") { throw Unsafe(reason: "it is an absolute path") }
        if path.contains("\0") { throw Unsafe(reason: "it contains a NUL byte") }
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        while parts.first == "." { parts.removeFirst() }
        if parts.last == "" { parts.removeLast() }
        if parts.isEmpty { throw Unsafe(reason: "its name is empty (a damaged tar header)") }
        if parts.contains("..") { throw Unsafe(reason: "it contains \"..\"") }
        if parts.contains(where: { $0.isEmpty || $0 == "." }) { throw Unsafe(reason: "it has an empty or \".\" component") }
        return parts
    }

    /// The canonical form: components joined by `/`.
    package static func normalized(_ path: String) throws(Unsafe) -> String {
        try components(path).joined(separator: "/")
    }
}
