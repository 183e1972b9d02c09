#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation
import Synchronization

/// One log pattern as the scanner runs it.
package struct LogPattern: Sendable {
    package var regex: PortableRegex
    package var ignoreCase: Bool
    /// Lines of context kept before and after each kept match.
    package var before: Int
    package var after: Int

    package init(regex: PortableRegex, ignoreCase: Bool = false, before: Int = 0, after: Int = 0) {
        self.regex = regex
        self.ignoreCase = ignoreCase
        self.before = before
        self.after = after
    }
}

/// A matching line with its 1-based line number, named captures and context lines.
package struct LogMatch: Sendable, Hashable {
    package var pattern: Int
    package var line: Int
    /// The whole line as stored (a `kubectl logs --timestamps` prefix included), cut at `LogScanner.maxLineBytes`.
    package var text: String
    package var captures: [String: String]
    package var before: [String]
    package var after: [String]
}

/// What one pass over one log file found: the first few matches of each pattern and how many there were in all.
package struct LogScanResult: Sendable {
    package var path: String
    package var matches: [LogMatch]
    /// Total matching lines per pattern index (also those beyond the kept ones).
    package var counts: [Int: Int]
    package var bytes: Int
}

/// A log file and the patterns that apply to it (by index into `LogScanner.patterns`).
package struct LogScanJob: Sendable {
    package var path: String
    package var patterns: [Int]
    package init(path: String, patterns: [Int]) {
        self.path = path
        self.patterns = patterns
    }
}

