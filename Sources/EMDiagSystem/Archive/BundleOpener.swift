import EMDiagCore
import Foundation
import Synchronization

/// A bundle ready to read. If it came from a `.tar.gz`, `close()` removes the temporary extraction.
package final class OpenedBundle: Sendable {
    package let directory: BundleDirectory
    /// The path the user gave (folder or archive).
    package let source: String
    private let temporary = Mutex<URL?>(nil)

    init(directory: BundleDirectory, source: String, temporary: URL?) {
        self.directory = directory
        self.source = source
        self.temporary.withLock { $0 = temporary }
    }

    /// Removes the temporary extraction (if any); safe to call more than once.
    package func close() {
        if let url = temporary.withLock({ box in defer { box = nil }; return box }) {
            try? FileManager.default.removeItem(at: url)
        }
    }

    deinit { close() }
}

/// Opens what the user hands to `analyze`, `report`, `serve` or `bundle verify`: a bundle folder, or a
/// `.tar.gz` written by `collect` (recognised by its gzip magic bytes, extracted with `TarGzReader`'s limits).
///
/// Blocking (extraction): call from `BlockingThread.run`.
package enum BundleOpener {
    /// - Throws: `BundleError.notABundle` naming the path for anything that is neither; extraction errors as is.
    package static func open(
        path: String, limits: TarGzReader.Limits = .init(), temporaryRoot: URL = FileManager.default.temporaryDirectory
    ) throws -> OpenedBundle {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw BundleError.notABundle(path: path, reason: "no such file or folder")
        }
        if isFolder.boolValue {
            let directory = BundleDirectory(root: URL(fileURLWithPath: path))
            guard looksLikeBundle(directory) else {
                throw BundleError.notABundle(path: path, reason: "the folder has no manifest.json and no api/ tree")
            }
            return OpenedBundle(directory: directory, source: path, temporary: nil)
        }
        guard isGzip(path) else {
            throw BundleError.notABundle(path: path, reason: "it is neither a folder nor a gzip-compressed tar archive")
        }
        let temporary = temporaryRoot.appendingPathComponent("emdiag-bundle-\(UUID().uuidString)")
        try TarGzReader(limits: limits).extract(archive: path, into: temporary.path)
        guard let root = bundleRoot(in: temporary) else {
            try? FileManager.default.removeItem(at: temporary)
            throw BundleError.notABundle(path: path, reason: "the archive holds no manifest.json (at its top or in one top folder)")
        }
        return OpenedBundle(directory: BundleDirectory(root: root), source: path, temporary: temporary)
    }

    /// Recomputes checksums against the manifest (see `BundleDirectory.verify()`).
    package static func verify(bundle: BundleDirectory) throws -> [BundleProblem] {
        try bundle.verify()
    }

    private static func looksLikeBundle(_ directory: BundleDirectory) -> Bool {
        directory.exists(BundleLayout.manifest) || directory.exists("api")
    }

    /// The extracted folder itself, or its single top-level folder (archives may wrap entries in one).
    private static func bundleRoot(in folder: URL) -> URL? {
        if BundleDirectory(root: folder).exists(BundleLayout.manifest) { return folder }
        let children = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        guard children.count == 1 else { return nil }
        let child = folder.appendingPathComponent(children[0])
        return BundleDirectory(root: child).exists(BundleLayout.manifest) ? child : nil
    }

    private static func isGzip(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 2)) == Data([0x1f, 0x8b])
    }
}
