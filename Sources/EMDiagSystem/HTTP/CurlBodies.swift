import EMDiagCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where one response body goes: memory (bounded), a file descriptor, or a consumer.
/// Used only by the loop thread once the transfer is submitted (see `CurlTransfer`).
final class CurlSink {
    private enum Target {
        case memory(limit: Int)
        case file(fd: Int32, path: String)
        case consumer(any HTTPBodyConsumer)
    }

    private let target: Target
    private(set) var buffer: [UInt8] = []
    private(set) var count = 0
    private var finished = false

    /// Opens the sink; a file sink is created (or truncated) now so a bad path fails before any network traffic.
    init(_ sink: HTTPResponseSink, url: String) throws {
        switch sink {
        case .memory(let limit): target = .memory(limit: limit)
        case .consumer(let consumer): target = .consumer(consumer)
        case .file(let path):
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw HTTPError(kind: .localFile, url: url, message: "cannot create \(path): \(String(cString: strerror(errno)))")
            }
            target = .file(fd: fd, path: path)
        }
    }

    /// Takes one chunk; returns the error that must stop the transfer, or nil.
    func write(_ chunk: UnsafeRawBufferPointer, url: String) -> HTTPError? {
        count += chunk.count
        switch target {
        case .memory(let limit):
            guard count <= limit else {
                return HTTPError(kind: .bodyTooLarge, url: url, message: "the body is larger than \(limit) bytes")
            }
            buffer.append(contentsOf: chunk)
        case .file(let fd, let path):
            var offset = 0
            while offset < chunk.count {
                let written = Glibc.write(fd, chunk.baseAddress.map { $0 + offset }, chunk.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else {
                    return HTTPError(kind: .localFile, url: url, message: "cannot write \(path): \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        case .consumer(let consumer):
            guard consumer.consume(chunk) else {
                return HTTPError(kind: .aborted, url: url, message: "the body consumer stopped the transfer")
            }
        }
        return nil
    }

    /// Closes the file (removing it when the transfer failed, so a file sink never holds a partial body)
    /// or tells the consumer the transfer ended; idempotent.
    func finish(succeeded: Bool) {
        guard !finished else { return }
        finished = true
        switch target {
        case .memory: break
        case .file(let fd, let path):
            Glibc.close(fd)
            if !succeeded { unlink(path) }
        case .consumer(let consumer): consumer.finish()
        }
    }

    deinit { finish(succeeded: false) }
}

/// A request body read by libcurl's read callback: bytes from memory or a file, streamed.
final class CurlUpload {
    private enum Source {
        case bytes([UInt8])
        case file(fd: Int32, path: String)
    }

    private let source: Source
    let size: Int
    private var offset = 0
    private var closed = false

    init(_ body: HTTPRequestBody, url: String) throws {
        switch body {
        case .bytes(let bytes):
            source = .bytes(bytes)
            size = bytes.count
        case .file(let path):
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            let end = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1
            guard fd >= 0, end >= 0, lseek(fd, 0, SEEK_SET) == 0 else {
                let reason = String(cString: strerror(errno))
                if fd >= 0 { Glibc.close(fd) }
                throw HTTPError(kind: .localFile, url: url, message: "cannot read request body \(path): \(reason)")
            }
            source = .file(fd: fd, path: path)
            size = Int(end)
        }
    }

    /// Fills `buffer` with up to `capacity` bytes; 0 at the end, nil on a read error.
    func read(into buffer: UnsafeMutableRawPointer, capacity: Int) -> Int? {
        switch source {
        case .bytes(let bytes):
            let n = min(capacity, bytes.count - offset)
            guard n > 0 else { return 0 }
            bytes.withUnsafeBytes { source in
                if let base = source.baseAddress { buffer.copyMemory(from: base + offset, byteCount: n) }
            }
            offset += n
            return n
        case .file(let fd, _):
            while true {
                let n = Glibc.read(fd, buffer, capacity)
                if n < 0, errno == EINTR { continue }
                return n < 0 ? nil : n
            }
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        if case .file(let fd, _) = source { Glibc.close(fd) }
    }

    deinit { close() }
}