/// Runs every log pattern of every rule in ONE streaming pass per file, files in parallel on all cores.
///
/// Each pattern contributes required literals to one multi-literal search; the pass runs it over the chunk and
/// confirms only the lines where a literal of an applicable pattern occurs with POSIX `regexec` (`REG_STARTEND`, in
/// place). The search skips (`LiteralSkipSearch`) when every literal has at least 5 bytes, as the built-in
/// playbooks' do, and walks `LiteralAutomaton` byte by byte otherwise; both find the same occurrences. Patterns
/// without a usable literal are confirmed on every line of the files they apply to. Chunks end on line boundaries
/// (see `BundleDirectory.forEachLineChunk`), so memory is flat in the file size and no match is lost at a chunk
/// boundary. A leading RFC 3339 timestamp (`kubectl logs --timestamps`) is skipped before matching, so `^` anchors
/// and patterns work the same with and without it.
package struct LogScanner: Sendable {
    package let patterns: [LogPattern]
    /// The patterns' literals, searched by skipping when all are long enough for it, else byte by byte.
    private let prefilter: Prefilter
    private enum Prefilter: Sendable {
        case skipping(LiteralSkipSearch)
        case walking(LiteralAutomaton)
    }
    /// literal id -> pattern indices.
    private let literalOwners: [[Int]]
    /// Patterns with no literal: confirmed on every line.
    private let unfiltered: [Int]
    /// Matches kept per pattern and file (all are counted).
    package var maxKeptPerPattern = 3
    package var chunkSize = 4 << 20
    package static let maxLineBytes = 2000

    /// Builds the prefilter and checks that POSIX accepts every pattern.
    /// - Throws: `PortableRegex.SyntaxError` naming the first pattern `regcomp` refuses.
    package init(patterns: [LogPattern]) throws(PortableRegex.SyntaxError) {
        self.patterns = patterns
        var literals: [String] = []
        var owners: [[Int]] = []
        var unfiltered: [Int] = []
        for (index, pattern) in patterns.enumerated() {
            _ = try pattern.regex.compile(ignoreCase: pattern.ignoreCase)
            if pattern.regex.requiredLiterals.isEmpty {
                unfiltered.append(index)
            }
            for literal in pattern.regex.requiredLiterals {
                if let existing = literals.firstIndex(of: literal) {
                    owners[existing].append(index)
                } else {
                    literals.append(literal)
                    owners.append([index])
                }
            }
        }
        let literalBytes = literals.map { Array($0.lowercased().utf8) }
        // The automaton costs ~10 ms to build for the built-in literals; it is only built when it is used.
        prefilter = LiteralSkipSearch(literals: literalBytes).map(Prefilter.skipping)
            ?? .walking(LiteralAutomaton(literals: literalBytes))
        literalOwners = owners
        self.unfiltered = unfiltered
    }

    /// Scans many files in parallel (largest first), off the cooperative pool.
    /// - Returns: one result per job, in the jobs' order.
    package func scanAll(_ jobs: [LogScanJob], in bundle: BundleDirectory) async throws -> [LogScanResult] {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try self.scanAllBlocking(jobs, in: bundle) })
            }
        }
    }

    /// The blocking form of `scanAll`: `concurrentPerform` with one worker per core pulling files from a queue.
    package func scanAllBlocking(_ jobs: [LogScanJob], in bundle: BundleDirectory) throws -> [LogScanResult] {
        let sizes = jobs.map { bundle.size($0.path) ?? 0 }  // one stat per file, not per comparison
        let order = jobs.indices.sorted { sizes[$0] > sizes[$1] }
        let next = Mutex(0)
        let results = Mutex([Result<LogScanResult, any Error>?](repeating: nil, count: jobs.count))
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, jobs.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            var cache = RegexCache(count: patterns.count)
            let buffer = LineChunkBuffer(capacity: chunkSize)
            while true {
                let k = next.withLock { value -> Int in
                    defer { value += 1 }
                    return value
                }
                guard k < order.count else { return }
                let job = jobs[order[k]]
                let result = Result { try scan(job.path, in: bundle, applying: job.patterns, cache: &cache, buffer: buffer) }
                results.withLock { $0[order[k]] = result }
            }
        }
        return try results.withLock { all in try all.compactMap { try $0?.get() } }
    }

    /// Scans one bundle file with the given patterns.
    package func scan(_ path: String, in bundle: BundleDirectory, applying: [Int]) throws -> LogScanResult {
        var cache = RegexCache(count: patterns.count)
        return try scan(path, in: bundle, applying: applying, cache: &cache, buffer: LineChunkBuffer(capacity: chunkSize))
    }

    private func scan(
        _ path: String, in bundle: BundleDirectory, applying: [Int], cache: inout RegexCache, buffer: LineChunkBuffer
    ) throws -> LogScanResult {
        var state = FileScan(scanner: self, applying: applying)
        let bytes = try bundle.forEachLineChunk(path, buffer: buffer) { chunk in
            guard let base = chunk.baseAddress else { return }
            state.process(base, count: chunk.count, cache: &cache)
        }
        return LogScanResult(path: path, matches: state.matches, counts: state.counts, bytes: bytes)
    }

    /// Scans chunks handed over by `feed` (each must end on a line boundary, except where a line is split).
    /// Used by tests to drive chunk boundaries directly.
    package func scan(chunks: [[UInt8]], applying: [Int]? = nil) -> LogScanResult {
        var cache = RegexCache(count: patterns.count)
        var state = FileScan(scanner: self, applying: applying ?? Array(patterns.indices))
        var bytes = 0
        for chunk in chunks {
            bytes += chunk.count
            chunk.withUnsafeBufferPointer { buffer in
                if let base = buffer.baseAddress { state.process(base, count: buffer.count, cache: &cache) }
            }
        }
        return LogScanResult(path: "", matches: state.matches, counts: state.counts, bytes: bytes)
    }

    /// Adds the applicable patterns that own a literal occurring in `base[from..<to]` (one line) to `set`.
    fileprivate func candidates(
        _ base: UnsafePointer<UInt8>, from: Int, to: Int, applicable: [Bool], into set: inout [Int]
    ) {
        func add(_ literal: Int) {
            for owner in literalOwners[literal] where applicable[owner] && !set.contains(owner) { set.append(owner) }
        }
        switch prefilter {
        case .skipping(let search):
            search.forEachMatch(base, from: from, to: to) { _, literal in add(literal) }
        case .walking(let automaton):
            var state: UInt16 = 0
            var p = from
            while p < to, let hit = automaton.nextHit(base, from: p, to: to, state: &state) {
                for literal in automaton.literals(endingIn: state) { add(literal) }
                p = hit + 1
            }
        }
    }

    /// A byte of the first literal occurrence in `base[from..<to]` (its first byte when skipping, its last byte
    /// with the automaton), or nil; the caller looks back from it for the start of its line.
    fileprivate func firstLiteral(_ base: UnsafePointer<UInt8>, from: Int, to: Int) -> Int? {
        switch prefilter {
        case .skipping(let search):
            return search.firstMatch(base, from: from, to: to)?.start
        case .walking(let automaton):
            var state: UInt16 = 0
            return automaton.nextHit(base, from: from, to: to, state: &state)
        }
    }

    fileprivate var unfilteredPatterns: [Int] { unfiltered }
}

