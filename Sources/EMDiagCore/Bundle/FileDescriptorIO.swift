#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Whole-buffer `write` and positioned `read` on a raw descriptor, retrying on `EINTR`: the staging writers use
/// them instead of `FileHandle`, which copies every chunk into a `Data` first.
enum FileDescriptorIO {
    /// Writes all of `bytes`.
    /// - Throws: `BundleError.io` naming `path` when the write fails.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        guard var next = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = write(fd, next, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw BundleError.io(path: path, message: "write failed: \(String(cString: strerror(errno)))")
            }
            next += n
            left -= n
        }
    }

    /// Reads up to `buffer.count` bytes at `offset`; 0 at the end of the file.
    /// - Throws: `BundleError.io` naming `path` when the read fails.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, path: String) throws -> Int {
        while true {
            let n = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno != EINTR {
                throw BundleError.io(path: path, message: "read failed: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// `close(2)`, for types that have a `close` method of their own.
    @discardableResult
    static func closeDescriptor(_ fd: Int32) -> Int32 {
        close(fd)
    }
}
