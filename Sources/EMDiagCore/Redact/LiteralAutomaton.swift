/// Finds many literals at once, ignoring ASCII case: a dense Aho-Corasick automaton (one table lookup per byte).
/// It is the redactor's prefilter: a line in which no trigger literal occurs is copied unchanged.
struct LiteralAutomaton: Sendable {
    /// Upper bound on states (they are stored as UInt16).
    static let maxStates = Int(UInt16.max)

    /// state * 256 + byte -> next state; upper-case letters map like their lower-case forms.
    private let table: [UInt16]
    /// Whether any literal ends in a state.
    private let accepting: [Bool]
    /// Literal ids ending in each state: `outputs[outputStart[s]..<outputStart[s + 1]]`.
    private let outputStart: [Int32]
    private let outputs: [Int32]
    /// Byte length of each literal id.
    let lengths: [Int]

    /// Builds the automaton; literal ids are the indices in `literals`. Literals that would take it past
    /// `maxStates` states are left out (callers cap their input so that this does not happen).
    init(literals: [[UInt8]]) {
        var children: [[UInt8: Int]] = [[:]]
        var ends: [[Int32]] = [[]]
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
            ends[state].append(Int32(id))
        }
        let count = children.count
        var table = [UInt16](repeating: 0, count: count * 256)
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
                    fail[child] = state == 0 ? 0 : Int(table[fail[state] * 256 + c])
                    table[row + c] = UInt16(child)
                    queue.append(child)
                } else {
                    table[row + c] = state == 0 ? 0 : table[fail[state] * 256 + c]
                }
            }
            for c in 65...90 { table[row + c] = table[row + c + 32] }
        }
        self.table = table
        accepting = ends.map { !$0.isEmpty }
        var start: [Int32] = [0]
        var flat: [Int32] = []
        for list in ends {
            flat += list
            start.append(Int32(flat.count))
        }
        outputStart = start
        outputs = flat
        lengths = literals.map(\.count)
    }

    static func lower(_ b: UInt8) -> UInt8 {
        (65...90).contains(b) ? b | 0x20 : b
    }

    /// The index of the last byte of the first literal occurrence in `bytes[from...]`, or nil.
    func firstMatchEnd(in bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        table.withUnsafeBufferPointer { t in
            accepting.withUnsafeBufferPointer { acc in
                var state = 0
                var i = from
                let end = bytes.count
                while i < end {
                    state = Int(t[state &<< 8 | Int(bytes[i])])
                    if acc[state] { return i }
                    i &+= 1
                }
                return nil
            }
        }
    }

    /// Calls `found(start, literalID)` for every literal occurrence in `bytes`.
    func forEachMatch(in bytes: UnsafeBufferPointer<UInt8>, _ found: (Int, Int) -> Void) {
        var state = 0
        for i in 0..<bytes.count {
            state = Int(table[state &<< 8 | Int(bytes[i])])
            guard accepting[state] else { continue }
            for k in Int(outputStart[state])..<Int(outputStart[state + 1]) {
                let id = Int(outputs[k])
                found(i + 1 - lengths[id], id)
            }
        }
    }
}
