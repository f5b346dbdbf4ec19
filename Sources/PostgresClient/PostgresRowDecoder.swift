import Foundation

extension PostgresRow {
    /// Decodes a `Decodable` record whose coding keys name the row's columns in snake_case
    /// (`serverId` is `server_id`; select `size_bytes AS size` where a column is named otherwise).
    /// A property reads its column the way `decode(_:as:)` would when its type is
    /// `PostgresDecodable`, from the column's JSON when the column is `json`/`jsonb`, and through
    /// its own `init(from:)` otherwise (a `String`-backed enum reads the text). Every key must
    /// name a column of the result: a missing one throws, as it does for `decode(_:as:)`.
    public func decodeRecord<Record: Decodable>(_ type: Record.Type = Record.self) throws(PostgresError) -> Record {
        do {
            return try Record(from: PostgresRowDecoder(row: self))
        } catch let error as PostgresError {
            throw error
        } catch {
            throw PostgresError(.decodingFailed, "cannot read a row as \(Record.self): \(error)")
        }
    }

    /// One column as `Value`, by the rules of `decodeRecord(_:)`.
    func decodeColumn<Value: Decodable>(_ column: String, as type: Value.Type) throws -> Value {
        if let readable = Value.self as? any PostgresDecodable.Type {
            guard let value = try decodeReadable(column, as: readable) as? Value else {
                throw PostgresError(.decodingFailed, "column '\(column)' did not decode as \(Value.self)")
            }
            return value
        }
        let (text, columnType) = try nonNullText(column)
        if columnType == PostgresType.json || columnType == PostgresType.jsonb {
            return try PostgresJSON<JSONColumn<Value>>(postgresText: text, type: columnType).value.value
        }
        return try Value(from: PostgresColumnDecoder(row: self, column: column))
    }

    private func decodeReadable<Value: PostgresDecodable>(_ column: String, as type: Value.Type) throws(PostgresError) -> Value {
        try decode(column, as: type)
    }

    func isNull(_ column: String) throws(PostgresError) -> Bool {
        values[try columnIndex(column)] == nil
    }

    private func nonNullText(_ column: String) throws(PostgresError) -> (String, UInt32) {
        let index = try columnIndex(column)
        guard let text = values[index] else { throw PostgresError(.decodingFailed, "column '\(column)' is NULL") }
        return (text, columns.types[index])
    }
}

/// Lets `PostgresJSON` (which needs `Codable & Sendable`) read any `Decodable` column value.
private struct JSONColumn<Value: Decodable>: Codable, @unchecked Sendable {
    // Never sent anywhere: decoded and unwrapped on the calling thread.
    let value: Value
    init(from decoder: any Decoder) throws { value = try Value(from: decoder) }
    func encode(to encoder: any Encoder) throws {
        throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "read-only"))
    }
}

/// Column names from coding keys: `lastCheckedAt` is `last_checked_at`.
enum ColumnName {
    static func forKey(_ key: String) -> String {
        var name = ""
        name.reserveCapacity(key.utf8.count + 4)
        for character in key {
            if character.isUppercase {
                name.append("_")
                name.append(contentsOf: character.lowercased())
            } else {
                name.append(character)
            }
        }
        return name
    }
}

/// The whole row, whose keyed container reads one column per key.
struct PostgresRowDecoder: Decoder {
    let row: PostgresRow
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(RowContainer<Key>(row: row))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: [], debugDescription: "a row is read by column name"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: [], debugDescription: "a row is read by column name"))
    }
}

private struct RowContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let row: PostgresRow
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { [] }

    /// Every key names a column; `decodeNil` says whether it is NULL (and throws when it is absent).
    func contains(_ key: Key) -> Bool { true }

    func decodeNil(forKey key: Key) throws -> Bool {
        try row.isNull(ColumnName.forKey(key.stringValue))
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try row.decodeColumn(ColumnName.forKey(key.stringValue), as: T.self)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.typeMismatch(type, .init(codingPath: [key], debugDescription: "select a json column for a nested value"))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: [key], debugDescription: "select a text[] or json column for a list"))
    }

    func superDecoder() throws -> any Decoder { PostgresRowDecoder(row: row) }
    func superDecoder(forKey key: Key) throws -> any Decoder { PostgresRowDecoder(row: row) }
}

/// One column, for a type that decodes itself from a single value (an enum, a wrapper).
private struct PostgresColumnDecoder: Decoder, SingleValueDecodingContainer {
    let row: PostgresRow
    let column: String
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw DecodingError.typeMismatch(type, .init(codingPath: [], debugDescription: "column '\(column)' holds one value"))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: [], debugDescription: "column '\(column)' holds one value"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { (try? row.isNull(column)) ?? false }

    /// Only `PostgresDecodable` values come from a plain column (a type asking for a single value
    /// of its own kind would otherwise ask forever).
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard T.self is any PostgresDecodable.Type else {
            throw DecodingError.typeMismatch(type, .init(codingPath: [], debugDescription: "column '\(column)' cannot be read as \(T.self)"))
        }
        return try row.decodeColumn(column, as: T.self)
    }

}
