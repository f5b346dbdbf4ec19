import Foundation

/// Checks a server address: a DNS hostname, an IPv4 address or an IPv6 address (compressed
/// forms such as `::1` included). Nothing else reaches the database or an SSH connect.
public enum HostAddress {
    public static func validate(_ host: String) throws(RecordError) {
        guard isValid(host) else {
            throw RecordError(.invalid, field: "host", "'\(host.prefix(60))' is not a hostname, IPv4 or IPv6 address")
        }
    }

    public static func isValid(_ host: String) -> Bool {
        if host.contains(":") { return isIPv6(host) }
        if host.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) { return isIPv4(host) }
        return isHostname(host)
    }

    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { part in
                !part.isEmpty && part.count <= 3 && (part == "0" || !part.hasPrefix("0")) && (Int(part).map { $0 <= 255 } ?? false)
            }
    }

    static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }

    static func isHostname(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        let labels =
            text.hasSuffix(".")
            ? text.dropLast().split(separator: ".", omittingEmptySubsequences: false)
            : text.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}
