@testable import RedisClient
import TestSupport
import Testing

/// The cluster mode of the client against the real six-node cluster scripts/test.sh starts.
/// Exclusive: `ClusterFailoverTests` kills a master of the same cluster.
@Suite struct RedisClusterTests {
    @Test(.exclusive) func commandsReachTheNodeOwningTheirKey() async throws {
        let pool = try makeClusterPool()
        let tag = TestEnvironment.uniqueName("route")
        let keys = (0..<60).map { "\(tag):\($0)" }
        for key in keys { try await pool.command(["SET", RedisArgument(key), RedisArgument(key)]) }
        let map = try #require(try await pool.cluster?.slotMap())
        #expect(Set(keys.compactMap { map[RedisHashSlot.slot(of: $0)] }).count == 3, "60 keys spread over the three masters")
        for key in keys {
            #expect(try await pool.command(["GET", RedisArgument(key)]).string == key)
            // The key lives on the node the map names, not elsewhere.
            let owner = try #require(map[RedisHashSlot.slot(of: key)])
            let direct = nodeConnection(owner)
            #expect(try await direct.command(["GET", RedisArgument(key)]).string == key)
        }
        _ = try await pool.pipeline(keys.map { ["DEL", RedisArgument($0)] })
        await pool.close()
    }

    @Test(.exclusive) func pipelinesSpanNodesAndKeepTheirOrder() async throws {
        let pool = try makeClusterPool()
        let tag = TestEnvironment.uniqueName("pipe")
        let keys = (0..<200).map { "\(tag):\($0)" }
        let sets = try await pool.pipeline(keys.map { ["SET", RedisArgument($0), RedisArgument($0 + "!")] } + [["PING"]])
        #expect(sets.count == 201 && sets.dropLast().allSatisfy { $0.string == "OK" } && sets.last?.string == "PONG")
        let gets = try await pool.pipeline(keys.map { ["GET", RedisArgument($0)] })
        #expect(gets.map(\.string) == keys.map { $0 + "!" })
        // A transaction stays on its slot's node.
        let tx = try await pool.pipeline([["MULTI"], ["INCR", RedisArgument("{\(tag)}:n")], ["INCR", RedisArgument("{\(tag)}:n")], ["EXEC"]])
        #expect(tx.last?.array?.map(\.int) == [1, 2])
        _ = try await pool.pipeline(keys.map { ["DEL", RedisArgument($0)] } + [["DEL", RedisArgument("{\(tag)}:n")]])
        await pool.close()
    }

    @Test(.exclusive) func scriptsBlockingWaitsAndEveryServerCommands() async throws {
        let pool = try makeClusterPool()
        let tag = TestEnvironment.uniqueName("script")
        let script = RedisScript(name: "test", source: "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])")
        for index in 0..<10 {
            let key = RedisArgument("\(tag):\(index)")
            #expect(try await pool.evalScript(script, keys: [key], arguments: [RedisArgument("v\(index)")]).string == "v\(index)")
        }
        let marker = RedisArgument("\(tag):marker")
        try await pool.command(["ZADD", marker, "1", "m"])
        let waiter = pool.makeDedicatedConnection()
        let popped = try await pool.blockingCommand(on: waiter, ["BZPOPMIN", marker, "1"], serverTimeout: .seconds(1))
        #expect(popped.array?.count == 3)
        #expect(try await pool.commandOnEveryServer(["PING"]).count == 3)
        await waiter.close()
        await pool.close()
    }

    /// A slot moved by hand: ASK while it migrates, MOVED once it is gone; the client follows both.
    @Test(.exclusive) func movedAndAskAreFollowed() async throws {
        let pool = try makeClusterPool()
        let tag = TestEnvironment.uniqueName("mig")
        let key = "{\(tag)}:k"
        let slot = RedisHashSlot.slot(of: key)
        try await pool.command(["SET", RedisArgument(key), "before"])
        let map = try #require(try await pool.cluster?.slotMap())
        let source = try #require(map[slot])
        let target = try #require(map.masters.sorted { $0.description < $1.description }.first { $0 != source })
        let from = nodeConnection(source), to = nodeConnection(target)
        let sourceId = try #require(try await from.command(["CLUSTER", "MYID"]).string)
        let targetId = try #require(try await to.command(["CLUSTER", "MYID"]).string)
        try await to.command(["CLUSTER", "SETSLOT", RedisArgument(slot), "IMPORTING", RedisArgument(sourceId)])
        try await from.command(["CLUSTER", "SETSLOT", RedisArgument(slot), "MIGRATING", RedisArgument(targetId)])
        try await from.command(["MIGRATE", RedisArgument(target.host), RedisArgument(target.port), RedisArgument(key), "0", "5000"])
        // The source no longer has the key: it answers ASK, and the client asks the target.
        #expect(try await pool.command(["GET", RedisArgument(key)]).string == "before")
        #expect(try await pool.pipeline([["GET", RedisArgument(key)]]).first?.string == "before")
        for node in [to, from] { try await node.command(["CLUSTER", "SETSLOT", RedisArgument(slot), "NODE", RedisArgument(targetId)]) }
        // The map still names the source, which now answers MOVED.
        #expect(try await pool.command(["SET", RedisArgument(key), "after"]).string == "OK")
        #expect(try await pool.cluster?.slotMap()[slot] == target)
        // Put the slot back where it was.
        try await from.command(["CLUSTER", "SETSLOT", RedisArgument(slot), "IMPORTING", RedisArgument(targetId)])
        try await to.command(["CLUSTER", "SETSLOT", RedisArgument(slot), "MIGRATING", RedisArgument(sourceId)])
        try await to.command(["MIGRATE", RedisArgument(source.host), RedisArgument(source.port), RedisArgument(key), "0", "5000"])
        for node in [from, to] { try await node.command(["CLUSTER", "SETSLOT", RedisArgument(slot), "NODE", RedisArgument(sourceId)]) }
        #expect(try await pool.command(["GET", RedisArgument(key)]).string == "after")
        try await pool.command(["DEL", RedisArgument(key)])
        await pool.close()
    }
}
