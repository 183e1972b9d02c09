import Foundation

/// A strict RFC 8259 reader into `JSONValue`, used by `JSONValue.parse`. `JSONDecoder` reached `JSONValue` only by
/// trying each type in turn (a thrown error per miss), which made reading the bundle's lists a quarter of
/// `emdiag analyze`'s time; this reads each byte once. Same results as `JSONDecoder` on valid JSON.
struct JSONParser {
    /// Why the bytes are not JSON, with the byte offset.
    struct SyntaxError: Error, CustomStringConvertible, Sendable {
        var offset: Int
        var reason: String
        var description: String { "not valid JSON at byte \(offset): \(reason)" }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var at = 0
    private var depth = 0
    private static let maxDepth = 512

    static func parse(_ data: UnsafeBufferPointer<UInt8>) throws(SyntaxError) -> JSONValue {
        var parser = JSONParser(bytes: data)
        let value = try parser.value()
        parser.skipSpace()
        guard parser.at == data.count else { throw parser.error("unexpected text after the value") }
        return value
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private func error(_ reason: String) -> SyntaxError { SyntaxError(offset: at, reason: reason) }

    private mutating func skipSpace() {
        while at < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[at]) { at += 1 }
    }

    private mutating func expect(_ word: String) throws(SyntaxError) {
        for byte in word.utf8 {
            guard at < bytes.count, bytes[at] == byte else { throw error("expected \(word)") }
            at += 1
        }
    }

    private mutating func value() throws(SyntaxError) -> JSONValue {
        skipSpace()
        guard at < bytes.count else { throw error("unexpected end of input") }
        switch bytes[at] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        default: return .number(try number())
        }
    }

    private mutating func nested<T>(_ body: (inout JSONParser) throws(SyntaxError) -> T) throws(SyntaxError) -> T {
        depth += 1
        guard depth <= Self.maxDepth else { throw error("nested too deeply") }
        defer { depth -= 1 }
        at += 1
        return try body(&self)
    }

    private mutating func object() throws(SyntaxError) -> JSONValue {
        try nested { (p: inout JSONParser) throws(SyntaxError) -> JSONValue in
            var members: [String: JSONValue] = [:]
            p.skipSpace()
            if p.at < p.bytes.count, p.bytes[p.at] == UInt8(ascii: "}") {
                p.at += 1
                return .object(members)
            }
            while true {
                p.skipSpace()
                guard p.at < p.bytes.count, p.bytes[p.at] == UInt8(ascii: "\"") else { throw p.error("expected a key") }
                let key = try p.string()
                p.skipSpace()
                try p.expect(":")
                members[key] = try p.value()
                p.skipSpace()
                guard p.at < p.bytes.count else { throw p.error("unexpected end of input in an object") }
                p.at += 1
                if p.bytes[p.at - 1] == UInt8(ascii: "}") { return .object(members) }
                guard p.bytes[p.at - 1] == UInt8(ascii: ",") else { p.at -= 1; throw p.error("expected , or }") }
            }
        }
    }

    private mutating func array() throws(SyntaxError) -> JSONValue {
        try nested { (p: inout JSONParser) throws(SyntaxError) -> JSONValue in
            var items: [JSONValue] = []
            p.skipSpace()
            if p.at < p.bytes.count, p.bytes[p.at] == UInt8(ascii: "]") {
                p.at += 1
                return .array(items)
            }
            while true {
                items.append(try p.value())
                p.skipSpace()
                guard p.at < p.bytes.count else { throw p.error("unexpected end of input in an array") }
                p.at += 1
                if p.bytes[p.at - 1] == UInt8(ascii: "]") { return .array(items) }
                guard p.bytes[p.at - 1] == UInt8(ascii: ",") else { p.at -= 1; throw p.error("expected , or ]") }
            }
        }
    }

    private mutating func number() throws(SyntaxError) -> Double {
        let start = at
        func digits(_ p: inout JSONParser) -> Int {
            let first = p.at
            while p.at < p.bytes.count, p.bytes[p.at] >= UInt8(ascii: "0"), p.bytes[p.at] <= UInt8(ascii: "9") { p.at += 1 }
            return p.at - first
        }
        if bytes[at] == UInt8(ascii: "-") { at += 1 }
        let integerStart = at
        let integerDigits = digits(&self)
        guard integerDigits > 0 else { throw error("expected a value") }
        if integerDigits > 1, bytes[integerStart] == UInt8(ascii: "0") { throw error("a number has a leading zero") }
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
            at += 1
            guard digits(&self) > 0 else { throw error("expected digits after the decimal point") }
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
            at += 1
            if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard digits(&self) > 0 else { throw error("expected digits in the exponent") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
        guard let number = Double(text), number.isFinite else { throw SyntaxError(offset: start, reason: "number \(text) does not fit") }
        return number
    }

    /// A string at `at` (its opening quote), unescaped.
    private mutating func string() throws(SyntaxError) -> String {
        at += 1
        let start = at
        // Fast path: no escapes.
        while at < bytes.count, bytes[at] != UInt8(ascii: "\""), bytes[at] != UInt8(ascii: "\\"), bytes[at] >= 0x20 { at += 1 }
        guard at < bytes.count else { throw error("unterminated string") }
        if bytes[at] == UInt8(ascii: "\"") {
            at += 1
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(at - 1)]), as: UTF8.self)
        }
        var out = Array(bytes[start..<at])
        while true {
            guard at < bytes.count else { throw error("unterminated string") }
            let byte = bytes[at]
            at += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard at < bytes.count else { throw error("unterminated string") }
                let escape = bytes[at]
                at += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): out.append(contentsOf: try unicodeEscape())
                default: throw error("invalid escape")
                }
            case 0..<0x20:
                throw error("a control character in a string")
            default:
                out.append(byte)
            }
        }
    }

    /// The UTF-8 of `\uXXXX` (after the `u`), joining a surrogate pair.
    private mutating func unicodeEscape() throws(SyntaxError) -> [UInt8] {
        var scalar = try hex4()
        if (0xD800..<0xDC00).contains(scalar) {
            guard at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else {
                throw error("a lone surrogate in a \\u escape")
            }
            at += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw error("an invalid surrogate pair") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(scalar) {
            throw error("a lone surrogate in a \\u escape")
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw error("an invalid \\u escape") }
        return Array(String(Character(unicode)).utf8)
    }

    private mutating func hex4() throws(SyntaxError) -> UInt32 {
        guard at + 4 <= bytes.count else { throw error("a short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[at]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("a bad hex digit in a \\u escape")
            }
            value = value << 4 | UInt32(digit)
            at += 1
        }
        return value
    }
}
