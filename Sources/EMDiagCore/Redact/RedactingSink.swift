import Synchronization

/// Where redacted bytes go: the bundle staging writer (which hashes as it writes), a file, or memory.
package protocol ByteSink: Sendable {
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// A `ByteSink` that keeps everything in memory (tests, small texts).
package final class MemoryByteSink: ByteSink {
    private let storage = Mutex<[UInt8]>([])

    package init() {}

    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        storage.withLock { $0.append(contentsOf: bytes) }
    }

    package var bytes: [UInt8] { storage.withLock { $0 } }
}

/// Splits a byte stream into lines for a `LineRedactor`: partial lines wait for the next chunk, CRLF passes
/// through, a last line without newline is redacted at the end, and a line longer than `maxLineBytes` is
/// redacted in pieces (cut at a space, comma or semicolon when one is near) so memory stays flat.
struct RedactionStream {
    static let maxLineBytes = 1 << 20

    var lines: LineRedactor
    private var carry: [UInt8] = []
    /// The longest partial line held at once.
    private(set) var peakCarry = 0

    init(rules: CompiledRules) {
        lines = LineRedactor(rules: rules)
    }

    mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        var start = 0
        if !carry.isEmpty {
            guard let newline = Bytes.newline(in: chunk, from: 0) else {
                carry.append(contentsOf: chunk)
                peakCarry = max(peakCarry, carry.count)
                return try cutLongLine(emit: emit)
            }
            carry.append(contentsOf: chunk[0...newline])
            try withCarry { line, buffer in try line.redact(lines: buffer, emit: emit) }
            start = newline + 1
        }
        var lastNewline = chunk.count - 1
        while lastNewline >= start, chunk[lastNewline] != 10 { lastNewline -= 1 }
        if lastNewline >= start {
            try lines.redact(lines: UnsafeBufferPointer(rebasing: chunk[start...lastNewline]), emit: emit)
            start = lastNewline + 1
        }
        if start < chunk.count {
            carry.append(contentsOf: chunk[start...])
            peakCarry = max(peakCarry, carry.count)
            try cutLongLine(emit: emit)
        }
    }

    /// Redacts a whole text in memory; returns the result and the counts per slot.
    static func redact(_ bytes: [UInt8], rules: CompiledRules) -> ([UInt8], [Int]) {
        var stream = RedactionStream(rules: rules)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        bytes.withUnsafeBufferPointer { stream.feed($0) { out.append(contentsOf: $0) } }
        stream.finish { out.append(contentsOf: $0) }
        return (out, stream.lines.counts)
    }

    /// Redacts the last line when it has no newline.
    mutating func finish(emit: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        guard !carry.isEmpty else { return }
        try withCarry { line, buffer in try line.redact(line: buffer, emit: emit) }
    }

    private mutating func cutLongLine(emit: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        while carry.count >= Self.maxLineBytes {
            var cut = Self.maxLineBytes
            for i in stride(from: Self.maxLineBytes - 1, through: Self.maxLineBytes - 4096, by: -1)
            where carry[i] == 32 || carry[i] == 44 || carry[i] == 59 {
                cut = i + 1
                break
            }
            let rest = Array(carry[cut...])
            carry.removeSubrange(cut...)
            try withCarry { line, buffer in try line.redact(line: buffer, emit: emit) }
            carry = rest
        }
    }

    /// Runs `body` over the carried bytes, then empties the carry (keeping its capacity).
    private mutating func withCarry(
        _ body: (inout LineRedactor, UnsafeBufferPointer<UInt8>) throws -> Void
    ) rethrows {
        var pending: [UInt8] = []
        swap(&pending, &carry)
        defer {
            pending.removeAll(keepingCapacity: true)
            carry = pending
        }
        try pending.withUnsafeBufferPointer { try body(&lines, $0) }
    }
}

/// Output waiting to be written, in blocks of about `flushBytes`.
struct OutputBuffer {
    static let flushBytes = 256 * 1024
    private var bytes: [UInt8] = []
    /// The most bytes held at once.
    private(set) var peak = 0

    mutating func append(_ chunk: UnsafeBufferPointer<UInt8>, to output: any ByteSink) throws {
        if chunk.count >= Self.flushBytes {
            try flush(to: output)
            try output.write(UnsafeRawBufferPointer(chunk))
            return
        }
        bytes.append(contentsOf: chunk)
        peak = max(peak, bytes.count)
        if bytes.count >= Self.flushBytes { try flush(to: output) }
    }

    mutating func flush(to output: any ByteSink) throws {
        guard !bytes.isEmpty else { return }
        try bytes.withUnsafeBytes { try output.write($0) }
        bytes.removeAll(keepingCapacity: true)
    }
}

/// Redacts a stream (a container log as libcurl delivers it, or any file) into a `ByteSink`, counting hidden
/// values per rule for one bundle file. Use it as the transport's `HTTPResponseSink.consumer`, or call
/// `write(_:)` yourself; `finish()` (or `close()`) flushes the last line and records the counts in the report.
/// Memory per sink is bounded: at most one line (capped at `RedactionStream.maxLineBytes`) plus one
/// output block (`OutputBuffer.flushBytes`).
package final class RedactingSink: HTTPBodyConsumer, ByteSink {
    private struct State {
        var stream: RedactionStream?  // nil when redaction is disabled: bytes pass through
        var out = OutputBuffer()
        var finished = false
        var error: (any Error)?
    }

    package let file: String
    private let output: any ByteSink
    private let redactor: Redactor
    private let state: Mutex<State>

    init(file: String, output: any ByteSink, redactor: Redactor, rules: CompiledRules?) {
        self.file = file
        self.output = output
        self.redactor = redactor
        state = Mutex(State(stream: rules.map { RedactionStream(rules: $0) }))
    }

    /// The first write error, if any (the transport then stops with `HTTPError.aborted`).
    package var error: (any Error)? { state.withLock { $0.error } }

    /// The most bytes this sink held at once (a partial line plus pending output), for memory checks.
    package var peakBufferedBytes: Int {
        state.withLock { ($0.stream?.peakCarry ?? 0) + $0.out.peak }
    }

    package func consume(_ chunk: UnsafeRawBufferPointer) -> Bool {
        (try? write(chunk)) != nil
    }

    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        let output = output
        try state.withLock { state in
            if let error = state.error { throw error }
            var out = state.out
            state.out = OutputBuffer()
            defer { state.out = out }
            do {
                let chunk = bytes.assumingMemoryBound(to: UInt8.self)
                if state.stream == nil {
                    try out.append(chunk, to: output)
                } else {
                    try state.stream?.feed(chunk) { try out.append($0, to: output) }
                }
            } catch {
                state.error = error
                throw error
            }
        }
    }

    package func finish() {
        _ = try? close()
    }

    /// Flushes everything, records the counts once, and returns the values hidden in this file per rule id.
    @discardableResult
    package func close() throws -> [String: Int] {
        let output = output
        let (counts, error) = state.withLock { state -> ([Int], (any Error)?) in
            if !state.finished {
                state.finished = true
                var out = state.out
                state.out = OutputBuffer()
                defer { state.out = out }
                do {
                    try state.stream?.finish { try out.append($0, to: output) }
                    try out.flush(to: output)
                } catch {
                    state.error = state.error ?? error
                }
                if let counts = state.stream?.lines.counts { redactor.record(file: file, counts: counts) }
            }
            return (state.stream?.lines.counts ?? [], state.error)
        }
        if let error { throw error }
        return redactor.named(counts)
    }
}
