#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The network a client address stands for in per-client limits. An IPv6 host is usually given a
/// whole /64, so counting single IPv6 addresses would let it step past any limit by changing its
/// address: it counts by its /64. An IPv4 address counts as itself, and so does one carried in an
/// IPv6 address (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d` and `::1`, NAT64 `64:ff9b::/96`),
/// so such clients are told apart by their IPv4 address, not lumped into one /64. Anything else
/// (no address: "unknown") counts as the text it is.
package enum ClientNetwork {
    package static func key(_ address: String) -> String {
        guard address.contains(":") else { return address }
        // A zone (`fe80::1%eth0`) names the local interface, not the client.
        let host = address.split(separator: "%", maxSplits: 1).first.map(String.init) ?? address
        var bytes = [UInt8](repeating: 0, count: 16)
        guard inet_pton(AF_INET6, host, &bytes) == 1 else { return address }
        if Self.carriersOfIPv4.contains(where: { bytes.starts(with: $0) }) {
            return bytes[12...].map { String($0) }.joined(separator: ".")
        }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }

    /// The first 12 bytes of IPv6 addresses whose last 4 are an IPv4 address: mapped, compatible
    /// (and loopback), NAT64's well-known prefix.
    static let carriersOfIPv4: [[UInt8]] = [
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], [UInt8](repeating: 0, count: 12), [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0],
    ]
}
