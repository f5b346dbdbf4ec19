import Glibc

/// A TCP listener on loopback that accepts (via the backlog) but never answers.
package final class SilentListener: Sendable {
    package let port: Int
    private let socket: Int32

    package struct Failure: Error { public let step: String }

    package init() throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(step: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else { Glibc.close(fd); throw Failure(step: "bind/listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { Glibc.close(fd); throw Failure(step: "getsockname") }
        socket = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    package func close() { Glibc.close(socket) }
}
