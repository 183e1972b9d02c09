import Foundation

/// One container log on its way into the bundle: libcurl streams it through the redactor into a spool file
/// (already redacted, outside the staging folder); `finish` stores it within `maxBytes`: a log over the cap keeps
/// its first tenth (start-up: configuration, migrations) and its newest bytes (where crashes are), cut at line
/// boundaries, with one marker line between them saying how much was cut. Memory stays flat whatever the size.
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

    /// Closes the stream and, when `keep`, stores the log within `maxBytes` (see `LogCut`). A log within the cap is
    /// moved into the staging folder as it is (it was hashed while it was written); a longer one is copied around
    /// its cut and marked `truncated` in the manifest.
    /// - Returns: whether a file was stored.
    func finish(keep: Bool) throws -> Bool {
        defer { spool.remove() }
        try sink.close()
        guard keep else { return false }
        let size = spool.size
        if size <= maxBytes, try staging.adopt(spool.url, as: path, digest: spool.digest, timestamps: true) {
            return true
        }
        let writer = try staging.create(path)
        guard size > maxBytes else {
            try spool.copy(from: 0, to: writer)
            try writer.close(timestamps: true)
            return true
        }
        let cut = try LogCut(spool: spool, size: size, maxBytes: maxBytes)
        if cut.headEnd > 0 {
            try spool.copy(from: 0, length: cut.headEnd, to: writer)
            try cut.marker(spool: spool).withUnsafeBytes { try writer.write($0) }
        }
        try spool.copy(from: cut.tailStart, to: writer)
        try writer.close(timestamps: true, truncated: true)
        return true
    }
}

/// Where a log over `--max-log-bytes` is cut: the head ends and the tail starts at line boundaries.
struct LogCut {
    /// The head's share of the cap.
    static let headShare: Int64 = 10
    /// A first line running this far past the head's share is not kept whole: the log keeps its tail only.
    static let longestHeadLine: Int64 = 64 << 10
    /// Below this cap a log keeps its tail only.
    static let smallestSplitCap: Int64 = 4 << 10
    /// Room left for the marker line, so head, marker and tail stay within the cap.
    static let markerRoom: Int64 = 256

    let headEnd: Int64
    let tailStart: Int64
    let size: Int64

    init(spool: SpoolFile, size: Int64, maxBytes: Int64) throws {
        var head = maxBytes >= Self.smallestSplitCap ? maxBytes / Self.headShare : 0
        if head > 0 {
            head = try spool.lineStart(atOrAfter: head)
            if head - maxBytes / Self.headShare > Self.longestHeadLine || head >= size { head = 0 }
        }
        let tailBudget = max(0, maxBytes - head - (head > 0 ? Self.markerRoom : 0))
        var tail = try spool.lineStart(atOrAfter: size - tailBudget)
        // No line starts in the tail's share (one very long last line): keep its newest bytes, cut mid-line.
        if tail >= size { tail = size - tailBudget }
        if tail < head { tail = head }
        headEnd = head
        tailStart = tail
        self.size = size
    }

    /// The line between head and tail. It starts with the tail's first timestamp when the log has them, so
    /// stripping `kubectl logs --timestamps` prefixes (serve's `LogFilter`) keeps the words.
    func marker(spool: SpoolFile) throws -> [UInt8] {
        let first = try spool.bytes(from: tailStart, count: 64)
        var stamp: [UInt8] = []
        if let space = first.firstIndex(of: 0x20), LogFilter.isTimestamp(Array(first[..<space])) {
            stamp = Array(first[...space])
        }
        let text = "[emdiag] \(tailStart - headEnd) bytes cut here (--max-log-bytes): above, the log's first \(headEnd) "
            + "bytes; below, its newest \(size - tailStart)\n"
        return stamp + Array(text.utf8)
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

    /// Copies `length` bytes (nil: to the end) from `offset` into `writer`.
    func copy(from offset: Int64, length: Int64? = nil, to writer: BundleFileWriter) throws {
        try lock.withLock {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            var position = offset
            let end = length.map { offset + $0 } ?? Int64.max
            while position < end {
                let wanted = Int(min(Int64(buffer.count), end - position))
                let window = UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted])
                let n = try FileDescriptorIO.read(fd, into: window, at: position, path: url.path)
                guard n > 0 else { return }
                try writer.write(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
                position += Int64(n)
            }
        }
    }

    /// Up to `count` bytes from `offset`.
    func bytes(from offset: Int64, count: Int) throws -> [UInt8] {
        try lock.withLock {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
            defer { buffer.deallocate() }
            let n = try FileDescriptorIO.read(fd, into: buffer, at: offset, path: url.path)
            return Array(UnsafeRawBufferPointer(rebasing: buffer[..<max(0, n)]))
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
