package import Foundation
package import Hummingbird
package import NIOCore

/// The request context of every route: JSON in camelCase with ISO 8601 dates, both ways.
package struct APIRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// Set by `BearerAuthMiddleware` when the request carried a valid token.
    package var identity: Identity?
    /// Asks again whether `identity`'s credential holds (set with it; nil in tests that set an identity).
    package var credentialCheck: CredentialCheck?
    /// The peer's IP address, for per-client limits (behind a proxy: the proxy's).
    package let clientAddress: String
    /// The client's connection (live event streams watch it for the client going away).
    package let channel: any Channel

    package init(source: Source) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        self.channel = source.channel
    }

    /// Bodies larger than this are refused with 413.
    package var maxUploadSize: Int { 1024 * 1024 }

    package var requestDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    package var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
