import Foundation
import Synchronization

/// The folder `emdiag collect` fills before it is packed: files created by bundle-relative path, each hashed
/// (SHA-256) and measured as it is written, then `manifest.json` listing them all.
///
/// Safe to share between tasks: each file has its own `BundleFileWriter`; the list of finished files is guarded.
/// Writing the same path twice is an error (files are created with `O_EXCL`).
package final class BundleStaging: Sendable {
    package let root: URL
    private let finished = Mutex<[String: Manifest.File]>([:])

    /// Uses `root` as the staging folder, creating it; it must be absent or empty.
    /// - Throws: `BundleError.io` when the folder cannot be created or already holds files.
    package init(root: URL) throws {
        self.root = root
        let manager = FileManager.default
        do {
            try manager.createDirectory(at: root, withIntermediateDirectories: true)
        } catch {
            throw BundleError.io(path: root.path, message: "cannot create the staging folder: \(error.localizedDescription)")
        }
        guard (try? manager.contentsOfDirectory(atPath: root.path))?.isEmpty == true else {
            throw BundleError.io(path: root.path, message: "the staging folder is not empty; choose a new one")
        }
    }

    /// The staging folder as a readable bundle.
    package var directory: BundleDirectory { BundleDirectory(root: root) }

    /// Starts a file at `path` (relative, validated), creating its folders.
    /// - Throws: `BundleError.io` for an unsafe path, an existing file or an I/O failure.
    package func create(_ path: String) throws -> BundleFileWriter {
        let (normalized, url) = try destination(path)
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw BundleError.io(path: url.path, message: "cannot create: \(String(cString: strerror(errno)))")
        }
        return BundleFileWriter(path: normalized, fd: fd, staging: self)
    }

    /// Moves a finished file (hashed by the caller as it was written) to `path` without copying its bytes: a
    /// hard link, so an existing file is never replaced; the caller deletes `source` afterwards.
    /// - Returns: false when the file system cannot link it (another device): the caller copies it instead.
    /// - Throws: `BundleError.io` for an unsafe path, an existing file or another I/O failure.
    func adopt(
        _ source: URL, as path: String, digest: SHA256Digest, timestamps: Bool? = nil, truncated: Bool? = nil
    ) throws -> Bool {
        let (normalized, url) = try destination(path)
        guard link(source.path, url.path) == 0 else {
            if [EXDEV, EPERM, ENOTSUP, EMLINK].contains(errno) { return false }
            throw BundleError.io(path: url.path, message: "cannot create: \(String(cString: strerror(errno)))")
        }
        chmod(url.path, 0o644)
        record(Manifest.File(
            path: normalized, size: digest.byteCount, sha256: digest.hex(), timestamps: timestamps, truncated: truncated))
        return true
    }

    /// The validated relative path and its URL, with its folders created.
    private func destination(_ path: String) throws -> (String, URL) {
        let normalized: String
        do {
            normalized = try BundlePath.normalized(path)
        } catch {
            throw BundleError.io(path: path, message: "is not a safe bundle path: \(error.reason)")
        }
        if normalized == BundleLayout.manifest {
            throw BundleError.io(path: path, message: "is written by writeManifest, not as a file")
        }
        let url = root.appendingPathComponent(normalized)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw BundleError.io(path: url.path, message: "cannot create its folder: \(error.localizedDescription)")
        }
        return (normalized, url)
    }

    /// Writes a whole file at once.
    @discardableResult
    package func write(
        _ path: String, data: some DataProtocol, timestamps: Bool? = nil, truncated: Bool? = nil
    ) throws -> Manifest.File {
        let writer = try create(path)
        try writer.write(data)
        return try writer.close(timestamps: timestamps, truncated: truncated)
    }

    /// Files finished so far, sorted by path.
    package var files: [Manifest.File] {
        finished.withLock { Array($0.values) }.sorted { $0.path < $1.path }
    }

    fileprivate func record(_ file: Manifest.File) {
        finished.withLock { $0[file.path] = file }
    }

    /// Writes `manifest.json` (pretty, sorted keys, ISO-8601 dates) with `files` replaced by every finished file.
    /// - Returns: the manifest as written.
    @discardableResult
    package func writeManifest(_ manifest: Manifest) throws -> Manifest {
        var complete = manifest
        complete.files = files
        let url = root.appendingPathComponent(BundleLayout.manifest)
        do {
            try Self.encoder.encode(complete).write(to: url, options: .atomic)
        } catch {
            throw BundleError.io(path: url.path, message: "cannot write the manifest: \(error.localizedDescription)")
        }
        return complete
    }

    /// The manifest's JSON encoding: deterministic and readable.
    package static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

/// Streams one staged file to disk, hashing and counting as it goes. Owned by one task at a time.
package final class BundleFileWriter {
    /// The bundle-relative path.
    package let path: String
    private let fd: Int32
    private var digest = SHA256Digest()
    private let staging: BundleStaging
    private var closed = false

    fileprivate init(path: String, fd: Int32, staging: BundleStaging) {
        self.path = path
        self.fd = fd
        self.staging = staging
    }

    deinit {
        if !closed { FileDescriptorIO.closeDescriptor(fd) }
    }

    package func write(_ data: some DataProtocol) throws {
        for region in data.regions {
            try region.withUnsafeBytes { try write($0) }
        }
    }

    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !closed else { throw BundleError.io(path: path, message: "written after close") }
        try FileDescriptorIO.writeAll(fd, bytes, path: path)
        digest.update(bytes)
    }

    /// Closes the file and records it for the manifest.
    /// - Parameters:
    ///   - timestamps: the log lines start with RFC 3339 times (`kubectl logs --timestamps`).
    ///   - truncated: the log was cut to fit `--max-log-bytes`.
    @discardableResult
    package func close(timestamps: Bool? = nil, truncated: Bool? = nil) throws -> Manifest.File {
        guard !closed else { throw BundleError.io(path: path, message: "closed twice") }
        closed = true
        guard FileDescriptorIO.closeDescriptor(fd) == 0 else {
            throw BundleError.io(path: path, message: "close failed: \(String(cString: strerror(errno)))")
        }
        let file = Manifest.File(
            path: path, size: digest.byteCount, sha256: digest.hex(), timestamps: timestamps, truncated: truncated)
        staging.record(file)
        return file
    }
}
