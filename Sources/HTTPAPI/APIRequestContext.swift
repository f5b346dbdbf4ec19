import Foundation
import Hummingbird
import NIOCore

/// The request context of every route: JSON in camelCase with ISO 8601 dates, both ways.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `BearerAuthMiddleware` when the request carried a valid token.
    public var identity: Identity?
    /// The peer's IP address, for per-client limits (behind a proxy: the proxy's).
    public let clientAddress: String
    /// The client's connection (live event streams watch it for the client going away).
    public let channel: any Channel

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        self.channel = source.channel
    }

    /// Bodies larger than this are refused with 413.
    public var maxUploadSize: Int { 1024 * 1024 }

    public var requestDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    public var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
