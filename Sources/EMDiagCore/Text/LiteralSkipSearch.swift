/// Finds many literals at once, ignoring ASCII case, by skipping over text that cannot hold one (Wu-Manber).
///
/// `LiteralAutomaton` reads every byte; this search reads one 3-byte block per step and jumps ahead by up to
/// `window - 2` bytes, where `window` is the length of the shortest literal. A literal occurrence ends its first
/// `window` bytes on some block; `shifts[h]` is how far the text may move before a block hashing to `h` could be
/// that last block, so a step never jumps over an occurrence. Where the shift is 0 the literals whose `window`-prefix
/// ends in such a block are compared in full. With the built-in playbooks' 34 literals (the shortest 15 bytes) the
/// skip loop costs 1.7 instructions a byte of log text (callgrind), and the scan runs 3.4x faster than on the
/// automaton, which makes one dependent table load per byte (`docs/benchmarks.md`).
///
/// The block hash keeps the low 5 bits of each byte: ASCII case folds for free (`A` and `a` share them) and the
/// table is 32 KiB. Other bytes share hashes too (`0` and `p`), which only makes some shifts shorter than they could
/// be; the full comparison decides. Occurrences are the same as `LiteralAutomaton`'s over the same literals
/// (`LiteralSkipSearchTests` checks that on random texts).
package struct LiteralSkipSearch: Sendable {
    /// Bytes hashed per step.
    static let block = 3
    /// The shortest literal worth skipping for: below it the automaton is as fast.
    package static let minimumWindow = 5
    /// Longer windows gain little and the shift table stores `UInt8`s.
    static let maximumWindow = 64

    /// The length of the shortest literal, capped at `maximumWindow`.
    package let window: Int
    /// Indexed by block hash: how far the window may move (`0`: compare the bucket's literals).
    private let shifts: [UInt8]
    /// The literals whose `window`-prefix ends in a block of hash `h`: `bucketLiterals[bucketStart[h]..<bucketStart[h + 1]]`.
    private let bucketStart: [Int32]
    private let bucketLiterals: [Int32]
    /// The lower-cased literals, back to back: literal `id` is `bytes[starts[id]..<starts[id + 1]]`.
    private let bytes: [UInt8]
    private let starts: [Int]

    /// Builds the tables, or returns nil when a literal is shorter than `minimumWindow` bytes (or there is none):
    /// the caller then uses `LiteralAutomaton`. Literal ids are the indices in `literals`.
    package init?(literals: [[UInt8]]) {
        guard let shortest = literals.map(\.count).min(), shortest >= Self.minimumWindow else { return nil }
        let window = min(shortest, Self.maximumWindow)
        var shifts = [UInt8](repeating: UInt8(window - Self.block + 1), count: 1 << 15)
        var buckets = [[Int32]](repeating: [], count: 1 << 15)
        var bytes: [UInt8] = []
        var starts = [0]
        for (id, literal) in literals.enumerated() {
            let lower = literal.map(LiteralAutomaton.lower)
            bytes += lower
            starts.append(bytes.count)
            for end in (Self.block - 1)..<window {
                let h = Self.hash(lower[end - 2], lower[end - 1], lower[end])
                shifts[h] = min(shifts[h], UInt8(window - 1 - end))
            }
            buckets[Self.hash(lower[window - 3], lower[window - 2], lower[window - 1])].append(Int32(id))
        }
        var bucketStart: [Int32] = [0]
        bucketStart.reserveCapacity(buckets.count + 1)
        for bucket in buckets { bucketStart.append(bucketStart[bucketStart.count - 1] + Int32(bucket.count)) }
        self.window = window
        self.shifts = shifts
        self.bucketStart = bucketStart
        self.bucketLiterals = buckets.flatMap { $0 }
        self.bytes = bytes
        self.starts = starts
    }

    /// The 15-bit hash of three bytes: their low 5 bits each.
    @inline(__always)
    static func hash(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int {
        let low = Int(a & 31)
        let middle = Int(b & 31) << 5
        return low | middle | Int(c & 31) << 10
    }

    /// The same hash from a little-endian word holding the bytes at `end - 3 ... end` (the lowest byte unused).
    @inline(__always)
    static func hash(word w: UInt32) -> Int {
        let a: UInt32 = (w >> 8) & 0x1F
        let b: UInt32 = (w >> 11) & 0x3E0
        let c: UInt32 = (w >> 14) & 0x7C00
        return Int(a | b | c)
    }

    /// The length of literal `id`.
    package func length(_ id: Int) -> Int { starts[id + 1] - starts[id] }

    /// The first literal occurrence that lies wholly in `base[from..<to]`: the one that starts first (and, among
    /// those, the first in `literals`). Returns its start and literal id, or nil.
    package func firstMatch(_ base: UnsafePointer<UInt8>, from: Int, to: Int) -> (start: Int, literal: Int)? {
        var found: (start: Int, literal: Int)?
        search(base, from: from, to: to) { start, id in
            found = (start, id)
            return false
        }
        return found
    }

    /// Calls `body(start, literalID)` for every literal occurrence in `base[from..<to]`, ordered by start.
    package func forEachMatch(_ base: UnsafePointer<UInt8>, from: Int, to: Int, _ body: (Int, Int) -> Void) {
        search(base, from: from, to: to) { start, id in
            body(start, id)
            return true
        }
    }

    /// The skip loop; `found` returns whether to go on.
    @inline(__always)
    private func search(_ base: UnsafePointer<UInt8>, from: Int, to: Int, _ found: (Int, Int) -> Bool) {
        let window = self.window
        shifts.withUnsafeBufferPointer { shifts in
            var end = from + window - 1  // the last byte of the window
            while end < to {
                // Bytes end-3 ... end (end - 3 >= from since window >= 5); the low byte is not hashed.
                let word = UInt32(littleEndian: UnsafeRawPointer(base + end - 3).loadUnaligned(as: UInt32.self))
                let h = Self.hash(word: word)
                let shift = Int(shifts[h])
                if shift != 0 {
                    end &+= shift
                    continue
                }
                let start = end - window + 1
                for k in Int(bucketStart[h])..<Int(bucketStart[h + 1]) {
                    let id = Int(bucketLiterals[k])
                    if occurs(id, base, at: start, to: to), !found(start, id) { return }
                }
                end &+= 1
            }
        }
    }

    /// Whether literal `id` occurs at `base[start...]` within `to`, ignoring ASCII case.
    @inline(__always)
    private func occurs(_ id: Int, _ base: UnsafePointer<UInt8>, at start: Int, to: Int) -> Bool {
        let first = starts[id]
        let count = starts[id + 1] - first
        guard start + count <= to else { return false }
        return bytes.withUnsafeBufferPointer { literal in
            var i = 0
            while i < count {
                if LiteralAutomaton.lower(base[start + i]) != literal[first + i] { return false }
                i += 1
            }
            return true
        }
    }
}
