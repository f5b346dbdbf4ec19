import RedisClient

/// One call of a queue script with its arguments named. `arguments` lays them out in the order of
/// the script's ARGV after ARGV[1] (the queue's key prefix, which every queue script takes), so no
/// call site counts positions.
protocol QueueScriptCall: Sendable {
    static var script: RedisScript { get }
    /// ARGV[2...], in the script's order.
    var arguments: [RedisArgument] { get }
}

extension QueueScriptCall {
    /// The whole ARGV for the queue whose keys are `keys`.
    func argv(for keys: QueueKeys) -> [RedisArgument] { [RedisArgument(keys.base)] + arguments }
}

extension RedisConnectionPool {
    /// Runs `call` against the queue whose keys are `keys` (EVALSHA, EVAL on NOSCRIPT); error
    /// replies are returned.
    func run(_ call: some QueueScriptCall, on keys: QueueKeys, replicaWait: RedisReplicaWait? = nil) async throws -> RESPValue {
        try await evalScript(type(of: call).script, keys: keys.scriptKeys, arguments: call.argv(for: keys), replicaWait: replicaWait)
    }
}
