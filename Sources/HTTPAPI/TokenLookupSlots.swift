import BlockingIO
import Synchronization

/// The bearer-token checks this process runs against PostgreSQL at once. A token that is not
/// cached costs a query on the pool that jobs and records use, and anyone can make one up: however
/// many arrive, from however many addresses, they hold at most `limit` of its connections. Beyond,
/// a check waits in line (cancellably) for up to `wait`, then the answer is 503 `busy`.
package final class TokenLookupSlots: Sendable {
    package let limit: Int
    private let slots: ConnectionPool<Void>
    private let answered = Atomic<Int>(0)

    package init(limit: Int = 2, wait: Duration = .seconds(2)) {
        self.limit = max(1, limit)
        let limit = self.limit
        self.slots = ConnectionPool(
            options: .init(maxConnections: limit, acquireTimeout: wait), open: {},
            timedOut: { _ in APIError.busy("\(limit) bearer-token checks are waiting for the database; try again shortly") })
    }

    /// Runs one check in a slot of its own.
    package func run<Result: Sendable>(_ check: () async throws -> Result) async throws -> Result {
        try await slots.withConnection { _ in
            let result = try await check()
            answered.add(1, ordering: .relaxed)
            return result
        }
    }

    /// Checks that ran in a slot and answered (did not throw) so far: the lookups made, for tests.
    package var checksAnswered: Int { answered.load(ordering: .relaxed) }

    /// Checks waiting for a slot now.
    package var waiting: Int { slots.waiting }
}
