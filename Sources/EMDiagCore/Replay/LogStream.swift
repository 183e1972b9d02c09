import Foundation

/// The streaming part of a log answer: removes leading timestamps and enforces `limitBytes` chunk by chunk,
/// so a 1 GB log never sits in memory. Pure; the reader below feeds it from the file.
package struct LogFilter: Sendable {
    private var options: LogOptions
    private var written = 0
    /// Bytes of the current line's first token, held until we know whether it is a timestamp.
    private var pending: [UInt8] = []
    private var atLineStart = true
    private static let maxTokenLength = 64

    package init(options: LogOptions) {
        self.options = options
    }

    /// True once `limitBytes` bytes have been produced; the caller stops reading.
    package var isDone: Bool {
        options.limitBytes.map { written >= $0 } ?? false
    }

    /// Filters one chunk of the stored file.
    package mutating func process(_ chunk: some Collection<UInt8>) -> [UInt8] {
        guard options.stripTimestamps else { return limited(Array(chunk)) }
        var out: [UInt8] = []
        out.reserveCapacity(chunk.count)
        for byte in chunk {
            if !atLineStart {
                out.append(byte)
                if byte == UInt8(ascii: "\n") { atLineStart = true }
                continue
            }
            if byte == UInt8(ascii: " ") {
                if !Self.isTimestamp(pending) { out += pending + [byte] }
                pending.removeAll(keepingCapacity: true)
                atLineStart = false
            } else if byte == UInt8(ascii: "\n") {
                out += pending + [byte]
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
                if pending.count > Self.maxTokenLength {
                    out += pending
                    pending.removeAll(keepingCapacity: true)
                    atLineStart = false
                }
            }
        }
        return limited(out)
    }

    /// Flushes what is held back at the end of the file (a last line without a space).
    package mutating func finish() -> [UInt8] {
        let rest = pending
        pending = []
        return limited(rest)
    }

    private mutating func limited(_ bytes: [UInt8]) -> [UInt8] {
        guard let limit = options.limitBytes else { return bytes }
        let room = max(0, limit - written)
        let out = bytes.count <= room ? bytes : Array(bytes.prefix(room))
        written += out.count
        return out
    }

    /// `2024-05-01T10:00:00.123456789Z`: digits, a dash at index 4 and a `T` at index 10. The tokens serve strips.
    static func isTimestamp(_ token: [UInt8]) -> Bool {
        guard token.count >= 20, token[4] == UInt8(ascii: "-"), token[10] == UInt8(ascii: "T") else { return false }
        return token.prefix(4).allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}

/// Where `tailLines=N` starts in a file: scans backwards from the end, block by block.
package enum LogTail {
    /// The byte offset of the first of the last `lines` lines.
    /// - Parameters:
    ///   - size: the file size.
    ///   - read: reads `count` bytes at `offset`.
    package static func startOffset(
        size: Int, lines: Int, blockSize: Int = 64 * 1024, read: (_ offset: Int, _ count: Int) throws -> [UInt8]
    ) rethrows -> Int {
        guard lines > 0 else { return size }
        var end = size
        var newlines = 0
        var skippedTrailing = false
        while end > 0 {
            let start = max(0, end - blockSize)
            let block = try read(start, end - start)
            for index in stride(from: block.count - 1, through: 0, by: -1) where block[index] == UInt8(ascii: "\n") {
                if start + index == size - 1, !skippedTrailing {
                    skippedTrailing = true
                    continue
                }
                newlines += 1
                if newlines == lines { return start + index + 1 }
            }
            end = start
        }
        return 0
    }
}

/// Reads a stored log with its options applied, chunk by chunk. Blocking file I/O: the server calls it on
/// NIO's thread pool, never on Swift's cooperative pool.
// @unchecked Sendable: the handle and filter are mutated only by `next()`, which the single task serving a
// response calls sequentially (one chunk at a time, each awaited before the next); no two threads touch it at once.
package final class LogFileReader: @unchecked Sendable {
    private let handle: FileHandle
    private let path: String
    private var filter: LogFilter
    private let chunkSize: Int
    private var finished = false

    /// Opens the file and seeks to where `tailLines` starts.
    /// - Throws: `BundleError.io` when the file cannot be opened or read.
    package init(_ body: LogFileBody, chunkSize: Int = 256 * 1024) throws {
        path = body.path
        do {
            handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: body.path))
            filter = LogFilter(options: body.options)
            self.chunkSize = chunkSize
            if let lines = body.options.tailLines {
                let size = Int(try handle.seekToEnd())
                let offset = try LogTail.startOffset(size: size, lines: lines) { [handle] offset, count in
                    try handle.seek(toOffset: UInt64(offset))
                    return Array(try handle.read(upToCount: count) ?? Data())
                }
                try handle.seek(toOffset: UInt64(offset))
            }
        } catch {
            throw BundleError.io(path: body.path, message: "cannot read the stored log (\(error)); check the bundle's files")
        }
    }

    deinit {
        try? handle.close()
    }

    /// The next filtered chunk, or nil at the end (end of file or `limitBytes` reached).
    /// - Throws: `BundleError.io` on a read error.
    package func next() throws -> [UInt8]? {
        while !finished {
            if filter.isDone {
                finished = true
                return nil
            }
            let data: Data?
            do {
                data = try handle.read(upToCount: chunkSize)
            } catch {
                throw BundleError.io(path: path, message: "reading the stored log failed (\(error)); check the bundle's files")
            }
            guard let data, !data.isEmpty else {
                finished = true
                let rest = filter.finish()
                return rest.isEmpty ? nil : rest
            }
            let out = filter.process(data)
            if !out.isEmpty { return out }
        }
        return nil
    }

    /// Reads the whole filtered body (for small logs and in-process tests).
    package func readAll() throws -> [UInt8] {
        var out: [UInt8] = []
        while let chunk = try next() { out += chunk }
        return out
    }
}
