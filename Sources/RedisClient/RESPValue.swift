public import ErrorCodes

/// A Redis reply (RESP2, as hiredis 0.14 speaks it).
public enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int)
    case bulkString([UInt8])
    case null
    case array([RESPValue])

    /// Text of a simple or bulk string (bulk bytes decoded as UTF-8, invalid sequences repaired).
    public var string: String? {
        switch self {
        case .simpleString(let text): return text
        case .bulkString(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .integer(let value): return String(value)
        default: return nil
        }
    }

    /// Raw bytes of a bulk or simple string.
    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let bytes): return bytes
        case .simpleString(let text): return Array(text.utf8)
        default: return nil
        }
    }

    /// An integer reply, or a string reply holding a decimal integer.
    public var int: Int? {
        switch self {
        case .integer(let value): return value
        case .bulkString, .simpleString: return string.flatMap { Int($0) }
        default: return nil
        }
    }

    public var array: [RESPValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The message of an error reply.
    public var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }

    /// Throws a `serverError` for an error reply, else returns the value unchanged.
    public func throwingServerError() throws(RedisError) -> RESPValue {
        if case .error(let message) = self {
            // A plain redis:// URL pointing at a cluster node gets redirects it cannot follow.
            if message.hasPrefix("MOVED ") || message.hasPrefix("ASK ") {
                throw RedisError(.serverError, message + " (the server is a Redis Cluster node: configure a redis+cluster:// URL)")
            }
            throw RedisError(.serverError, message)
        }
        return self
    }
}
