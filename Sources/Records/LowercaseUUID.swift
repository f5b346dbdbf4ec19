public import Foundation

/// A UUID written in lowercase, the canonical form (RFC 9562) and the one job ids use;
/// Foundation's own encoding is uppercase. Decoding accepts either case.
@propertyWrapper
public struct LowercaseUUID: Sendable, Codable, Hashable {
    public var wrappedValue: UUID

    public init(wrappedValue: UUID) {
        self.wrappedValue = wrappedValue
    }

    public init(from decoder: any Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode(UUID.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue.lowercasedString)
    }
}

/// An optional UUID written in lowercase, or `null`.
@propertyWrapper
public struct LowercaseOptionalUUID: Sendable, Codable, Hashable {
    public var wrappedValue: UUID?

    public init(wrappedValue: UUID?) {
        self.wrappedValue = wrappedValue
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(UUID.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue.lowercasedString) } else { try container.encodeNil() }
    }
}

extension KeyedDecodingContainer {
    /// A missing key is a nil UUID, as it is for a plain optional property.
    public func decode(_ type: LowercaseOptionalUUID.Type, forKey key: Key) throws -> LowercaseOptionalUUID {
        LowercaseOptionalUUID(wrappedValue: try decodeIfPresent(UUID.self, forKey: key))
    }
}

extension UUID {
    /// The canonical lowercase text (RFC 9562), as ids appear in rows' JSON, job ids and keys.
    public var lowercasedString: String { uuidString.lowercased() }
}
