import Foundation

/// One way a bundle disagrees with its manifest.
package struct BundleProblem: Sendable, Equatable, CustomStringConvertible {
    package enum Kind: String, Sendable, Equatable {
        case missing, sizeMismatch, checksumMismatch, unlisted, unsafePath
    }

    package var path: String
    package var kind: Kind
    package var detail: String

    package var description: String { "\(path): \(detail)" }
}

extension BundleDirectory {
    /// Recomputes every file's size and SHA-256 against `manifest.json`, and lists files the manifest does not name.
    /// - Returns: the problems, sorted by path; empty when the bundle is intact.
    /// - Throws: `BundleError.missingFile` or `.invalidJSON` when there is no readable manifest.
    package func verify() throws -> [BundleProblem] {
        guard let manifest = try manifest() else {
            throw BundleError.missingFile(bundle: root.path, path: BundleLayout.manifest)
        }
        var problems: [BundleProblem] = []
        var listed = Set<String>()
        for file in manifest.files {
            guard let path = try? BundlePath.normalized(file.path) else {
                problems.append(BundleProblem(path: file.path, kind: .unsafePath, detail: "the manifest names an unsafe path"))
                continue
            }
            listed.insert(path)
            guard exists(path) else {
                problems.append(BundleProblem(path: path, kind: .missing, detail: "listed in the manifest but missing"))
                continue
            }
            let actual = try SHA256Digest.file(at: url(path).path)
            if actual.size != file.size {
                problems.append(BundleProblem(
                    path: path, kind: .sizeMismatch, detail: "size is \(actual.size) bytes, the manifest says \(file.size)"))
            } else if actual.sha256 != file.sha256 {
                problems.append(BundleProblem(
                    path: path, kind: .checksumMismatch, detail: "sha256 is \(actual.sha256), the manifest says \(file.sha256)"))
            }
        }
        for path in files() where path != BundleLayout.manifest && !listed.contains(path) {
            problems.append(BundleProblem(path: path, kind: .unlisted, detail: "present but not listed in the manifest"))
        }
        return problems.sorted { $0.path < $1.path }
    }
}