/// Compiled regexes of one worker thread (glibc serialises `regexec` per `regex_t`, so workers never share them).
private struct RegexCache {
    var compiled: [PosixRegex?]
    init(count: Int) { compiled = Array(repeating: nil, count: count) }

    mutating func regex(_ index: Int, of scanner: LogScanner) -> PosixRegex? {
        if let regex = compiled[index] { return regex }
        let pattern = scanner.patterns[index]
        let regex = try? pattern.regex.compile(ignoreCase: pattern.ignoreCase)
        compiled[index] = regex
        return regex
    }
}

/// The state of one file's pass, carried from chunk to chunk.
private struct FileScan {
    let scanner: LogScanner
    var applicable: [Bool]
    let unfiltered: [Int]
    let maxBefore: Int
    var matches: [LogMatch] = []
    var counts: [Int: Int] = [:]
    var kept: [Int: Int] = [:]
    /// Line number of the first line of the next chunk.
    var firstLine = 1
    /// Matches still waiting for `after` context lines: (index into matches, lines still wanted).
    var pending: [(match: Int, remaining: Int)] = []
    /// The last `maxBefore` lines of the previous chunk.
    var tail: [String] = []

    init(scanner: LogScanner, applying: [Int]) {
        self.scanner = scanner
        var applicable = [Bool](repeating: false, count: scanner.patterns.count)
        for index in applying where applicable.indices.contains(index) { applicable[index] = true }
        self.applicable = applicable
        unfiltered = scanner.unfilteredPatterns.filter { applicable[$0] }
        maxBefore = applying.map { scanner.patterns[$0].before }.max() ?? 0
    }

    // MARK: chunk

    mutating func process(_ base: UnsafePointer<UInt8>, count n: Int, cache: inout RegexCache) {
        var lines = LineCounter(first: firstLine)
        collectAfter(base, from: 0, count: n)
        var candidates: [Int] = []
        if unfiltered.isEmpty {
            var pos = 0
            while pos < n, let hit = scanner.firstLiteral(base, from: pos, to: n) {
                var start = hit
                while start > pos, base[start - 1] != UInt8(ascii: "\n") { start -= 1 }
                let end = Self.lineEnd(base, from: hit, count: n)
                candidates.removeAll(keepingCapacity: true)
                scanner.candidates(base, from: start, to: end, applicable: applicable, into: &candidates)
                if !candidates.isEmpty {
                    confirm(base, start: start, end: end, count: n, candidates: candidates, lines: &lines, cache: &cache)
                }
                pos = end + 1
            }
        } else {
            var start = 0
            while start < n {
                let end = Self.lineEnd(base, from: start, count: n)
                candidates = unfiltered
                scanner.candidates(base, from: start, to: end, applicable: applicable, into: &candidates)
                confirm(base, start: start, end: end, count: n, candidates: candidates, lines: &lines, cache: &cache)
                start = end + 1
            }
        }
        firstLine = lines.number(at: n, base)
        if maxBefore > 0 { tail = Self.lastLines(base, count: n, wanted: maxBefore, previous: tail) }
    }

