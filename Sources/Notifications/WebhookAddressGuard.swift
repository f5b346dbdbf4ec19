/// Server-side request forgery guard: a webhook may call only public addresses unless
/// `WEBHOOK_ALLOW_PRIVATE=true`. Names are checked after resolution, every address they resolve
/// to, so a name with one public and one private record is refused as a whole.
package struct WebhookAddressGuard: Sendable {
    package let allowPrivate: Bool
    let resolver: HostResolver

    package init(allowPrivate: Bool, resolver: HostResolver = HostResolver()) {
        self.allowPrivate = allowPrivate
        self.resolver = resolver
    }

    /// At creation: a literal address in a restricted range is refused at once (names are
    /// resolved only when delivering, since their records may change).
    package func checkLiteral(_ target: WebhookTarget) throws(WebhookRefusal) {
        guard !allowPrivate, let address = target.literalAddress, let restriction = address.restriction else { return }
        throw WebhookRefusal(address: address, restriction: restriction)
    }

    /// At delivery: the addresses to connect to, in the order to try them, after every resolved
    /// address passed.
    package func checkedAddresses(of target: WebhookTarget) async throws -> [IPAddress] {
        if let literal = target.literalAddress {
            try checkLiteral(target)
            return [literal]
        }
        let addresses = try await resolver.addresses(of: target.host)
        if !allowPrivate {
            for address in addresses {
                if let restriction = address.restriction { throw WebhookRefusal(address: address, restriction: restriction) }
            }
        }
        // IPv4 first, as most receivers listen there; each once.
        var seen = Set<IPAddress>()
        let ordered = (addresses.filter(\.isV4) + addresses.filter { !$0.isV4 }).filter { seen.insert($0).inserted }
        guard !ordered.isEmpty else { throw HostResolutionError(message: "\(target.host) has no address") }
        return ordered
    }
}

/// The target is, or resolves to, an address a webhook may not call.
package struct WebhookRefusal: Error, Sendable, CustomStringConvertible {
    package let address: IPAddress
    package let restriction: String

    package var description: String {
        "the target address \(address) is \(restriction); webhooks may call only public addresses unless WEBHOOK_ALLOW_PRIVATE=true"
    }
}
