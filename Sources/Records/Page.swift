import PostgresClient

/// Which slice of a list to read: `limit` rows after skipping `offset`.
public struct Page: Sendable, Equatable {
    public var limit: Int
    public var offset: Int

    /// `limit` is clamped to 1...200 (default 50); a negative offset reads from the start.
    public init(limit: Int = 50, offset: Int = 0) {
        self.limit = min(max(limit, 1), 200)
        self.offset = max(offset, 0)
    }
}

/// One page of a list and the size of the whole list.
public struct PageOf<Item: Sendable & Codable>: Sendable, Codable {
    public var items: [Item]
    public var total: Int
    public var limit: Int
    public var offset: Int

    /// A page from rows that carry `count(*) OVER () AS total`.
    init(rows: [PostgresRow], page: Page, decode: (PostgresRow) throws -> Item) throws {
        items = try rows.map(decode)
        total = try rows.first?.decode("total", as: Int.self) ?? 0
        limit = page.limit
        offset = page.offset
    }

    /// Where the next page starts, or nil on the last page.
    public var nextOffset: Int? { offset + items.count < total ? offset + items.count : nil }
}
