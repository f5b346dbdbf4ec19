import PostgresClient

/// A record read from a row of its `columns`, whose names are its coding keys in snake_case
/// (`serverId` is `server_id`); `columns` renames with `AS` where the table says otherwise, and
/// builds a `json` value for a nested one.
protocol RowRecord: Decodable {
    static var columns: String { get }
    init(row: PostgresRow) throws
}

extension RowRecord {
    init(row: PostgresRow) throws { self = try row.decodeRecord(Self.self) }
}
