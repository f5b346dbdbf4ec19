import BlockingIO
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Resolves a host name with `getaddrinfo`, on a thread of its own (it blocks, for as long as DNS
/// takes, and must not hold a cooperative-pool thread or an event loop meanwhile).
package struct HostResolver: Sendable {
    package init() {}

    package func addresses(of host: String) async throws(HostResolutionError) -> [IPAddress] {
        let result = await BlockingWork.run { Self.lookUp(host) }
        return try result.get()
    }

    private static func lookUp(_ host: String) -> Result<[IPAddress], HostResolutionError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
            hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            let reason = String(cString: gai_strerror(status))
            return .failure(HostResolutionError(message: "cannot resolve \(host): \(reason)"))
        }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let socketAddress = entry.pointee.ai_addr {
                switch Int32(entry.pointee.ai_family) {
                case AF_INET:
                    socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        var raw = pointer.pointee.sin_addr
                        addresses.append(.v4(withUnsafeBytes(of: &raw) { Array($0) }))
                    }
                case AF_INET6:
                    socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        var raw = pointer.pointee.sin6_addr
                        addresses.append(.v6(withUnsafeBytes(of: &raw) { Array($0) }))
                    }
                default:
                    break
                }
            }
            cursor = entry.pointee.ai_next
        }
        guard !addresses.isEmpty else { return .failure(HostResolutionError(message: "\(host) has no IPv4 or IPv6 address")) }
        var seen = Set<IPAddress>()
        return .success(addresses.filter { seen.insert($0).inserted })
    }
}

/// A name that did not resolve; worth another attempt later.
package struct HostResolutionError: Error, Sendable, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}
