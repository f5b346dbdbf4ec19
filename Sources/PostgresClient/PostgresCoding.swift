public import Foundation

/// A Swift value that can be sent as a statement parameter (in PostgreSQL's text form).
public protocol PostgresEncodable: Sendable {
    /// The text form; nil sends SQL NULL.
    var postgresText: String? { get }
}

/// A Swift value that can be read from a column's text form.
public protocol PostgresDecodable {
    init(postgresText text: String, type: UInt32) throws(PostgresError)
}

/// Type OIDs of the built-in types we decode.
public enum PostgresType {
    public static let bool: UInt32 = 16
    public static let bytea: UInt32 = 17
    public static let int8: UInt32 = 20
    public static let int2: UInt32 = 21
    public static let int4: UInt32 = 23
    public static let text: UInt32 = 25
    public static let json: UInt32 = 114
    public static let float8: UInt32 = 701
    public static let textArray: UInt32 = 1009
    public static let varchar: UInt32 = 1043
    public static let date: UInt32 = 1082
    public static let timestamp: UInt32 = 1114
    public static let timestamptz: UInt32 = 1184
    public static let numeric: UInt32 = 1700
    public static let uuid: UInt32 = 2950
    public static let jsonb: UInt32 = 3802
}

func decodingError<T>(_ text: String, as type: T.Type) -> PostgresError {
    PostgresError(.decodingFailed, "cannot read '\(text.prefix(64))' as \(T.self)")
}

extension String: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { self }
    public init(postgresText text: String, type: UInt32) { self = text }
}

/// A number, sent and read in its decimal text form.
public protocol PostgresNumber: PostgresEncodable, PostgresDecodable, LosslessStringConvertible {}

extension PostgresNumber {
    public var postgresText: String? { description }
    public init(postgresText text: String, type: UInt32) throws(PostgresError) {
        guard let value = Self(text) else { throw decodingError(text, as: Self.self) }
        self = value
    }
}

extension Int: PostgresNumber {}
extension Int32: PostgresNumber {}
extension Int64: PostgresNumber {}
extension Double: PostgresNumber {}

extension Bool: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { self ? "true" : "false" }
    public init(postgresText text: String, type: UInt32) throws(PostgresError) {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw decodingError(text, as: Bool.self)
        }
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { uuidString.lowercased() }
    public init(postgresText text: String, type: UInt32) throws(PostgresError) {
        guard let value = UUID(uuidString: text) else { throw decodingError(text, as: UUID.self) }
        self = value
    }
}

extension Date: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { PostgresTimestamp.format(self) }
    public init(postgresText text: String, type: UInt32) throws(PostgresError) {
        guard let value = PostgresTimestamp.parse(text) else { throw decodingError(text, as: Date.self) }
        self = value
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresText: String? { self?.postgresText }
}

/// `bytea`, sent and read in hex form.
public struct PostgresBytes: PostgresEncodable, PostgresDecodable, Equatable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var postgresText: String? { "\\x" + lowercaseHex(bytes) }

    public init(postgresText text: String, type: UInt32) throws(PostgresError) {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0 else {
            throw decodingError(text, as: PostgresBytes.self)
        }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var index = 2
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else {
                throw decodingError(text, as: PostgresBytes.self)
            }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.bytes = bytes
    }
}

/// A `json`/`jsonb` value holding any Codable Swift value.
public struct PostgresJSON<Value: Codable & Sendable>: PostgresEncodable, PostgresDecodable {
    public var value: Value
    public init(_ value: Value) { self.value = value }

    public var postgresText: String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    public init(postgresText text: String, type: UInt32) throws(PostgresError) {
        do {
            value = try JSONDecoder().decode(Value.self, from: Data(text.utf8))
        } catch {
            throw PostgresError(.decodingFailed, "JSON does not match \(Value.self): \(error)")
        }
    }
}

/// Lowercase hexadecimal text of `bytes`: bytea's form here, and the one hex encoder of the package
/// (Records' `Hex.encode` is this).
package func lowercaseHex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(bytes.underestimatedCount * 2)
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: text, as: UTF8.self)
}
