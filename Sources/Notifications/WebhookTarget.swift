import Foundation

/// A webhook's URL, taken apart by our own strict parser: `http` or `https`, no credentials, a
/// DNS name or a literal address, an optional port, printable ASCII only. What reaches the HTTP
/// client is rebuilt from these parts, so no parser disagreement can change where a request goes.
package struct WebhookTarget: Sendable, Equatable {
    package enum Scheme: String, Sendable { case http, https }

    package let scheme: Scheme
    /// Lowercased; an IPv6 literal without its brackets.
    package let host: String
    package let port: Int
    /// The path and query, at least `/`.
    package let pathAndQuery: String
    /// Set when the host is a literal address.
    package let literalAddress: IPAddress?

    package static let maxLength = 2048

    package init(parsing text: String) throws(WebhookTargetError) {
        guard (10...Self.maxLength).contains(text.utf8.count) else {
            throw WebhookTargetError("url must be 10 to \(Self.maxLength) characters")
        }
        guard text.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw WebhookTargetError("url must be printable ASCII without spaces (percent-encode anything else)")
        }
        guard let separator = text.range(of: "://") else { throw WebhookTargetError("url must start with http:// or https://") }
        guard let scheme = Scheme(rawValue: text[..<separator.lowerBound].lowercased()) else {
            throw WebhookTargetError("url must use http or https")
        }
        let rest = text[separator.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.contains("@") else {
            throw WebhookTargetError("url must not contain credentials (user:password@); the signature authenticates the platform")
        }
        let (host, portText) = try Self.split(authority)
        var pathAndQuery = String(rest[authorityEnd...].prefix { $0 != "#" })
        if pathAndQuery.isEmpty || pathAndQuery.hasPrefix("?") { pathAndQuery = "/" + pathAndQuery }
        var port = scheme == .https ? 443 : 80
        if let portText {
            guard let number = Int(portText), portText.allSatisfy(\.isNumber), (1...65535).contains(number) else {
                throw WebhookTargetError("url has an invalid port; use 1 to 65535")
            }
            port = number
        }
        self.scheme = scheme
        self.port = port
        self.pathAndQuery = pathAndQuery
        if let address = IPAddress(host) {
            literalAddress = address
            self.host = host.lowercased()
        } else {
            try Self.validateName(host)
            literalAddress = nil
            self.host = host.lowercased()
        }
    }

    /// Whether the host is refused before any lookup (a literal address in a restricted range).
    package func literalRestriction() -> String? { literalAddress?.restriction }

    /// The URL the client is given (it connects to the checked address: `WebhookDeliverer.client(pinning:to:)`).
    package var url: String {
        let hostPart: String
        switch literalAddress {
        case .v6(let bytes)?: hostPart = "[\(IPAddress.v6(bytes).description)]"
        case .v4(let bytes)?: hostPart = IPAddress.v4(bytes).description
        case nil: hostPart = host
        }
        return "\(scheme.rawValue)://\(hostPart):\(port)\(pathAndQuery)"
    }

    private static func split(_ authority: Substring) throws(WebhookTargetError) -> (String, Substring?) {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw WebhookTargetError("url has an unclosed [IPv6 address]") }
            let host = String(authority[authority.index(after: authority.startIndex)..<close])
            guard case .v6? = IPAddress(host) else { throw WebhookTargetError("url has an invalid IPv6 address (zone ids are not accepted)") }
            let after = authority[authority.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { throw WebhookTargetError("url has text after its [IPv6 address]") }
            return (host, after.isEmpty ? nil : after.dropFirst())
        }
        let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let host = parts.first, !host.isEmpty else { throw WebhookTargetError("url must name a host") }
        return (String(host), parts.count == 2 ? parts[1] : nil)
    }

    /// A DNS name: labels of letters, digits, `-` and `_`, 1 to 63 characters each, 253 in all.
    /// A name whose last label is numeric or hex (`127.1`, `2130706433`, `0x7f.1`) is refused: the
    /// resolver reads those as addresses, and only the strict dotted form is accepted as one.
    private static func validateName(_ host: String) throws(WebhookTargetError) {
        let name = host.hasSuffix(".") ? String(host.dropLast()) : host
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let allowed = labels.allSatisfy { label in
            (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
        guard (1...253).contains(name.count), allowed else {
            throw WebhookTargetError("url must name a host: a DNS name, a dotted IPv4 address or an [IPv6] address")
        }
        if let last = labels.last, last.allSatisfy(\.isNumber) || last.lowercased().hasPrefix("0x") {
            throw WebhookTargetError("url has a numeric host that is not a dotted IPv4 address (a.b.c.d)")
        }
    }
}

/// Why a URL is not a valid webhook target; the API answers 400 naming `url`.
package struct WebhookTargetError: Error, Sendable, CustomStringConvertible {
    package let message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
