import Foundation

extension PostgresRow {
    /// Decodes a `Decodable` record whose coding keys name the row's columns in snake_case (the
    /// key `serverId` reads the column `server_id`; select `size_bytes AS size` where a column is
    /// named otherwise). A property reads a `json`/`jsonb` column as JSON; any other column the
    /// way `decode(_:as:)` would when its type is `PostgresDecodable`, and through its own
    /// `init(from:)` otherwise (a `String`-backed enum reads the text). Every key
    /// must name a column of the result: a missing one throws, as it does for `decode(_:as:)`.
    public func decodeRecord<Record: Decodable>(_ type: Record.Type = Record.self) throws(PostgresError) -> Record {
        do {
            return try Record(from: PostgresRowDecoder(row: self))
        } catch let error as PostgresError {
            throw error
        } catch {
            throw PostgresError(.decodingFailed, "cannot read a row as \(Record.self): \(error)")
        }
    }

    func columnIndex(forKey key: some CodingKey) throws(PostgresError) -> Int {
        guard let index = columns.index(ofKey: key.stringValue) else {
            throw PostgresError(
                .decodingFailed, "result has no column for '\(key.stringValue)' (columns: \(columns.names.joined(separator: ", ")))")
        }
        guard index >= 0 else {
            throw PostgresError(.decodingFailed, "two columns of the result read as '\(key.stringValue)'; rename one with AS")
        }
        return index
    }

    func isJSON(_ index: Int) -> Bool {
        columns.types[index] == PostgresType.json || columns.types[index] == PostgresType.jsonb
    }

    /// The column at `index` as `Value`, by the rules of `decodeRecord(_:)`.
    func decodeColumn<Value: Decodable>(at index: Int, as type: Value.Type) throws -> Value {
        if isJSON(index) {
            guard let text = values[index] else { throw PostgresError(.decodingFailed, "column '\(columns.names[index])' is NULL") }
            do {
                return try JSONDecoder().decode(Value.self, from: Data(text.utf8))
            } catch {
                throw PostgresError(.decodingFailed, "column '\(columns.names[index])': JSON does not match \(Value.self): \(error)")
            }
        }
        if let readable = Value.self as? any PostgresDecodable.Type {
            return try decodeReadable(at: index, as: readable)
        }
        do {
            return try Value(from: PostgresColumnDecoder(row: self, index: index))
        } catch {
            throw PostgresError(.decodingFailed, "column '\(columns.names[index])' cannot be read as \(Value.self): \(error)")
        }
    }

    private func decodeReadable<Readable: PostgresDecodable, Value>(at index: Int, as type: Readable.Type) throws -> Value {
        guard let value = try decode(at: index, as: type) as? Value else {
            throw PostgresError(.decodingFailed, "column '\(columns.names[index])' did not decode as \(Value.self)")
        }
        return value
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

/// Reads each key's column; the common types skip the generic path's dynamic cast.
private struct RowContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let row: PostgresRow
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { row.columns.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { (row.columns.index(ofKey: key.stringValue) ?? -1) >= 0 }

    func decodeNil(forKey key: Key) throws -> Bool {
        row.values[try row.columnIndex(forKey: key)] == nil
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try row.decodeColumn(at: try row.columnIndex(forKey: key), as: T.self)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        let index = try row.columnIndex(forKey: key)
        return row.values[index] == nil ? nil : try row.decodeColumn(at: index, as: T.self)
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String { try read(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try read(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try read(type, key) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try read(type, key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try readIfPresent(type, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try readIfPresent(type, key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try readIfPresent(type, key) }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try readIfPresent(type, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try readIfPresent(type, key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try readIfPresent(type, key) }

    /// A missing column throws here too (the protocol's own `decodeIfPresent` would answer nil).
    private func read<T: PostgresDecodable & Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        let index = try row.columnIndex(forKey: key)
        return try row.isJSON(index) ? row.decodeColumn(at: index, as: type) : row.decode(at: index, as: type)
    }

    private func readIfPresent<T: PostgresDecodable & Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        let index = try row.columnIndex(forKey: key)
        guard row.values[index] != nil else { return nil }
        return try row.isJSON(index) ? row.decodeColumn(at: index, as: type) : row.decode(at: index, as: type)
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
    let index: Int
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw DecodingError.typeMismatch(type, .init(codingPath: [], debugDescription: "column '\(row.columns.names[index])' holds one value"))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: [], debugDescription: "column '\(row.columns.names[index])' holds one value"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { row.values[index] == nil }

    func decode(_ type: String.Type) throws -> String { try row.decode(at: index, as: type) }

    /// Only `PostgresDecodable` values come from a plain column (a type asking for a single value
    /// of its own kind would otherwise ask forever).
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard T.self is any PostgresDecodable.Type else {
            throw DecodingError.typeMismatch(
                type, .init(codingPath: [], debugDescription: "column '\(row.columns.names[index])' cannot be read as \(T.self)"))
        }
        return try row.decodeColumn(at: index, as: T.self)
    }
}
