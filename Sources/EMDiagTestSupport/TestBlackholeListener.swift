import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A TCP port on 127.0.0.1 where connecting hangs: a listening socket that never accepts, with its
/// (zero-length) accept queue pre-filled, so the kernel drops further SYNs. Tests of connect timeouts
/// use it instead of an unroutable address, which may fail fast on machines without a network.
package final class TestBlackholeListener: Sendable {
    package let port: Int
    private let sockets: [Int32]

    package init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(listener, raw, length) == 0 && listen(listener, 0) == 0 && getsockname(listener, raw, &length) == 0
            }
        }
        guard listener >= 0, bound else {
            if listener >= 0 { close(listener) }
            throw TestSupportError("cannot open a blackhole listener: \(String(cString: strerror(errno)))")
        }
        var all = [listener]
        for _ in 0..<3 {  // fill the accept queue; their connects complete or hang, either is fine
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = connect(filler, $0, length) }
            }
            all.append(filler)
        }
        usleep(100_000)
        port = Int(UInt16(bigEndian: address.sin_port))
        sockets = all
    }

    deinit {
        for fd in sockets { close(fd) }
    }
}
