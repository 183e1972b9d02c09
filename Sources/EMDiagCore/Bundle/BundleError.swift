/// Problems reading or writing a bundle. Each description names the bundle path and what to do.
package enum BundleError: Error, CustomStringConvertible, Sendable, Equatable {
    case notABundle(path: String, reason: String)
    case unsafeMember(archive: String, member: String, reason: String)
    case tooLarge(archive: String, member: String?, limit: Int64)
    case corrupt(archive: String, message: String)
    case io(path: String, message: String)
    case missingFile(bundle: String, path: String)
    case invalidJSON(bundle: String, path: String, message: String)

    package var description: String {
        switch self {
        case .notABundle(let path, let reason):
            "\(path) is not an emdiag bundle: \(reason). Pass a .tar.gz written by `emdiag collect` or its extracted folder."
        case .unsafeMember(let archive, let member, let reason):
            "\(archive): refused member \"\(member)\": \(reason). The archive was not extracted; ask for a new bundle."
        case .tooLarge(let archive, let member, let limit):
            "\(archive): \(member.map { "member \"\($0)\"" } ?? "the archive") expands past the limit of \(limit) bytes; refusing to extract it."
        case .corrupt(let archive, let message):
            "\(archive) is damaged: \(message). Ask for the bundle again."
        case .io(let path, let message):
            "\(path): \(message)"
        case .missingFile(let bundle, let path):
            "\(bundle): \(path) is missing from the bundle."
        case .invalidJSON(let bundle, let path, let message):
            "\(bundle): \(path) is not valid JSON: \(message)"
        }
    }
}
