/// Finds many literals at once, ignoring ASCII case: Aho-Corasick compiled to a dense DFA (256 entries a state).
///
/// One pass over a buffer finds every place where a literal ends. States are renumbered so that every state that
/// reports literals has an id at or above `firstOutputState`: the hot loop is one table load and one compare per
/// byte. The log scanner uses it to pick the lines it confirms with `regexec`; the redactor copies a line in
/// which no trigger literal occurs unchanged.
package struct LiteralAutomaton: Sendable {
    /// Upper bound on states (they are stored as UInt16).
    package static let maxStates = Int(UInt16.max)

    /// `transitions[state << 8 | byte]`; upper-case letters move like their lower-case forms.
    private let transitions: [UInt16]
    /// States `>= firstOutputState` report literals.
    private let firstOutputState: UInt16
    /// The ids of the literals ending in output state `s`, the longest first:
    /// `outputs[outputStart[s - firstOutputState]..<outputStart[s - firstOutputState + 1]]`.
    private let outputStart: [Int]
    private let outputs: [Int]
    /// Byte length of each literal id.
    package let lengths: [Int]

    /// Builds the automaton; literal ids are the indices in `literals`, matched ignoring ASCII case. Empty
    /// literals, and literals that would take it past `maxStates` states, are left out (callers cap their input
    /// so that the latter does not happen).
    package init(literals: [[UInt8]]) {
        // 1. Trie over lower-cased bytes.
        var children: [[UInt8: Int]] = [[:]]
        var ends: [[Int]] = [[]]
        for (id, literal) in literals.enumerated() where !literal.isEmpty {
            guard children.count + literal.count <= Self.maxStates else { continue }
            var state = 0
            for byte in literal {
                let c = Self.lower(byte)
                if let next = children[state][c] {
                    state = next
                } else {
                    children.append([:])
                    ends.append([])
                    children[state][c] = children.count - 1
                    state = children.count - 1
                }
            }
            ends[state].append(id)
        }
        // 2. Failure links (BFS) and the full DFA; upper-case letters copy their lower-case transitions.
        let count = children.count
        var delta = [Int](repeating: 0, count: count * 256)
        var fail = [Int](repeating: 0, count: count)
        var queue = [0]
        var head = 0
        while head < queue.count {
            let state = queue[head]
            head += 1
            if state != 0 { ends[state] += ends[fail[state]] }
            let row = state * 256
            for c in 0..<256 where !(65...90).contains(c) {
                if let child = children[state][UInt8(c)] {
                    fail[child] = state == 0 ? 0 : delta[fail[state] * 256 + c]
                    delta[row + c] = child
                    queue.append(child)
                } else {
                    delta[row + c] = state == 0 ? 0 : delta[fail[state] * 256 + c]
                }
            }
            for c in 65...90 { delta[row + c] = delta[row + c + 32] }
        }
        // 3. Renumber: silent states first, reporting states last.
        let silent = (0..<count).filter { ends[$0].isEmpty }
        let loud = (0..<count).filter { !ends[$0].isEmpty }
        var newID = [Int](repeating: 0, count: count)
        for (n, old) in (silent + loud).enumerated() { newID[old] = n }
        var table = [UInt16](repeating: 0, count: count * 256)
        for old in 0..<count {
            for c in 0..<256 {
                table[newID[old] << 8 | c] = UInt16(truncatingIfNeeded: newID[delta[old * 256 + c]])
            }
        }
        transitions = table
        firstOutputState = UInt16(silent.count)
        var start = [0]
        for state in loud { start.append(start[start.count - 1] + ends[state].count) }
        outputStart = start
        outputs = loud.flatMap { ends[$0] }
        lengths = literals.map(\.count)
    }

    /// ASCII lower case of one byte.
    package static func lower(_ b: UInt8) -> UInt8 {
        (65...90).contains(b) ? b | 0x20 : b
    }

    /// Runs from `start` to `end`, carrying `state` (0 at the beginning of a text); returns the index of the first
    /// byte at which literals end (with `state` set to the reporting state), or nil when `end` was reached.
    @inline(__always)
    package func nextHit(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int, state: inout UInt16) -> Int? {
        transitions.withUnsafeBufferPointer { table in
            var s = Int(state)
            let threshold = Int(firstOutputState)
            var i = start
            while i < end {
                s = Int(table[s &<< 8 | Int(base[i])])
                if s >= threshold {
                    state = UInt16(truncatingIfNeeded: s)
                    return i
                }
                i &+= 1
            }
            state = UInt16(truncatingIfNeeded: s)
            return nil
        }
    }

    /// The literal ids that end in reporting state `state`, the longest literal first.
    package func literals(endingIn state: UInt16) -> ArraySlice<Int> {
        guard state >= firstOutputState else { return [] }
        let k = Int(state - firstOutputState)
        return outputs[outputStart[k]..<outputStart[k + 1]]
    }

    /// Number of automaton states (for diagnostics and limits).
    package var stateCount: Int { transitions.count >> 8 }

    /// The index of the last byte of the first literal occurrence in `bytes[from...]`, or nil.
    package func firstMatchEnd(in bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        var state: UInt16 = 0
        return nextHit(base, from: from, to: bytes.count, state: &state)
    }

    /// Calls `found(start, literalID)` for every literal occurrence in `bytes`, in order of their ends.
    package func forEachMatch(in bytes: UnsafeBufferPointer<UInt8>, _ found: (Int, Int) -> Void) {
        let threshold = Int(firstOutputState)
        var s = 0
        for i in 0..<bytes.count {
            s = Int(transitions[s &<< 8 | Int(bytes[i])])
            guard s >= threshold else { continue }
            for k in outputStart[s - threshold]..<outputStart[s - threshold + 1] {
                found(i + 1 - lengths[outputs[k]], outputs[k])
            }
        }
    }
}
