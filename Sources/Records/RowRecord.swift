import Foundation
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

extension PostgresPool {
    /// The row of `table` (one of our own table names, never input) with this id, read by
    /// `columns` and `decode`; nil when there is none.
    func find<Row>(in table: StaticString, columns: String, id: UUID, decode: (PostgresRow) throws -> Row) async throws(RecordError) -> Row? {
        try await recording { try await query("SELECT \(columns) FROM \(table) WHERE id = $1", [id]).first.map(decode) }
    }

    /// The `Row` of `table` with this id, by its own columns.
    func find<Row: RowRecord>(in table: StaticString, id: UUID) async throws(RecordError) -> Row? {
        try await find(in: table, columns: Row.columns, id: id, decode: Row.init(row:))
    }

    /// One page of `table`'s rows that match `condition` (our own SQL on `$3`…, never input; the
    /// page is `$1` and `$2`), in `order`, with the total they make.
    func page<Row>(
        of table: StaticString, columns: String, where condition: String? = nil, orderBy order: StaticString, _ page: Page,
        _ parameters: [(any PostgresEncodable)?] = [], decode: (PostgresRow) throws -> Row
    ) async throws(RecordError) -> PageOf<Row> {
        let filter = condition.map { " WHERE " + $0 } ?? ""
        return try await recording {
            let rows = try await query(
                "SELECT \(columns), count(*) OVER () AS total FROM \(table)\(filter) ORDER BY \(order) LIMIT $1 OFFSET $2",
                [page.limit, page.offset] + parameters
            ).rows
            return try PageOf(rows: rows, page: page, decode: decode)
        }
    }

    /// One page of `table`'s `Row`s, by their own columns.
    func page<Row: RowRecord>(
        of table: StaticString, where condition: String? = nil, orderBy order: StaticString, _ page: Page, _ parameters: [(any PostgresEncodable)?] = []
    ) async throws(RecordError) -> PageOf<Row> {
        try await self.page(of: table, columns: Row.columns, where: condition, orderBy: order, page, parameters, decode: Row.init(row:))
    }
}
