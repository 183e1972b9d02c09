/// A small pure-Swift gzip / DEFLATE (RFC 1951/1952) decoder, for Helm release records only
/// (`sh.helm.release.v1.*` Secrets are base64(gzip(JSON))): the core has no C, and Foundation on Linux has no
/// decompression API. Inputs are small; output is capped to refuse bombs.
package enum Inflate {
    package struct Failure: Error, Sendable, Equatable {
        package var message: String
    }

    /// Decodes a gzip member. Throws on a damaged stream or output beyond `limit` bytes.
    package static func gunzip(_ data: [UInt8], limit: Int = 64 << 20) throws(Failure) -> [UInt8] {
        guard data.count >= 18, data[0] == 0x1f, data[1] == 0x8b, data[2] == 8 else { throw Failure(message: "not gzip data") }
        let flags = data[3]
        var pos = 10
        if flags & 4 != 0 {
            guard pos + 2 <= data.count else { throw Failure(message: "truncated gzip header") }
            pos += 2 + Int(data[pos]) + Int(data[pos + 1]) << 8
        }
        for bit: UInt8 in [8, 16] where flags & bit != 0 {
            while pos < data.count, data[pos] != 0 { pos += 1 }
            pos += 1
        }
        if flags & 2 != 0 { pos += 2 }
        guard pos < data.count else { throw Failure(message: "truncated gzip header") }
        return try inflate(Array(data[pos...]), limit: limit)
    }

    /// Decodes a raw DEFLATE stream.
    package static func inflate(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        var reader = BitReader(bytes: input)
        var out: [UInt8] = []
        var final = false
        while !final {
            final = try reader.bits(1) == 1
            switch try reader.bits(2) {
            case 0:
                reader.alignToByte()
                let length = try reader.bits(16)
                _ = try reader.bits(16)
                for _ in 0..<length { out.append(UInt8(try reader.bits(8))) }
            case 1:
                try block(&reader, &out, Huffman.fixedLiteral, Huffman.fixedDistance, limit: limit)
            case 2:
                let (literal, distance) = try dynamicTables(&reader)
                try block(&reader, &out, literal, distance, limit: limit)
            default:
                throw Failure(message: "invalid DEFLATE block type")
            }
            guard out.count <= limit else { throw Failure(message: "output exceeds \(limit) bytes") }
        }
        return out
    }

    static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    static func block(_ r: inout BitReader, _ out: inout [UInt8], _ lit: Huffman, _ dist: Huffman, limit: Int) throws(Failure) {
        while true {
            let symbol = try lit.decode(&r)
            if symbol < 256 {
                out.append(UInt8(symbol))
            } else if symbol == 256 {
                return
            } else {
                let index = symbol - 257
                guard index < lengthBase.count else { throw Failure(message: "invalid length symbol") }
                let length = lengthBase[index] + (try r.bits(lengthExtra[index]))
                let d = try dist.decode(&r)
                guard d < distanceBase.count else { throw Failure(message: "invalid distance symbol") }
                let distance = distanceBase[d] + (try r.bits(distanceExtra[d]))
                guard distance <= out.count else { throw Failure(message: "distance before the start of the output") }
                let start = out.count - distance
                for k in 0..<length { out.append(out[start + k]) }
                guard out.count <= limit else { throw Failure(message: "output exceeds \(limit) bytes") }
            }
        }
    }

    static func dynamicTables(_ r: inout BitReader) throws(Failure) -> (Huffman, Huffman) {
        let literals = try r.bits(5) + 257
        let distances = try r.bits(5) + 1
        let codeLengthCount = try r.bits(4) + 4
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var codeLengths = [Int](repeating: 0, count: 19)
        for i in 0..<codeLengthCount { codeLengths[order[i]] = try r.bits(3) }
        let codeLengthCode = try Huffman(lengths: codeLengths)
        var lengths: [Int] = []
        while lengths.count < literals + distances {
            let symbol = try codeLengthCode.decode(&r)
            switch symbol {
            case 0..<16: lengths.append(symbol)
            case 16:
                guard let last = lengths.last else { throw Failure(message: "repeat with no previous length") }
                lengths += Array(repeating: last, count: 3 + (try r.bits(2)))
            case 17: lengths += Array(repeating: 0, count: 3 + (try r.bits(3)))
            default: lengths += Array(repeating: 0, count: 11 + (try r.bits(7)))
            }
        }
        return (try Huffman(lengths: Array(lengths[0..<literals])), try Huffman(lengths: Array(lengths[literals..<(literals + distances)])))
    }

    /// LSB-first bit reader.
    struct BitReader {
        let bytes: [UInt8]
        var position = 0
        var bitBuffer = 0
        var bitCount = 0

        mutating func bits(_ n: Int) throws(Failure) -> Int {
            while bitCount < n {
                guard position < bytes.count else { throw Failure(message: "unexpected end of compressed data") }
                bitBuffer |= Int(bytes[position]) << bitCount
                position += 1
                bitCount += 8
            }
            let value = bitBuffer & ((1 << n) - 1)
            bitBuffer >>= n
            bitCount -= n
            return value
        }

        mutating func alignToByte() {
            bitBuffer = 0
            bitCount = 0
        }
    }

    /// Canonical Huffman code decoded bit by bit (counts per length + sorted symbols, as in zlib's puff).
    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []

        init(lengths: [Int]) throws(Failure) {
            for length in lengths { counts[length] += 1 }
            counts[0] = 0
            var offsets = [Int](repeating: 0, count: 16)
            for length in 1..<16 { offsets[length] = offsets[length - 1] + counts[length - 1] }
            symbols = [Int](repeating: 0, count: lengths.count)
            for (symbol, length) in lengths.enumerated() where length != 0 {
                symbols[offsets[length]] = symbol
                offsets[length] += 1
            }
        }

        func decode(_ r: inout BitReader) throws(Failure) -> Int {
            var code = 0
            var first = 0
            var index = 0
            for length in 1..<16 {
                code |= try r.bits(1)
                let count = counts[length]
                if code - count < first { return symbols[index + (code - first)] }
                index += count
                first = (first + count) << 1
                code <<= 1
            }
            throw Failure(message: "invalid Huffman code")
        }

        static let fixedLiteral: Huffman = {
            let lengths = Array(repeating: 8, count: 144) + Array(repeating: 9, count: 112) + Array(repeating: 7, count: 24) + Array(repeating: 8, count: 8)
            return (try? Huffman(lengths: lengths)) ?? Huffman()
        }()
        static let fixedDistance: Huffman = (try? Huffman(lengths: Array(repeating: 5, count: 30))) ?? Huffman()

        private init() {}
    }
}
