import DequeModule
import Logging
import Synchronization

/// A bounded set of `RedisConnection`s shared by many tasks.
///
/// Callers lease a connection for the duration of a closure; when all are in use they wait in
/// FIFO order. Connections reconnect by themselves after a failure, so a broken one is simply
/// returned and reused.
/// The pool is a lock, not an actor: leasing and returning a connection costs no task hop, which
/// matters on the request path where every hop is a thread switch.
public final class RedisConnectionPool: Sendable {
    public struct Options: Sendable {
        /// Most connections open at once.
        public var maxConnections: Int

        public init(maxConnections: Int = 8) {
            self.maxConnections = max(1, maxConnections)
        }
    }

    private struct State {
        var idle: [RedisConnection] = []
        var created = 0
        var waiters = Deque<CheckedContinuation<RedisConnection, Never>>()
    }

    public let configuration: RedisConfiguration
    public let options: Options
    private let logger: Logger
    private let state = Mutex(State())

    public init(configuration: RedisConfiguration, options: Options = Options(), logger: Logger) {
        self.configuration = configuration
        self.options = options
        self.logger = logger
    }

    /// Runs `body` with a connection of its own, returned to the pool afterwards.
    public func withConnection<Result: Sendable>(
        _ body: @Sendable (RedisConnection) async throws -> Result
    ) async throws -> Result {
        let connection = await lease()
        do {
            let result = try await body(connection)
            release(connection)
            return result
        } catch {
            release(connection)
            throw error
        }
    }

    /// Makes a connection that is not part of the pool, for blocking commands or subscriptions.
    public func makeDedicatedConnection(clientName: String? = nil) -> RedisConnection {
        var configuration = self.configuration
        configuration.clientName = clientName
        return RedisConnection(configuration: configuration, logger: logger)
    }

    private enum Lease {
        case idle(RedisConnection)
        case create
        case wait
    }

    private func lease() async -> RedisConnection {
        let decision = state.withLock { state -> Lease in
            if let connection = state.idle.popLast() { return .idle(connection) }
            guard state.created < options.maxConnections else { return .wait }
            state.created += 1
            return .create
        }
        switch decision {
        case .idle(let connection): return connection
        case .create: return RedisConnection(configuration: configuration, logger: logger)
        case .wait:
            return await withCheckedContinuation { continuation in
                // A connection may have come back between the two locks.
                let ready = state.withLock { state -> RedisConnection? in
                    if let connection = state.idle.popLast() { return connection }
                    state.waiters.append(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }

    private func release(_ connection: RedisConnection) {
        let waiter = state.withLock { state -> CheckedContinuation<RedisConnection, Never>? in
            if let waiter = state.waiters.popFirst() { return waiter }
            state.idle.append(connection)
            return nil
        }
        waiter?.resume(returning: connection)
    }

    /// Closes the idle connections (leased ones close when released and dropped).
    public func close() async {
        let connections = state.withLock { state -> [RedisConnection] in
            let connections = state.idle
            state.idle.removeAll()
            state.created -= connections.count
            return connections
        }
        for connection in connections { await connection.close() }
    }
}

extension RedisConnectionPool {
    /// Sends one command on a pooled connection; an error reply is thrown as `serverError`.
    @discardableResult
    public func command(_ arguments: [RedisArgument]) async throws -> RESPValue {
        try await withConnection { try await $0.command(arguments) }
    }

    @discardableResult
    public func command(_ words: String...) async throws -> RESPValue {
        let arguments = words.map { RedisArgument($0) }
        return try await withConnection { try await $0.command(arguments) }
    }

    public func pipeline(_ commands: [[RedisArgument]]) async throws -> [RESPValue] {
        try await withConnection { try await $0.pipeline(commands) }
    }

    public func evalScript(_ script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument]) async throws -> RESPValue {
        try await withConnection { try await $0.evalScript(script, keys: keys, arguments: arguments) }
    }
}
