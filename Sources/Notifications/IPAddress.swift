#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv4 or IPv6 address as bytes, and whether a webhook may be sent to it.
package enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4([UInt8])
    case v6([UInt8])

    /// Strict literal forms only: dotted-decimal IPv4 with four parts and no leading zeros, or
    /// IPv6 as `inet_pton` reads it (no zone id). `127.1`, `0x7f.0.0.1` and `2130706433` are not
    /// addresses here, though `getaddrinfo` would read them as 127.0.0.1.
    package init?(_ text: String) {
        if text.contains(":") {
            guard !text.contains("%") else { return nil }
            var raw = in6_addr()
            guard inet_pton(AF_INET6, text, &raw) == 1 else { return nil }
            self = .v6(withUnsafeBytes(of: &raw) { Array($0) })
            return
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), part.allSatisfy(\.isNumber),
                part == "0" || !part.hasPrefix("0"), let value = UInt8(part)
            else { return nil }
            bytes.append(value)
        }
        self = .v4(bytes)
    }

    package var description: String {
        switch self {
        case .v4(let bytes): return bytes.map(String.init).joined(separator: ".")
        case .v6(let bytes):
            var raw = in6_addr()
            withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: bytes) }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count)) != nil else { return "?" }
            return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Why a webhook may not call this address (loopback, private, link-local, …), or nil when it
    /// is a public unicast address. IPv6 forms that carry an IPv4 address (mapped, compatible,
    /// NAT64, 6to4) are judged by that address.
    package var isV4: Bool {
        if case .v4 = self { return true } else { return false }
    }

    package var restriction: String? {
        switch self {
        case .v4(let b):
            switch (b[0], b[1]) {
            case (0, _): return "in 0.0.0.0/8 (this network)"
            case (10, _): return "private (10.0.0.0/8)"
            case (100, 64...127): return "shared address space (100.64.0.0/10, carrier-grade NAT)"
            case (127, _): return "loopback (127.0.0.0/8)"
            case (169, 254): return "link-local (169.254.0.0/16, cloud metadata)"
            case (172, 16...31): return "private (172.16.0.0/12)"
            case (192, 168): return "private (192.168.0.0/16)"
            case (192, 0) where b[2] == 0: return "reserved for protocol assignments (192.0.0.0/24)"
            case (198, 18...19): return "reserved for benchmarking (198.18.0.0/15)"
            case (224...239, _): return "multicast (224.0.0.0/4)"
            case (240...255, _): return "reserved (240.0.0.0/4, broadcast)"
            default: return nil
            }
        case .v6(let b):
            let zeros = b.prefix(10).allSatisfy { $0 == 0 }
            if zeros, b[10] == 0xff, b[11] == 0xff { return Self.v4(Array(b[12...])).restriction.map { "IPv4-mapped, \($0)" } }
            if zeros, b[10] == 0, b[11] == 0 {
                if b[12...].allSatisfy({ $0 == 0 }) { return "unspecified (::)" }
                if b[12...14].allSatisfy({ $0 == 0 }), b[15] == 1 { return "loopback (::1)" }
                return "IPv4-compatible (::/96, deprecated)"
            }
            if b[0] == 0x00, b[1] == 0x64, b[2] == 0xff, b[3] == 0x9b, b[4...11].allSatisfy({ $0 == 0 }) {
                return Self.v4(Array(b[12...])).restriction.map { "NAT64, \($0)" }
            }
            // Local-use NAT64 (RFC 8215) and SIIT's IPv4-translated form carry an IPv4 address
            // a translator on the network would reach: private, whatever the IPv4 is.
            if b[0] == 0x00, b[1] == 0x64, b[2] == 0xff, b[3] == 0x9b, b[4] == 0x00, b[5] == 0x01 { return "local-use NAT64 (64:ff9b:1::/48)" }
            if b.prefix(8).allSatisfy({ $0 == 0 }), b[8] == 0xff, b[9] == 0xff, b[10] == 0, b[11] == 0 { return "IPv4-translated (::ffff:0:0:0/96)" }
            if b[0] == 0x20, b[1] == 0x02 { return Self.v4(Array(b[2...5])).restriction.map { "6to4, \($0)" } }
            if b[0] == 0x01, b[1] == 0x00, b[2...7].allSatisfy({ $0 == 0 }) { return "discard-only (100::/64)" }
            if b[0] & 0xfe == 0xfc { return "unique local (fc00::/7)" }
            if b[0] == 0xfe, b[1] & 0xc0 == 0x80 { return "link-local (fe80::/10)" }
            if b[0] == 0xfe, b[1] & 0xc0 == 0xc0 { return "site-local (fec0::/10, deprecated)" }
            if b[0] == 0xff { return "multicast (ff00::/8)" }
            return nil
        }
    }
}
