internal import CArchive
import EMDiagCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Extracts a `.tar.gz` bundle into a new folder, treating the archive as hostile.
///
/// Refused (with `BundleError.unsafeMember`): absolute paths, `..`, symlinks, hard links, devices, fifos,
/// sockets and duplicate names. Refused with `BundleError.tooLarge`: a member past `maxMemberBytes`, a total past
/// `maxTotalBytes` or more than `maxEntries` entries. Sizes are checked from each header before anything is written
/// and again while decompressing (bytes are counted), so a gzip bomb stops at the limit.
///
/// Files are created below the target only, descending one component at a time with `openat(O_NOFOLLOW)` and
/// created with `O_EXCL | O_NOFOLLOW`, mode 0644 (folders 0755). On any error the target folder is removed.
///
/// Blocking: call from a dedicated thread (`BlockingThread.run`), never from the cooperative pool.
package struct TarGzReader: Sendable {
    /// Size and count limits for one archive.
    package struct Limits: Sendable, Equatable {
        package var maxMemberBytes: Int64
        package var maxTotalBytes: Int64
        package var maxEntries: Int

        package init(maxMemberBytes: Int64 = 2 << 30, maxTotalBytes: Int64 = 8 << 30, maxEntries: Int = 100_000) {
            self.maxMemberBytes = maxMemberBytes
            self.maxTotalBytes = maxTotalBytes
            self.maxEntries = maxEntries
        }
    }

    package var limits: Limits

    package init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Extracts `archive` into `target`, which must not exist yet.
    /// - Returns: the relative paths of the extracted files, sorted.
    /// - Throws: `BundleError` (`unsafeMember`, `tooLarge`, `corrupt`, `io`); the target is then gone.
    @discardableResult
    package func extract(archive path: String, into target: String) throws -> [String] {
        guard mkdir(target, 0o755) == 0 else {
            throw BundleError.io(path: target, message: "cannot create the extraction folder: \(errnoText())")
        }
        do {
            let root = open(target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard root >= 0 else { throw BundleError.io(path: target, message: "cannot open: \(errnoText())") }
            defer { close(root) }
            var extraction = Extraction(archivePath: path, root: root, limits: limits)
            return try extraction.run().sorted()
        } catch {
            try? FileManager.default.removeItem(atPath: target)
            throw error
        }
    }
}

/// The state of one extraction run.
private struct Extraction {
    let archivePath: String
    let root: Int32
    let limits: TarGzReader.Limits
    var total: Int64 = 0
    var files: [String] = []

    init(archivePath: String, root: Int32, limits: TarGzReader.Limits) {
        self.archivePath = archivePath
        self.root = root
        self.limits = limits
    }

    mutating func run() throws -> [String] {
        guard let archive = archive_read_new() else { throw corrupt("libarchive: out of memory") }
        defer { archive_read_free(archive) }
        archive_read_support_filter_gzip(archive)
        archive_read_support_format_tar(archive)
        guard archive_read_open_filename(archive, archivePath, TarGzWriter.chunkSize) == ARCHIVE_OK else {
            throw corrupt(message(archive))
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: TarGzWriter.chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var count = 0
        while true {
            var entry: OpaquePointer?
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status >= ARCHIVE_WARN, let entry else { throw corrupt(message(archive)) }
            count += 1
            guard count <= limits.maxEntries else {
                throw BundleError.tooLarge(archive: archivePath, member: nil, limit: Int64(limits.maxEntries))
            }
            try extract(entry, archive: archive, buffer: buffer)
        }
        return files
    }

    private mutating func extract(_ entry: OpaquePointer, archive: OpaquePointer, buffer: UnsafeMutableRawPointer) throws {
        let name = (archive_entry_pathname_utf8(entry) ?? archive_entry_pathname(entry)).map { String(cString: $0) } ?? ""
        let parts: [String]
        do {
            parts = try BundlePath.components(name)
        } catch {
            throw unsafe(name, error.reason)
        }
        if archive_entry_hardlink(entry) != nil { throw unsafe(name, "it is a hard link") }
        let size = archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : 0
        try checkSize(name, declared: size)
        switch archive_entry_filetype(entry) & CArchive_AE_IFMT {
        case CArchive_AE_IFDIR:
            close(try descend(parts, name: name))
        case CArchive_AE_IFREG:
            let folder = try descend(parts.dropLast(), name: name)
            defer { close(folder) }
            let fd = openat(folder, parts[parts.count - 1], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                if errno == EEXIST { throw unsafe(name, "the name appears twice or clashes with a folder") }
                throw BundleError.io(path: name, message: "cannot create: \(errnoText())")
            }
            defer { close(fd) }
            try copyData(name, archive: archive, buffer: buffer, to: fd)
            files.append(parts.joined(separator: "/"))
        case CArchive_AE_IFLNK:
            throw unsafe(name, "it is a symbolic link")
        default:
            throw unsafe(name, "it is a device, fifo or socket, not a regular file")
        }
    }

    private mutating func checkSize(_ name: String, declared: Int64) throws {
        guard declared <= limits.maxMemberBytes else {
            throw BundleError.tooLarge(archive: archivePath, member: name, limit: limits.maxMemberBytes)
        }
        guard total + declared <= limits.maxTotalBytes else {
            throw BundleError.tooLarge(archive: archivePath, member: nil, limit: limits.maxTotalBytes)
        }
    }

    /// Copies one member's data, counting what the decompressor really produces.
    private mutating func copyData(_ name: String, archive: OpaquePointer, buffer: UnsafeMutableRawPointer, to fd: Int32) throws {
        var member: Int64 = 0
        while true {
            let n = archive_read_data(archive, buffer, TarGzWriter.chunkSize)
            if n == 0 { return }
            guard n > 0 else { throw corrupt(message(archive)) }
            member += Int64(n)
            total += Int64(n)
            guard member <= limits.maxMemberBytes else {
                throw BundleError.tooLarge(archive: archivePath, member: name, limit: limits.maxMemberBytes)
            }
            guard total <= limits.maxTotalBytes else {
                throw BundleError.tooLarge(archive: archivePath, member: nil, limit: limits.maxTotalBytes)
            }
            var offset = 0
            while offset < n {
                let written = write(fd, buffer + offset, n - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { throw BundleError.io(path: name, message: "cannot write: \(errnoText())") }
                offset += written
            }
        }
    }

    /// Opens (creating as needed) the folder `parts` below the root, one component at a time, never following links.
    private func descend(_ parts: some Collection<String>, name: String) throws -> Int32 {
        var current = dup(root)
        for part in parts {
            if mkdirat(current, part, 0o755) != 0, errno != EEXIST {
                close(current)
                throw BundleError.io(path: name, message: "cannot create folder \(part): \(errnoText())")
            }
            let next = openat(current, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            close(current)
            guard next >= 0 else { throw unsafe(name, "\(part) is not a folder") }
            current = next
        }
        return current
    }

    private func unsafe(_ member: String, _ reason: String) -> BundleError {
        .unsafeMember(archive: archivePath, member: member, reason: reason)
    }

    private func corrupt(_ text: String) -> BundleError {
        .corrupt(archive: archivePath, message: text)
    }

    private func message(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unreadable archive"
    }
}
