import Foundation

/// One container log on its way into the bundle: libcurl streams it through the redactor into a spool file
/// (already redacted, outside the staging folder); `finish` copies the newest `maxBytes` of it, cut at a line
/// start, into the staged file, so a log larger than the cap keeps its end (where crashes are) and memory stays
/// flat whatever the log's size.
final class LogCapture: Sendable {
    let sink: RedactingSink
    private let spool: SpoolFile
    private let staging: BundleStaging
    private let path: String
    private let maxBytes: Int64

    init(staging: BundleStaging, path: String, redactor: Redactor, maxBytes: Int64) throws {
        let folder = staging.root.deletingLastPathComponent().appendingPathComponent("spool")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        spool = try SpoolFile(url: folder.appendingPathComponent(UUID().uuidString))
        sink = redactor.sink(file: path, output: spool)
        self.staging = staging
        self.path = path
        self.maxBytes = max(0, maxBytes)
    }

    /// Redacted bytes received so far.
    var receivedBytes: Int64 { spool.size }

    /// Closes the stream and, when `keep`, stores the log (its newest `maxBytes`). A log within the cap is moved
    /// into the staging folder as it is (it was hashed while it was written); a longer one is copied from its cut.
    /// - Returns: whether a file was stored.
    func finish(keep: Bool) throws -> Bool {
        defer { spool.remove() }
        try sink.close()
        guard keep else { return false }
        let size = spool.size
        if size <= maxBytes, try staging.adopt(spool.url, as: path, digest: spool.digest, timestamps: true) {
            return true
        }
        var start: Int64 = 0
        if size > maxBytes {
            start = try spool.lineStart(atOrAfter: size - maxBytes)
        }
        let writer = try staging.create(path)
        try spool.copy(from: start, to: writer)
        try writer.close(timestamps: true, truncated: start > 0 ? true : nil)
        return true
    }
}

/// A write-only file the redacting sink streams into, hashed as it is written, read back (or moved) once.
/// `@unchecked Sendable`: the transport's thread writes, then (after the transfer ended) the collecting task reads;
/// never both at once, and the descriptor and digest are guarded by the lock.
final class SpoolFile: ByteSink, @unchecked Sendable {
    let url: URL
    private let fd: Int32
    private let lock = NSLock()
    private var written: Int64 = 0
    private var hash = SHA256Digest()
    private var closed = false

    init(url: URL) throws {
        let fd = open(url.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw BundleError.io(path: url.path, message: "cannot create a spool file: \(String(cString: strerror(errno)))")
        }
        self.url = url
        self.fd = fd
    }

    var size: Int64 { lock.withLock { written } }

    /// The SHA-256 of everything written.
    var digest: SHA256Digest { lock.withLock { hash } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try lock.withLock {
            try FileDescriptorIO.writeAll(fd, bytes, path: url.path)
            hash.update(bytes)
            written += Int64(bytes.count)
        }
    }

    /// The offset of the first line that starts at or after `offset`.
    func lineStart(atOrAfter offset: Int64) throws -> Int64 {
        guard offset > 0 else { return 0 }
        return try lock.withLock {
            var position = offset - 1
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let n = try FileDescriptorIO.read(fd, into: buffer, at: position, path: url.path)
                guard n > 0 else { return written }
                if let newline = UnsafeRawBufferPointer(rebasing: buffer[..<n]).firstIndex(of: 0x0A) {
                    return position + Int64(newline) + 1
                }
                position += Int64(n)
            }
        }
    }

    func copy(from offset: Int64, to writer: BundleFileWriter) throws {
        try lock.withLock {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            var position = offset
            while true {
                let n = try FileDescriptorIO.read(fd, into: buffer, at: position, path: url.path)
                guard n > 0 else { return }
                try writer.write(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
                position += Int64(n)
            }
        }
    }

    /// Closes the descriptor and deletes the file (if it was not moved into the staging folder).
    func remove() {
        lock.withLock {
            guard !closed else { return }
            closed = true
            FileDescriptorIO.closeDescriptor(fd)
            unlink(url.path)
        }
    }

    deinit { remove() }
}
