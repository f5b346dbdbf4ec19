import BlockingIO
import Synchronization
import TestSupport
import Testing

/// The pool both clients lease from, with stand-in connections: bounded, first come first
/// served, and a wait that ends on cancellation or after its timeout without losing a connection.
@Suite struct ConnectionPoolTests {
    /// The order waiters were served in.
    final class Order: Sendable {
        let values = Mutex<[Int]>([])
    }

    /// A count shared with the pool's `open` and the tasks.
    final class Opened: Sendable {
        let count = Mutex(0)
    }

    struct Connection: Sendable, Equatable {
        let number: Int
    }

    struct TimedOut: Error {
        let after: Duration
    }

    /// Holds a pool's one connection until `letGo`.
    struct Holder {
        let release: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)
        let task: Task<Void, any Error>

        init(of pool: ConnectionPool<Connection>) async {
            let holding = AsyncStream<Void>.makeStream()
            let release = AsyncStream<Void>.makeStream()
            self.release = release
            task = Task {
                try await pool.withConnection { _ in
                    holding.continuation.yield()
                    for await _ in release.stream { break }
                }
            }
            for await _ in holding.stream { break }
        }

        func letGo() async throws {
            release.continuation.yield()
            try await task.value
        }
    }

    static func pool(max: Int, timeout: Duration = .seconds(30), opened: Opened = Opened()) -> ConnectionPool<Connection> {
        ConnectionPool(
            options: .init(maxConnections: max, acquireTimeout: timeout),
            open: {
                Connection(
                    number: opened.count.withLock {
                        $0 += 1; return $0
                    })
            },
            timedOut: { TimedOut(after: $0) })
    }

    @Test func connectionsAreReusedAndNeverMoreThanTheLimit() async throws {
        let opened = Opened()
        let pool = Self.pool(max: 3, opened: opened)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 { group.addTask { _ = try await pool.withConnection { $0 } } }
            try await group.waitForAll()
        }
        #expect(opened.count.withLock { $0 } <= 3)
        #expect(pool.takeIdle().count == opened.count.withLock { $0 })
    }

    @Test func everyWaiterIsServedAsConnectionsComeBack() async throws {
        let pool = Self.pool(max: 1)
        let served = Opened()
        let holder = await Holder(of: pool)
        let waiters = (0..<5).map { _ in Task { try await pool.withConnection { _ in served.count.withLock { $0 += 1 } } } }
        try await holder.letGo()
        for waiter in waiters { try await waiter.value }
        #expect(served.count.withLock { $0 } == 5)
    }

    @Test func aCancelledWaiterStopsWaitingAtOnceAndLosesNothing() async throws {
        let pool = Self.pool(max: 1)
        let holder = await Holder(of: pool)
        let waiter = Task { try await pool.withConnection { $0 } }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        try await holder.letGo()
        // The one connection is back, and the next caller gets it.
        #expect(try await pool.withConnection { $0 } == Connection(number: 1))
    }

    @Test func aWaiterCancelledWhileInLineLeavesTheLineAndLosesNothing() async throws {
        let pool = Self.pool(max: 1)
        let holder = await Holder(of: pool)
        let waiter = Task { try await pool.withConnection { $0 } }
        #expect(try await eventually { pool.waiting == 1 })
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(pool.waiting == 0)
        try await holder.letGo()
        #expect(try await pool.withConnection { $0 } == Connection(number: 1))
    }

    @Test func waitersQueuedOneAfterAnotherAreServedInThatOrder() async throws {
        let pool = Self.pool(max: 1)
        let holder = await Holder(of: pool)
        let order = Order()
        var waiters: [Task<Void, any Error>] = []
        for index in 0..<4 {
            waiters.append(Task { try await pool.withConnection { _ in order.values.withLock { $0.append(index) } } })
            #expect(try await eventually { pool.waiting == index + 1 })
        }
        try await holder.letGo()
        for waiter in waiters { try await waiter.value }
        #expect(order.values.withLock { $0 } == [0, 1, 2, 3])
    }

    @Test func aTimeoutRacingAReleaseNeverLosesTheConnection() async throws {
        let opened = Opened()
        let pool = Self.pool(max: 1, timeout: .milliseconds(2), opened: opened)
        for _ in 0..<200 {
            let holder = await Holder(of: pool)
            let waiter = Task { try? await pool.withConnection { $0 } }
            try await holder.letGo()
            _ = await waiter.value
        }
        // Every lease came back: one connection, idle, and no one left waiting.
        #expect(opened.count.withLock { $0 } == 1)
        #expect(pool.waiting == 0)
        #expect(pool.takeIdle() == [Connection(number: 1)])
    }

    @Test func aWaitEndsWithTheTimeoutErrorAndTheConnectionStaysInThePool() async throws {
        let pool = Self.pool(max: 1, timeout: .milliseconds(20))
        let holder = await Holder(of: pool)
        let error = await #expect(throws: TimedOut.self) { try await pool.withConnection { $0 } }
        #expect(error?.after == .milliseconds(20))
        try await holder.letGo()
        #expect(try await pool.withConnection { $0 } == Connection(number: 1))
        #expect(pool.takeIdle() == [Connection(number: 1)])
    }
}
