import CLibPQ

/// The rows a statement returned, copied out of libpq before its result is freed.
public struct PostgresResult: Sendable {
    public let columns: PostgresColumns
    public let rows: [PostgresRow]
    /// Rows affected by INSERT/UPDATE/DELETE (`PQcmdTuples`), 0 otherwise.
    public let affectedRows: Int

    init(_ result: OpaquePointer) {
        let fieldCount = Int(PQnfields(result))
        var names: [String] = []
        var types: [UInt32] = []
        for index in 0..<fieldCount {
            names.append(String(cString: PQfname(result, Int32(index))))
            types.append(PQftype(result, Int32(index)))
        }
        let columns = PostgresColumns(names: names, types: types)
        let rowCount = Int(PQntuples(result))
        var rows: [PostgresRow] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(fieldCount)
            for column in 0..<fieldCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
                }
            }
            rows.append(PostgresRow(columns: columns, values: values))
        }
        self.columns = columns
        self.rows = rows
        self.affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    public var first: PostgresRow? { rows.first }
}

/// Column names and type OIDs of a result, shared by its rows.
public final class PostgresColumns: Sendable {
    public let names: [String]
    public let types: [UInt32]
    private let indexByName: [String: Int]
    /// The same positions by coding key (`server_id` is `serverId`), for `decodeRecord`; -1 for
    /// a key two columns share.
    private let indexByKey: [String: Int]

    init(names: [String], types: [UInt32]) {
        self.names = names
        self.types = types
        var index: [String: Int] = [:]
        var byKey: [String: Int] = [:]
        for (position, name) in names.enumerated() where index[name] == nil {
            index[name] = position
            let key = Self.codingKey(forColumn: name)
            byKey[key] = byKey[key] == nil ? position : -1
        }
        self.indexByName = index
        self.indexByKey = byKey
    }

    public func index(of name: String) -> Int? { indexByName[name] }

    /// The column a coding key reads: nil when there is none, -1 when two columns share the key.
    func index(ofKey key: String) -> Int? { indexByKey[key] }

    /// The coding keys that name one column each.
    var keys: [String] { indexByKey.filter { $0.value >= 0 }.map(\.key) }

    /// `last_checked_at` is `lastCheckedAt`.
    static func codingKey(forColumn name: String) -> String {
        var parts = name.split(separator: "_", omittingEmptySubsequences: true)
        guard !parts.isEmpty else { return name }
        let head = String(parts.removeFirst())
        return parts.reduce(into: head) { key, part in key += part.prefix(1).uppercased() + part.dropFirst() }
    }
}

/// One row; values are PostgreSQL's text form until decoded.
public struct PostgresRow: Sendable {
    public let columns: PostgresColumns
    public let values: [String?]

    /// Decodes a non-null column; a NULL or a value of the wrong shape throws `decodingFailed`.
    public func decode<Value: PostgresDecodable>(_ column: String, as type: Value.Type = Value.self) throws(PostgresError) -> Value {
        guard let value = try decodeIfPresent(column, as: type) else {
            throw PostgresError(.decodingFailed, "column '\(column)' is NULL, expected \(Value.self)")
        }
        return value
    }

    /// Decodes a column that may be NULL.
    public func decodeIfPresent<Value: PostgresDecodable>(_ column: String, as type: Value.Type = Value.self) throws(PostgresError) -> Value? {
        try decodeIfPresent(at: try columnIndex(column), as: type)
    }

    func decodeIfPresent<Value: PostgresDecodable>(at index: Int, as type: Value.Type) throws(PostgresError) -> Value? {
        guard let text = values[index] else { return nil }
        do {
            return try Value(postgresText: text, type: columns.types[index])
        } catch {
            throw PostgresError(.decodingFailed, "column '\(columns.names[index])': \(error.message)")
        }
    }

    func decode<Value: PostgresDecodable>(at index: Int, as type: Value.Type) throws(PostgresError) -> Value {
        guard let value = try decodeIfPresent(at: index, as: type) else {
            throw PostgresError(.decodingFailed, "column '\(columns.names[index])' is NULL, expected \(Value.self)")
        }
        return value
    }

    func columnIndex(_ column: String) throws(PostgresError) -> Int {
        guard let index = columns.index(of: column) else {
            throw PostgresError(.decodingFailed, "result has no column '\(column)' (columns: \(columns.names.joined(separator: ", ")))")
        }
        return index
    }
}
