import DequeModule
import Logging

/// A bounded set of `PostgresConnection`s shared by many tasks.
public actor PostgresPool {
    public struct Options: Sendable {
        public var maxConnections: Int
        public init(maxConnections: Int = 8) { self.maxConnections = max(1, maxConnections) }
    }

    public nonisolated let configuration: PostgresConfiguration
    public nonisolated let options: Options
    private let logger: Logger
    private var idle: [PostgresConnection] = []
    private var created = 0
    private var waiters = Deque<CheckedContinuation<PostgresConnection, Never>>()

    public init(configuration: PostgresConfiguration, options: Options = Options(), logger: Logger) {
        self.configuration = configuration
        self.options = options
        self.logger = logger
    }

    /// Runs `body` with a connection of its own, returned to the pool afterwards.
    public nonisolated func withConnection<Result: Sendable>(
        _ body: @Sendable (PostgresConnection) async throws -> Result
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

    /// Runs `body` in a transaction on one pooled connection: committed when it returns,
    /// rolled back when it throws.
    @discardableResult
    public nonisolated func withTransaction<Result: Sendable>(
        _ body: @Sendable (isolated PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection { connection in
            try await connection.transaction(body)
        }
    }

    /// Runs one statement on a pooled connection.
    @discardableResult
    public nonisolated func query(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) async throws -> PostgresResult {
        try await withConnection { try await $0.query(sql, parameters) }
    }

    private func lease() async -> PostgresConnection {
        if let connection = idle.popLast() { return connection }
        if created < options.maxConnections {
            created += 1
            return PostgresConnection(configuration: configuration, logger: logger)
        }
        return await withCheckedContinuation { waiters.append($0) }
    }

    private func release(_ connection: PostgresConnection) {
        if let waiter = waiters.popFirst() {
            waiter.resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }

    public func close() async {
        let connections = idle
        idle.removeAll()
        created -= connections.count
        for connection in connections { await connection.close() }
    }
}
