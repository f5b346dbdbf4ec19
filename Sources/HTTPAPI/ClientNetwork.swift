#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The network a client address stands for in per-client limits. An IPv6 host is usually given a
/// whole /64, so counting single IPv6 addresses would let it step past any limit by changing its
/// address: it counts by its /64. An IPv4 address counts as itself, an IPv4-mapped IPv6 address as
/// its IPv4 address, and anything else (no address: "unknown") as the text it is.
package enum ClientNetwork {
    package static func key(_ address: String) -> String {
        guard address.contains(":") else { return address }
        // A zone (`fe80::1%eth0`) names the local interface, not the client.
        let host = address.split(separator: "%", maxSplits: 1).first.map(String.init) ?? address
        var bytes = [UInt8](repeating: 0, count: 16)
        guard inet_pton(AF_INET6, host, &bytes) == 1 else { return address }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
            return bytes[12...].map { String($0) }.joined(separator: ".")
        }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }
}