    static func lineEnd(_ base: UnsafePointer<UInt8>, from index: Int, count n: Int) -> Int {
        guard index < n, let found = memchr(base + index, Int32(UInt8(ascii: "\n")), n - index) else { return n }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    static func text(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> String {
        var stop = end
        if stop > start, base[stop - 1] == UInt8(ascii: "\r") { stop -= 1 }
        let length = min(stop - start, LogScanner.maxLineBytes)
        return String(decoding: UnsafeBufferPointer(start: base + start, count: max(0, length)), as: UTF8.self)
    }

    /// Where the message starts: after a leading RFC 3339 timestamp and its space, else at `start`.
    static func contentStart(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        func digit(_ i: Int) -> Bool { base[i] >= UInt8(ascii: "0") && base[i] <= UInt8(ascii: "9") }
        guard end - start > 20, digit(start), digit(start + 1), digit(start + 2), digit(start + 3),
            base[start + 4] == UInt8(ascii: "-"), base[start + 7] == UInt8(ascii: "-"),
            base[start + 10] == UInt8(ascii: "T")
        else { return start }
        var i = start + 11
        let limit = min(end, start + 40)
        while i < limit, base[i] != UInt8(ascii: " ") { i += 1 }
        return i < limit ? i + 1 : start
    }

    // MARK: lines

    mutating func confirm(
        _ base: UnsafePointer<UInt8>, start: Int, end: Int, count n: Int, candidates: [Int],
        lines: inout LineCounter, cache: inout RegexCache
    ) {
        var stop = end
        if stop > start, base[stop - 1] == UInt8(ascii: "\r") { stop -= 1 }
        let content = Self.contentStart(base, start, stop)
        let length = stop - content
        var wantsAfter = false
        for index in candidates.sorted() {
            guard let regex = cache.regex(index, of: scanner) else { continue }
            let pattern = scanner.patterns[index]
            if kept[index, default: 0] >= scanner.maxKeptPerPattern {
                if regex.matches(base + content, count: length) { counts[index, default: 0] += 1 }
                continue
            }
            guard let groups = regex.match(base + content, count: length) else { continue }
            counts[index, default: 0] += 1
            kept[index, default: 0] += 1
            var captures: [String: String] = [:]
            for (name, group) in pattern.regex.captureNames where group < groups.count {
                if let range = groups[group] {
                    captures[name] = String(
                        decoding: UnsafeBufferPointer(start: base + content + range.lowerBound, count: range.count),
                        as: UTF8.self)
                }
            }
            let match = LogMatch(
                pattern: index, line: lines.number(at: start, base), text: Self.text(base, start, end),
                captures: captures, before: before(base, start: start, wanted: pattern.before), after: [])
            matches.append(match)
            if pattern.after > 0 {
                pending.append((matches.count - 1, pattern.after))
                wantsAfter = true
            }
        }
        if wantsAfter { collectAfter(base, from: end + 1, count: n) }
    }

    /// Feeds the lines from `from` to the matches still waiting for context after them.
    mutating func collectAfter(_ base: UnsafePointer<UInt8>, from: Int, count n: Int) {
        var start = from
        while !pending.isEmpty, start < n {
            let end = Self.lineEnd(base, from: start, count: n)
            let line = Self.text(base, start, end)
            for k in pending.indices {
                matches[pending[k].match].after.append(line)
                pending[k].remaining -= 1
            }
            pending.removeAll { $0.remaining <= 0 }
            start = end + 1
        }
    }

    func before(_ base: UnsafePointer<UInt8>, start: Int, wanted: Int) -> [String] {
        guard wanted > 0 else { return [] }
        var out: [String] = []
        var end = start - 1  // the newline ending the previous line
        while out.count < wanted, end >= 0 {
            var s = end
            while s > 0, base[s - 1] != UInt8(ascii: "\n") { s -= 1 }
            out.insert(Self.text(base, s, end), at: 0)
            end = s - 1
        }
        if out.count < wanted { out = Array(tail.suffix(wanted - out.count)) + out }
        return out
    }

    static func lastLines(_ base: UnsafePointer<UInt8>, count n: Int, wanted: Int, previous: [String]) -> [String] {
        var out: [String] = []
        var end = n
        if end > 0, base[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        while out.count < wanted, end > 0 {
            var s = end
            while s > 0, base[s - 1] != UInt8(ascii: "\n") { s -= 1 }
            out.insert(text(base, s, end), at: 0)
            end = s - 1
        }
        if out.count < wanted { out = Array(previous.suffix(wanted - out.count)) + out }
        return out
    }
}

/// Counts newlines lazily (with `memchr`) so a line number costs nothing until a match asks for it.
private struct LineCounter {
    var line: Int
    var counted = 0

    init(first: Int) { line = first }

    mutating func number(at index: Int, _ base: UnsafePointer<UInt8>) -> Int {
        while counted < index {
            guard let found = memchr(base + counted, Int32(UInt8(ascii: "\n")), index - counted) else {
                counted = index
                break
            }
            line += 1
            counted = base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
        }
        return line
    }
}
