/// A multi-literal searcher (Aho-Corasick compiled to a dense DFA over byte classes), ASCII case-insensitive.
///
/// It finds, in one pass over a buffer, every place where one of the required literals of the loaded log patterns
/// ends; only the lines holding such a place are handed to `regexec`. States are renumbered so that every state
/// that reports literals has an id at or above `firstOutputState`: the hot loop is one table load and one compare
/// per byte.
package struct LiteralPrefilter: Sendable {
    /// `transitions[state * classCount + byteClass[byte]]`.
    private let transitions: [UInt16]
    private let byteClass: [UInt16]
    private let classCount: Int
    /// States `>= firstOutputState` report literals.
    let firstOutputState: UInt16
    /// For each output state (indexed `state - firstOutputState`), the ids of the literals ending there.
    private let outputs: [[Int]]

    /// Builds the automaton; `literals` are matched case-insensitively (ASCII). Empty literals are ignored.
    package init(literals: [String]) {
        let lowered = literals.map { Array($0.lowercased().utf8) }
        // 1. Trie.
        var children: [[UInt8: Int]] = [[:]]
        var ends: [[Int]] = [[]]
        for (id, word) in lowered.enumerated() where !word.isEmpty {
            var node = 0
            for byte in word {
                if let next = children[node][byte] {
                    node = next
                } else {
                    children.append([:])
                    ends.append([])
                    children[node][byte] = children.count - 1
                    node = children.count - 1
                }
            }
            ends[node].append(id)
        }
        // 2. Byte classes: every byte used by a literal (both cases) gets its own class; the rest share class 0.
        var classOf = [UInt16](repeating: 0, count: 256)
        var used: [UInt8] = Array(Set(lowered.joined())).sorted()
        used.removeAll { $0 == 0 }
        for (index, byte) in used.enumerated() {
            classOf[Int(byte)] = UInt16(index + 1)
            if byte >= UInt8(ascii: "a"), byte <= UInt8(ascii: "z") { classOf[Int(byte - 32)] = UInt16(index + 1) }
        }
        let classes = used.count + 1
        // 3. Failure links (BFS) and the full DFA over classes.
        let count = children.count
        var fail = [Int](repeating: 0, count: count)
        var delta = [Int](repeating: 0, count: count * classes)
        var order: [Int] = []
        for (index, byte) in used.enumerated() {
            if let child = children[0][byte] {
                delta[index + 1] = child
                order.append(child)
            }
        }
        var head = 0
        while head < order.count {
            let node = order[head]
            head += 1
            ends[node] += ends[fail[node]]
            for cls in 0..<classes {
                let byte: UInt8? = cls == 0 ? nil : used[cls - 1]
                if let byte, let child = children[node][byte] {
                    fail[child] = delta[fail[node] * classes + cls]
                    delta[node * classes + cls] = child
                    order.append(child)
                } else {
                    delta[node * classes + cls] = delta[fail[node] * classes + cls]
                }
            }
        }
        // 4. Renumber: silent states first, reporting states last.
        let silent = (0..<count).filter { ends[$0].isEmpty }
        let loud = (0..<count).filter { !ends[$0].isEmpty }
        var newID = [Int](repeating: 0, count: count)
        for (n, old) in (silent + loud).enumerated() { newID[old] = n }
        var table = [UInt16](repeating: 0, count: count * classes)
        for old in 0..<count {
            for cls in 0..<classes {
                table[newID[old] * classes + cls] = UInt16(truncatingIfNeeded: newID[delta[old * classes + cls]])
            }
        }
        transitions = table
        byteClass = classOf
        classCount = classes
        firstOutputState = UInt16(silent.count)
        outputs = loud.map { Array(Set(ends[$0])).sorted() }
    }

    /// Runs from `start` to `end`, carrying `state`; returns the index of the first byte at which literals end
    /// (with `state` set to the reporting state), or nil when `end` was reached.
    @inline(__always)
    package func nextHit(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int, state: inout UInt16) -> Int? {
        transitions.withUnsafeBufferPointer { table in
            byteClass.withUnsafeBufferPointer { classes in
                var s = Int(state)
                let threshold = Int(firstOutputState)
                let width = classCount
                var i = start
                while i < end {
                    s = Int(table[s &* width &+ Int(classes[Int(base[i])])])
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
    }

    /// The literal ids that end in reporting state `state`.
    package func literals(endingIn state: UInt16) -> [Int] {
        state >= firstOutputState ? outputs[Int(state - firstOutputState)] : []
    }

    /// Number of automaton states (for diagnostics and limits).
    package var stateCount: Int { transitions.count / classCount }
}
