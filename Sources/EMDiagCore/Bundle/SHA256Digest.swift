import Crypto
import Foundation

/// Incremental SHA-256 with lower-case hex output, the form `manifest.json` records.
package struct SHA256Digest {
    private var hasher = SHA256()
    package private(set) var byteCount = 0

    package init() {}

    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
        byteCount += bytes.count
    }

    package mutating func update(_ data: some DataProtocol) {
        for region in data.regions {
            region.withUnsafeBytes { update($0) }
        }
    }

    /// The digest as 64 lower-case hex characters.
    package func hex() -> String {
        hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Hashes bytes in one call.
    package static func hex(of data: some DataProtocol) -> String {
        var digest = SHA256Digest()
        digest.update(data)
        return digest.hex()
    }

    /// Hashes a file in 256 KiB reads, never holding it whole.
    /// - Throws: `BundleError.io` naming the file when it cannot be read.
    package static func file(at path: String) throws -> (sha256: String, size: Int) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BundleError.io(path: path, message: "cannot open the file to compute its checksum")
        }
        defer { try? handle.close() }
        var digest = SHA256Digest()
        do {
            while let chunk = try handle.read(upToCount: 256 * 1024), !chunk.isEmpty {
                digest.update(chunk)
            }
        } catch {
            throw BundleError.io(path: path, message: "read failed: \(error)")
        }
        return (digest.hex(), digest.byteCount)
    }
}
