import DequeModule
import Synchronization

/// A bounded set of connections shared by many tasks: the one pool type of the Redis and
/// PostgreSQL clients. A caller leases a connection for the length of a closure; when every
/// connection is in use it waits in line (served in the order the waits were queued; a caller
/// arriving as a connection comes back may take it first), for at most `acquireTimeout`, and stops
/// waiting at once when its task is cancelled. Connections reconnect by themselves after a
/// failure, so a broken one is simply returned and reused.
///
/// A lock, not an actor: when a connection is free, leasing and returning it costs no task hop,
/// which matters on the request path where every hop is a thread switch. Only a caller that has
/// to wait pays for a task group (the wait raced against its timeout).
public final class ConnectionPool<Connection: Sendable>: Sendable {
    public struct Options: Sendable {
        /// Most connections open at once.
        public var maxConnections: Int
        /// Longest a caller waits for a connection when all are in use.
        public var acquireTimeout: Duration

        public init(maxConnections: Int = 8, acquireTimeout: Duration = .seconds(30)) {
            self.maxConnections = max(1, maxConnections)
            self.acquireTimeout = acquireTimeout
        }
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Connection, any Error>
    }

    private struct State {
        var idle: [Connection] = []
        var created = 0
        var waiters = Deque<Waiter>()
        var nextWaiter: UInt64 = 0
        /// Waits given up (cancelled) before their waiter was queued, with why.
        var givenUp: [UInt64: any Error] = [:]
        /// Waits whose ids are handed out but whose waiters are not queued yet.
        var arriving: Set<UInt64> = []
    }

    public let options: Options
    private let state = Mutex(State())
    private let open: @Sendable () -> Connection
    private let timedOut: @Sendable (Duration) -> any Error

    /// `open` makes a new connection (it connects lazily, on its first command); `timedOut` is
    /// the error a caller gets after waiting `acquireTimeout` for one.
    public init(options: Options, open: @escaping @Sendable () -> Connection, timedOut: @escaping @Sendable (Duration) -> any Error) {
        self.options = options
        self.open = open
        self.timedOut = timedOut
    }

    /// Runs `body` with a connection of its own, returned to the pool afterwards.
    public func withConnection<Result: Sendable>(_ body: (Connection) async throws -> Result) async throws -> Result {
        let connection = try await lease()
        return try await withCleanup {
            try await body(connection)
        } cleanup: {
            release(connection)
        }
    }

    /// Callers waiting for a connection now.
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// Takes the idle connections out of the pool, for the caller to close; leased ones come back
    /// to the pool when released (a later call takes them).
    public func takeIdle() -> [Connection] {
        state.withLock { state in
            let connections = state.idle
            state.idle.removeAll()
            state.created -= connections.count
            return connections
        }
    }

    private enum Decision {
        case idle(Connection)
        case open
        case wait(UInt64)
    }

    private func lease() async throws -> Connection {
        let decision = state.withLock { state -> Decision in
            if let connection = state.idle.popLast() { return .idle(connection) }
            if state.created < options.maxConnections {
                state.created += 1
                return .open
            }
            state.nextWaiter += 1
            state.arriving.insert(state.nextWaiter)
            return .wait(state.nextWaiter)
        }
        switch decision {
        case .idle(let connection): return connection
        case .open: return open()
        case .wait(let id): return try await waitWithTimeout(id)
        }
    }

    /// Waits in line for a connection, racing the timeout; a connection handed over just as the
    /// wait ended goes back to the pool.
    private func waitWithTimeout(_ id: UInt64) async throws -> Connection {
        let timeout = options.acquireTimeout
        return try await withThrowingTaskGroup(of: Connection?.self) { group in
            group.addTask { try await self.waitInLine(id) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            if let first = try await group.next(), let connection = first {
                group.cancelAll()
                return connection
            }
            // The timer ended first: stop waiting.
            group.cancelAll()
            while let late = try? await group.next() {
                if let connection = late { release(connection) }
            }
            if Task.isCancelled { throw CancellationError() }
            throw timedOut(timeout)
        }
    }

    private func waitInLine(_ id: UInt64) async throws -> Connection {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let answer = state.withLock { state -> Result<Connection, any Error>? in
                    state.arriving.remove(id)
                    if let reason = state.givenUp.removeValue(forKey: id) { return .failure(reason) }
                    // A connection may have come back since the lease was decided.
                    if let connection = state.idle.popLast() { return .success(connection) }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let answer { continuation.resume(with: answer) }
            }
        } onCancel: {
            giveUp(id, CancellationError())
        }
    }

    /// Ends the wait `id` with `reason`, whether its waiter is queued yet or about to be.
    private func giveUp(_ id: UInt64, _ reason: any Error) {
        let waiter = state.withLock { state -> Waiter? in
            if let index = state.waiters.firstIndex(where: { $0.id == id }) { return state.waiters.remove(at: index) }
            if state.arriving.contains(id) { state.givenUp[id] = reason }
            return nil
        }
        waiter?.continuation.resume(throwing: reason)
    }

    private func release(_ connection: Connection) {
        let waiter = state.withLock { state -> Waiter? in
            if let waiter = state.waiters.popFirst() { return waiter }
            state.idle.append(connection)
            return nil
        }
        waiter?.continuation.resume(returning: connection)
    }
}
