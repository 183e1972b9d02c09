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

    /// Closes the stream and, when `keep`, stores the log (its newest `maxBytes`).
    /// - Returns: whether a file was stored.
    func finish(keep: Bool) throws -> Bool {
        defer { spool.remove() }
        try sink.close()
        try spool.close()
        guard keep else { return false }
        let size = spool.size
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

/// A write-only file the redacting sink streams into, read back once.
/// `@unchecked Sendable`: the transport's thread writes, then (after the transfer ended) the collecting task reads;
/// never both at once, and the descriptor is guarded by the lock.
final class SpoolFile: ByteSink, @unchecked Sendable {
    private let url: URL
    private let handle: FileHandle
    private let lock = NSLock()
    private var written: Int64 = 0

    init(url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw BundleError.io(path: url.path, message: "cannot create a spool file")
        }
        self.url = url
        handle = try FileHandle(forUpdating: url)
    }

    var size: Int64 { lock.withLock { written } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try lock.withLock {
            try handle.write(contentsOf: Data(bytes))
            written += Int64(bytes.count)
        }
    }

    func close() throws {
        try lock.withLock { try handle.synchronize() }
    }

    /// The offset of the first line that starts at or after `offset`.
    func lineStart(atOrAfter offset: Int64) throws -> Int64 {
        try lock.withLock {
            try handle.seek(toOffset: UInt64(max(0, offset - 1)))
            var position = max(0, offset - 1)
            if offset == 0 { return 0 }
            while let chunk = try handle.read(upToCount: 64 << 10), !chunk.isEmpty {
                if let newline = chunk.firstIndex(of: 0x0A) {
                    return position + Int64(newline - chunk.startIndex) + 1
                }
                position += Int64(chunk.count)
            }
            return written
        }
    }

    func copy(from offset: Int64, to writer: BundleFileWriter) throws {
        try lock.withLock {
            try handle.seek(toOffset: UInt64(offset))
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                try writer.write(chunk)
            }
        }
    }

    func remove() {
        lock.withLock {
            try? handle.close()
            try? FileManager.default.removeItem(at: url)
        }
    }
}
