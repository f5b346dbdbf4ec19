import BlockingIO
import Foundation
@testable import JobQueue
@testable import RedisClient
import TestSupport
import Testing

/// Queues on the test Redis Cluster (`MM_TEST_REDIS_CLUSTER_URL`), one per master.
struct ClusterFixture: Sendable {
    let redis: RedisConnectionPool
    private(set) var queues: [Queue]

    init(queueCount: Int = 3) async throws {
        redis = RedisConnectionPool(
            configuration: try RedisConfiguration(url: TestEnvironment.require("MM_TEST_REDIS_CLUSTER_URL")),
            options: .init(maxConnections: 24), logger: queueLogger())
        let map = try await Self.slotMap(redis)
        var byMaster: [RedisEndpoint: Queue] = [:]
        while byMaster.count < min(queueCount, map.masters.count) {
            let queue = try Queue(name: TestEnvironment.uniqueName("cq"), redis: redis)
            if let owner = map[RedisHashSlot.slot(of: queue.keys.key("wait"))], byMaster[owner] == nil { byMaster[owner] = queue }
        }
        queues = byMaster.values.sorted { $0.name < $1.name }
    }

    /// Adds wait for a replica, so a job added just before a master dies survives it.
    mutating func acknowledgeAdds() {
        for index in queues.indices { queues[index].replicaWait = RedisReplicaWait() }
    }

    static func slotMap(_ redis: RedisConnectionPool) async throws -> RedisClusterSlotMap {
        try await #require(redis.cluster).slotMap()
    }

    /// The master serving `queue`'s keys now.
    func master(of queue: Queue) async throws -> RedisEndpoint {
        try #require(try await Self.slotMap(redis)[RedisHashSlot.slot(of: queue.keys.key("wait"))])
    }

    func close() async throws {
        for queue in queues { try await queue.obliterate(force: true) }
        await redis.close()
    }
}
