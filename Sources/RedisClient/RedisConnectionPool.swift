public import BlockingIO
import ErrorCodes
public import Logging

/// A bounded set of `RedisConnection`s shared by many tasks (a `ConnectionPool`): callers lease a
/// connection for a closure and wait in line, cancellably and at most `acquireTimeout`, when all
/// are in use.
///
/// With a `redis+cluster://` configuration the pool is cluster-aware: `command`, `pipeline`,
/// `evalScript` and `blockingCommand` go to the node owning the command's key (a pool per node,
/// see `RedisClusterRouter`); `withConnection` then leases a connection to some master, for
/// keyless commands only.
public final class RedisConnectionPool: Sendable {
    /// How many connections, and how long a command waits for one (then `poolExhausted`).
    public typealias Options = ConnectionPool<RedisConnection>.Options

    public let configuration: RedisConfiguration
    public let options: Options
    private let logger: Logger
    private let connections: ConnectionPool<RedisConnection>
    /// Set for a cluster configuration: routes commands to the nodes.
    let cluster: RedisClusterRouter?

    public init(configuration: RedisConfiguration, options: Options = Options(), logger: Logger) {
        self.configuration = configuration
        self.options = options
        self.logger = logger
        self.connections = ConnectionPool(
            options: options,
            open: { RedisConnection(configuration: configuration, logger: logger) },
            timedOut: { RedisError(.poolExhausted, "no Redis connection came free within \($0) (all \(options.maxConnections) in use)") })
        self.cluster = configuration.isCluster ? RedisClusterRouter(configuration: configuration, options: options, logger: logger) : nil
    }

    /// Whether commands go to a Redis Cluster.
    public var isCluster: Bool { cluster != nil }

    /// Runs `body` with a connection of its own, returned to the pool afterwards.
    public func withConnection<Result: Sendable>(
        _ body: @Sendable (RedisConnection) async throws -> Result
    ) async throws -> Result {
        if let cluster {
            return try await cluster.pool(for: try await cluster.endpoint(forSlot: nil)).withConnection(body)
        }
        return try await connections.withConnection(body)
    }

    /// Makes a connection that is not part of the pool, for blocking commands or subscriptions.
    public func makeDedicatedConnection(clientName: String? = nil) -> RedisConnection {
        var configuration = self.configuration
        configuration.clientName = clientName
        return RedisConnection(configuration: configuration, logger: logger)
    }

    /// Closes the idle connections; those in use return to the pool and stay open.
    public func close() async {
        await cluster?.close()
        for connection in connections.takeIdle() { await connection.close() }
    }
}

extension RedisConnectionPool {
    /// Sends one command on a pooled connection; an error reply is thrown as `serverError`.
    @discardableResult
    public func command(_ arguments: [RedisArgument]) async throws -> RESPValue {
        if let cluster { return try await cluster.send(arguments).throwingServerError() }
        return try await withConnection { try await $0.command(arguments) }
    }

    @discardableResult
    public func command(_ words: String...) async throws -> RESPValue {
        try await command(words.map { RedisArgument($0) })
    }

    /// Sends many commands in one round trip (per node in a cluster); error replies are values.
    /// In a cluster, a MULTI … EXEC block goes to the node of its first key, and keyless commands
    /// go with the keyed command after them.
    public func pipeline(_ commands: [[RedisArgument]]) async throws -> [RESPValue] {
        if let cluster { return try await cluster.pipeline(commands) }
        return try await withConnection { try await $0.pipeline(commands) }
    }

    /// Runs a script (EVALSHA, EVAL on NOSCRIPT) on the node of its first key; error replies are
    /// returned. With `replicaWait`, a WAIT follows on the same connection (see `RedisReplicaWait`).
    public func evalScript(
        _ script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument],
        replicaWait: RedisReplicaWait? = nil
    ) async throws -> RESPValue {
        let wait = replicaWait?.command
        guard let cluster else {
            return try await withConnection { connection in
                let reply = try await connection.evalScript(script, keys: keys, arguments: arguments)
                if let wait { _ = try await connection.send(wait) }
                return reply
            }
        }
        let reply = try await cluster.send(RedisConnection.evalShaCommand(script, keys: keys, arguments: arguments), then: wait)
        guard RedisConnection.isNoScript(reply) else { return reply }
        return try await cluster.send(RedisConnection.evalSourceCommand(script, keys: keys, arguments: arguments), then: wait)
    }

    /// Several script calls in one round trip (per node in a cluster), as `RedisConnection.pipelineScripts`.
    public func pipelineScripts(_ calls: [(script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument])]) async throws -> [RESPValue] {
        guard let cluster else {
            return try await withConnection { try await $0.pipelineScripts(calls) }
        }
        var replies = try await cluster.pipeline(calls.map { RedisConnection.evalShaCommand($0.script, keys: $0.keys, arguments: $0.arguments) })
        let missing = replies.indices.filter { RedisConnection.isNoScript(replies[$0]) }
        guard !missing.isEmpty else { return replies }
        let retried = try await cluster.pipeline(missing.map { RedisConnection.evalSourceCommand(calls[$0].script, keys: calls[$0].keys, arguments: calls[$0].arguments) })
        for (position, index) in missing.enumerated() { replies[index] = retried[position] }
        return replies
    }

    /// Runs a blocking command (BZPOPMIN, XREAD BLOCK) on a connection from `makeDedicatedConnection`;
    /// in a cluster the connection is pointed at the node of the command's key first.
    public func blockingCommand(on connection: RedisConnection, _ arguments: [RedisArgument], serverTimeout: Duration) async throws -> RESPValue {
        if let cluster { return try await cluster.blockingCommand(on: connection, arguments, serverTimeout: serverTimeout) }
        return try await connection.blockingCommand(arguments, serverTimeout: serverTimeout)
    }

    /// Sends a keyless command that each server answers for itself (CLIENT LIST, INFO): to the
    /// one server, or to every master of a cluster. Error replies are thrown.
    public func commandOnEveryServer(_ arguments: [RedisArgument]) async throws -> [RESPValue] {
        guard let cluster else { return [try await command(arguments)] }
        return try await cluster.sendToEveryMaster(arguments).map { try $0.throwingServerError() }
    }
}
