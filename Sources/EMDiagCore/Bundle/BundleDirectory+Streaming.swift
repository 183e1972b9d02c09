#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The read buffer of `BundleDirectory.forEachLineChunk`, reused from file to file by one thread.
///
/// A scan worker keeps one, so it touches the buffer's pages once; a fresh 4 MiB allocation per file left malloc's
/// raised mmap threshold holding freed buffers, and analyze's peak RSS grew with the log files' size (53 -> 69 MB
/// from 100 MB to 2 GB of logs).
package final class LineChunkBuffer {
    let base: UnsafeMutablePointer<UInt8>
    /// The largest chunk handed over.
    let capacity: Int

    /// - Parameter capacity: the largest chunk (at least 64 bytes).
    package init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }
}

extension BundleDirectory {
    /// Streams a bundle file in chunks of at most `chunkSize` bytes that end on a line boundary (`\n`), so memory
    /// stays flat whatever the file size. A line longer than `chunkSize` is handed over in `chunkSize` pieces.
    /// Blocking reads: call this from a dispatch thread, never from the cooperative pool.
    /// - Parameters:
    ///   - path: the bundle-relative path.
    ///   - chunkSize: the largest chunk (at least 64 bytes).
    ///   - body: receives each chunk; its buffer is only valid during the call.
    /// - Returns: the number of bytes read.
    /// - Throws: `BundleError.missingFile` when the file cannot be opened, `BundleError.io` on a read error.
    @discardableResult
    package func forEachLineChunk(
        _ path: String, chunkSize: Int = 4 << 20, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws -> Int {
        try forEachLineChunk(path, buffer: LineChunkBuffer(capacity: chunkSize), body)
    }

    /// `forEachLineChunk(_:chunkSize:_:)` reading into `buffer` (one thread's, reused for many files).
    @discardableResult
    package func forEachLineChunk(
        _ path: String, buffer chunks: LineChunkBuffer, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws -> Int {
        let fd = open(url(path).path, O_RDONLY)
        guard fd >= 0 else { throw BundleError.missingFile(bundle: root.path, path: path) }
        defer { close(fd) }
        let capacity = chunks.capacity
        let buffer = chunks.base
        var filled = 0
        var total = 0
        while true {
            let n = read(fd, buffer + filled, capacity - filled)
            if n < 0 {
                if errno == EINTR { continue }
                throw BundleError.io(path: url(path).path, message: String(cString: strerror(errno)))
            }
            total += n
            filled += n
            if n == 0 {
                if filled > 0 { try body(UnsafeBufferPointer(start: buffer, count: filled)) }
                return total
            }
            guard filled == capacity else { continue }
            // Hand over everything up to the last newline; keep the partial line for the next read.
            var cut = filled
            while cut > 0, buffer[cut - 1] != UInt8(ascii: "\n") { cut -= 1 }
            if cut == 0 { cut = filled }
            try body(UnsafeBufferPointer(start: buffer, count: cut))
            let rest = filled - cut
            if rest > 0 { memmove(buffer, buffer + cut, rest) }
            filled = rest
        }
    }

    /// The size of a bundle file in bytes, or nil when it does not exist.
    package func size(_ path: String) -> Int? {
        var info = stat()
        guard stat(url(path).path, &info) == 0 else { return nil }
        return Int(info.st_size)
    }
}
