internal import CArchive
import EMDiagCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Packs a folder into a deterministic `.tar.gz` through libarchive.
///
/// Entries are sorted by path (bytewise), with one fixed mtime, uid/gid 0, uname/gname `root`, mode 0755
/// for folders and executable files and 0644 for the rest, pax (restricted) format, gzip without a timestamp:
/// the same folder always gives the same bytes. Files are streamed in 256 KiB chunks.
///
/// The archive is written to `.NAME.partial-PID` beside the output and renamed over the output only once
/// complete and flushed, so the output path never holds a partial bundle. On any error the temporary file is
/// removed. Symlinks and special files in the folder are refused (bundles hold only regular files).
///
/// Blocking: call from a dedicated thread (`BlockingThread.run`), never from the cooperative pool.
package struct TarGzWriter: Sendable {
    /// The mtime of every entry, seconds since 1970 (collect passes the manifest's creation time).
    package var modificationTime: Int
    /// A top-level folder inside the archive (`emdiag-bundle-…/`), or nil to put entries at the root.
    package var prefix: String?

    package static let chunkSize = 256 * 1024
    /// gzip level 4, not zlib's default 6: on the benchmark scenario (docs/benchmarks.md) it spends about a third
    /// less CPU for an archive about 8% larger (level 3 would be 15% larger, level 1 26%).
    package static let compressionLevel = 4

    package init(modificationTime: Int = 0, prefix: String? = nil) {
        self.modificationTime = modificationTime
        self.prefix = prefix
    }

    /// The temporary name used while writing `output`.
    package static func temporaryPath(for output: String, pid: Int32 = getpid()) -> String {
        let url = URL(fileURLWithPath: output)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(pid)").path
    }

    /// Packs every file and folder below `directory` into `output`.
    /// - Throws: `BundleError.io` naming the file that could not be read or written.
    package func pack(directory: String, to output: String) throws {
        let entries = try Self.listEntries(root: directory)
        let temporary = Self.temporaryPath(for: output)
        unlink(temporary)  // a stale file of a previous process with our PID
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BundleError.io(path: output, message: "cannot create \(temporary): \(errnoText())") }
        do {
            try write(entries, root: directory, fd: fd, output: output)
            guard fsync(fd) == 0 else { throw BundleError.io(path: output, message: "cannot flush: \(errnoText())") }
            close(fd)
            guard rename(temporary, output) == 0 else {
                throw BundleError.io(path: output, message: "cannot rename \(temporary) to it: \(errnoText())")
            }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
    }

    private func write(_ entries: [TarSourceEntry], root: String, fd: Int32, output: String) throws {
        guard let archive = archive_write_new() else { throw BundleError.io(path: output, message: "libarchive: out of memory") }
        defer { archive_write_free(archive) }
        func check(_ code: Int32, _ what: String) throws {
            guard code < ARCHIVE_WARN else { return }
            let message = archive_error_string(archive).map { String(cString: $0) } ?? "error \(code)"
            throw BundleError.io(path: output, message: "\(what): \(message)")
        }
        try check(archive_write_add_filter_gzip(archive), "gzip")
        // No time in the gzip header (libarchive writes the current time by default): same folder, same bytes.
        try check(archive_write_set_filter_option(archive, "gzip", "timestamp", nil), "gzip timestamp")
        try check(
            archive_write_set_filter_option(archive, "gzip", "compression-level", "\(Self.compressionLevel)"),
            "gzip compression level")
        try check(archive_write_set_format_pax_restricted(archive), "tar format")
        try check(archive_write_open_fd(archive, fd), "open")
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        for entry in entries {
            guard let header = archive_entry_new() else { throw BundleError.io(path: output, message: "libarchive: out of memory") }
            defer { archive_entry_free(header) }
            let name = [prefix, entry.path].compactMap { $0 }.joined(separator: "/")
            archive_entry_set_pathname_utf8(header, name)
            archive_entry_set_filetype(header, entry.isDirectory ? CArchive_AE_IFDIR : CArchive_AE_IFREG)
            archive_entry_set_perm(header, entry.isDirectory || entry.isExecutable ? 0o755 : 0o644)
            archive_entry_set_size(header, entry.isDirectory ? 0 : Int64(entry.size))
            archive_entry_set_mtime(header, time_t(modificationTime), 0)
            archive_entry_set_uid(header, 0)
            archive_entry_set_gid(header, 0)
            archive_entry_set_uname(header, "root")
            archive_entry_set_gname(header, "root")
            try check(archive_write_header(archive, header), "header of \(name)")
            if !entry.isDirectory {
                try copyFile(root + "/" + entry.path, expected: entry.size, archive: archive, buffer: buffer, output: output)
            }
        }
        try check(archive_write_close(archive), "finishing the archive")
    }

    private func copyFile(
        _ path: String, expected: Int, archive: OpaquePointer, buffer: UnsafeMutableRawPointer, output: String
    ) throws {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw BundleError.io(path: path, message: "cannot read: \(errnoText())") }
        defer { close(fd) }
        var copied = 0
        while true {
            let n = read(fd, buffer, Self.chunkSize)
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw BundleError.io(path: path, message: "read failed: \(errnoText())") }
            if n == 0 { break }
            guard copied + n <= expected else { break }
            guard archive_write_data(archive, buffer, n) == n else {
                let message = archive_error_string(archive).map { String(cString: $0) } ?? "write failed"
                throw BundleError.io(path: output, message: message)
            }
            copied += n
        }
        guard copied == expected else {
            throw BundleError.io(path: path, message: "the file changed size while it was being packed; run again")
        }
    }

    /// Every folder and regular file below `root`, relative paths sorted bytewise.
    static func listEntries(root: String) throws -> [TarSourceEntry] {
        var entries: [TarSourceEntry] = []
        func walk(_ relative: String) throws {
            let absolute = relative.isEmpty ? root : root + "/" + relative
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: absolute)
            } catch {
                throw BundleError.io(path: absolute, message: "cannot list the folder: \(error.localizedDescription)")
            }
            for name in names {
                let path = relative.isEmpty ? name : relative + "/" + name
                var info = stat()
                guard lstat(root + "/" + path, &info) == 0 else {
                    throw BundleError.io(path: root + "/" + path, message: "cannot stat: \(errnoText())")
                }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    entries.append(TarSourceEntry(path: path, isDirectory: true, size: 0, isExecutable: false))
                    try walk(path)
                case S_IFREG:
                    let executable = info.st_mode & 0o111 != 0
                    entries.append(TarSourceEntry(path: path, isDirectory: false, size: Int(info.st_size), isExecutable: executable))
                default:
                    throw BundleError.io(
                        path: root + "/" + path, message: "is a link or special file; bundles hold only regular files and folders")
                }
            }
        }
        try walk("")
        return entries.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }
}

/// One file or folder found while listing the source folder.
struct TarSourceEntry {
    var path: String
    var isDirectory: Bool
    var size: Int
    var isExecutable: Bool
}

/// The current `errno` as text.
func errnoText() -> String {
    String(cString: strerror(errno))
}
