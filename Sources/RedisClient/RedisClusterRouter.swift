import ErrorCodes
import Logging
import Synchronization

/// Sends commands to the Redis Cluster node serving their key's slot: a connection pool per
/// master, the slot map learned from `CLUSTER SLOTS`, `MOVED` (the slot moved for good: the
/// map is updated and refreshed) and `ASK` (one command goes to the importing node) followed,
/// at most `maxRedirects` times per command. A node that cannot be reached marks the map stale,
/// so after a failover the next command asks the cluster again and finds the promoted replica.
/// Commands are never re-sent after a connection failure: they may not be idempotent.
final class RedisClusterRouter: Sendable {
    static let maxRedirects = 16
    /// Shortest gap between two slot-map refreshes, so a dead node does not make every caller ask.
    static let refreshInterval = Duration.milliseconds(200)

    private struct State {
        var map = RedisClusterSlotMap()
        var pools: [RedisEndpoint: RedisConnectionPool] = [:]
        var stale = true
        var refreshing: Task<RedisClusterSlotMap, any Error>?
        var lastRefresh: ContinuousClock.Instant?
    }

    let configuration: RedisConfiguration
    let options: RedisConnectionPool.Options
    let logger: Logger
    private let state = Mutex(State())

    init(configuration: RedisConfiguration, options: RedisConnectionPool.Options, logger: Logger) {
        self.configuration = configuration
        self.options = options
        self.logger = logger
    }

    /// The pool of connections to one node (made on first use).
    func pool(for endpoint: RedisEndpoint) -> RedisConnectionPool {
        state.withLock { state in
            if let pool = state.pools[endpoint] { return pool }
            var node = configuration
            node.clusterNodes = []
            node.host = endpoint.host
            node.port = endpoint.port
            let pool = RedisConnectionPool(configuration: node, options: options, logger: logger)
            state.pools[endpoint] = pool
            return pool
        }
    }

    // MARK: - Slot map

    /// The current slot map, refreshed first when it is stale.
    func slotMap() async throws -> RedisClusterSlotMap {
        let (map, stale) = state.withLock { ($0.map, $0.stale) }
        if !stale { return map }
        return try await refresh()
    }

    /// Marks the map stale: the next command reads it again (a node failed, or a slot moved).
    func invalidate() {
        state.withLock { $0.stale = true }
    }

    /// Reads `CLUSTER SLOTS` from the first node that answers (known masters, then the URL's
    /// nodes); concurrent callers share one read, and reads are at least `refreshInterval` apart.
    @discardableResult
    func refresh(force: Bool = false) async throws -> RedisClusterSlotMap {
        enum Step { case wait(Task<RedisClusterSlotMap, any Error>), fresh(RedisClusterSlotMap) }
        let step = state.withLock { state -> Step in
            if let task = state.refreshing { return .wait(task) }
            if !force, let last = state.lastRefresh, !state.map.nodes.isEmpty, last.duration(to: .now) < Self.refreshInterval {
                return .fresh(state.map)
            }
            let candidates =
                Array(state.map.masters) + configuration.clusterNodes.filter { !state.map.masters.contains($0) }
                + Array(state.map.nodes.subtracting(state.map.masters))
            let task = Task { try await self.readSlotMap(from: candidates) }
            state.refreshing = task
            return .wait(task)
        }
        switch step {
        case .fresh(let map): return map
        case .wait(let task):
            let result = await task.result
            state.withLock { state in
                guard state.refreshing == task else { return }  // another waiter stored it already
                state.refreshing = nil
                state.lastRefresh = .now
                if case .success(let map) = result {
                    state.map = map
                    state.stale = false
                }
            }
            return try result.get()
        }
    }

    private func readSlotMap(from candidates: [RedisEndpoint]) async throws -> RedisClusterSlotMap {
        var failures: [String] = []
        for endpoint in candidates {
            do {
                let reply = try await pool(for: endpoint).command(["CLUSTER", "SLOTS"])
                let map = try RedisClusterSlotMap(clusterSlots: reply, queried: endpoint)
                logger.debug("redis cluster slot map read", metadata: ["redis.node": "\(endpoint)", "redis.masters": "\(map.masters.count)"])
                return map
            } catch let error as RedisError where error.code == .unexpectedReply {
                throw error
            } catch {
                failures.append("\(endpoint): \(error)")
            }
        }
        throw RedisError(.connectionFailed, "no Redis Cluster node answered CLUSTER SLOTS (\(failures.joined(separator: "; ")))")
    }

    // MARK: - Routing

    /// The node for `slot`, or any master for a keyless command.
    func endpoint(forSlot slot: Int?) async throws -> RedisEndpoint {
        let map = try await slotMap()
        if let slot, let owner = map[slot] { return owner }
        if let any = map.masters.sorted(by: { $0.description < $1.description }).first { return any }
        throw RedisError(.clusterRouting, "the Redis Cluster slot map names no master")
    }

    /// Every master now serving slots (for commands such as CLIENT LIST that each node answers for itself).
    func masters() async throws -> [RedisEndpoint] {
        try await slotMap().masters.sorted { $0.description < $1.description }
    }

    /// Acts on a MOVED/ASK reply: records the move, and refuses a node the cluster does not list
    /// (re-reading the map once first, as a new node is only known after it took slots).
    func follow(_ redirect: RedisClusterRedirect) async throws {
        if redirect.kind == .moved {
            state.withLock { state in
                if state.map.nodes.contains(redirect.endpoint) { state.map.move(slot: redirect.slot, to: redirect.endpoint) }
                state.stale = true
            }
        }
        if state.withLock({ $0.map.nodes.contains(redirect.endpoint) }) { return }
        let map = try await refresh(force: true)
        guard map.nodes.contains(redirect.endpoint) else {
            throw RedisError(.clusterRouting, "a Redis Cluster node redirected slot \(redirect.slot) to \(redirect.endpoint), which is not a node of the cluster")
        }
    }

    /// Notes a connection failure: the node may be gone, so the next command re-reads the map.
    func noteFailure(_ error: any Error) {
        // A busy pool says nothing about the cluster's layout.
        if let error = error as? RedisError, error.isRetryable, error.code != .poolExhausted { invalidate() }
    }

    static func tooManyRedirects(_ arguments: [RedisArgument], last: RESPValue) -> RedisError {
        let name = arguments.first.map { String(decoding: $0.bytes, as: UTF8.self) } ?? "command"
        return RedisError(.clusterRouting, "\(name) was redirected more than \(maxRedirects) times by the Redis Cluster (last: \(last.errorMessage ?? "?"))")
    }

    func close() async {
        let pools = state.withLock { Array($0.pools.values) }
        for pool in pools { await pool.close() }
    }
}
