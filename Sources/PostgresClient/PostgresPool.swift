public import BlockingIO
public import Logging

/// A bounded set of `PostgresConnection`s shared by many tasks (a `ConnectionPool`): callers
/// lease a connection for a closure and wait in line, cancellably and at most `acquireTimeout`,
/// when all are in use.
public final class PostgresPool: Sendable {
    /// How many connections, and how long a statement waits for one (then `connectionFailed`,
    /// which callers treat as the database being unavailable).
    public typealias Options = ConnectionPool<PostgresConnection>.Options

    public let configuration: PostgresConfiguration
    public let options: Options
    private let connections: ConnectionPool<PostgresConnection>

    public init(configuration: PostgresConfiguration, options: Options = Options(), logger: Logger) {
        self.configuration = configuration
        self.options = options
        self.connections = ConnectionPool(
            options: options,
            open: { PostgresConnection(configuration: configuration, logger: logger) },
            timedOut: { PostgresError(.connectionFailed, "this process is busy: no database connection came free within \($0) (all \(options.maxConnections) in use)") })
    }

    /// Runs `body` with a connection of its own, returned to the pool afterwards.
    public func withConnection<Result: Sendable>(
        _ body: @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await connections.withConnection(body)
    }

    /// Runs `body` in a transaction on one pooled connection: committed when it returns,
    /// rolled back when it throws.
    @discardableResult
    public func withTransaction<Result: Sendable>(
        _ body: @Sendable (isolated PostgresConnection) throws -> Result
    ) async throws -> Result {
        try await withConnection { connection in
            try await connection.transaction(body)
        }
    }

    /// Runs one statement on a pooled connection.
    @discardableResult
    public func query(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) async throws -> PostgresResult {
        try await withConnection { try await $0.query(sql, parameters) }
    }

    /// Closes the idle connections; those in use return to the pool and stay open.
    public func close() async {
        for connection in connections.takeIdle() { await connection.close() }
    }
}
