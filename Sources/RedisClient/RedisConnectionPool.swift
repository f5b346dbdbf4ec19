import DequeModule
import Logging

/// A bounded set of `RedisConnection`s shared by many tasks.
///
/// Callers lease a connection for the duration of a closure; when all are in use they wait in
/// FIFO order. Connections reconnect by themselves after a failure, so a broken one is simply
/// returned and reused.
public actor RedisConnectionPool {
    public struct Options: Sendable {
        /// Most connections open at once.
        public var maxConnections: Int

        public init(maxConnections: Int = 8) {
            self.maxConnections = max(1, maxConnections)
        }
    }

    public nonisolated let configuration: RedisConfiguration
    public nonisolated let options: Options
    private let logger: Logger
    private var idle: [RedisConnection] = []
    private var created = 0
    private var waiters = Deque<CheckedContinuation<RedisConnection, Never>>()

    public init(configuration: RedisConfiguration, options: Options = Options(), logger: Logger) {
        self.configuration = configuration
        self.options = options
        self.logger = logger
    }

    /// Runs `body` with a connection of its own, returned to the pool afterwards.
    public nonisolated func withConnection<Result: Sendable>(
        _ body: @Sendable (RedisConnection) async throws -> Result
    ) async throws -> Result {
        let connection = await lease()
        do {
            let result = try await body(connection)
            await release(connection)
            return result
        } catch {
            await release(connection)
            throw error
        }
    }

    /// Makes a connection that is not part of the pool, for blocking commands or subscriptions.
    public nonisolated func makeDedicatedConnection(clientName: String? = nil) -> RedisConnection {
        var configuration = self.configuration
        configuration.clientName = clientName
        return RedisConnection(configuration: configuration, logger: logger)
    }

    private func lease() async -> RedisConnection {
        if let connection = idle.popLast() { return connection }
        if created < options.maxConnections {
            created += 1
            return RedisConnection(configuration: configuration, logger: logger)
        }
        return await withCheckedContinuation { waiters.append($0) }
    }

    private func release(_ connection: RedisConnection) {
        if let waiter = waiters.popFirst() {
            waiter.resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }

    /// Closes the idle connections (leased ones close when released and dropped).
    public func close() async {
        let connections = idle
        idle.removeAll()
        created -= connections.count
        for connection in connections { await connection.close() }
    }
}

extension RedisConnectionPool {
    /// Sends one command on a pooled connection; an error reply is thrown as `serverError`.
    @discardableResult
    public nonisolated func command(_ arguments: [RedisArgument]) async throws -> RESPValue {
        try await withConnection { try await $0.command(arguments) }
    }

    @discardableResult
    public nonisolated func command(_ words: String...) async throws -> RESPValue {
        let arguments = words.map { RedisArgument($0) }
        return try await withConnection { try await $0.command(arguments) }
    }

    public nonisolated func pipeline(_ commands: [[RedisArgument]]) async throws -> [RESPValue] {
        try await withConnection { try await $0.pipeline(commands) }
    }

    public nonisolated func evalScript(_ script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument]) async throws -> RESPValue {
        try await withConnection { try await $0.evalScript(script, keys: keys, arguments: arguments) }
    }
}
