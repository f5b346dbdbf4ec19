@testable import RedisClient
import Testing

/// Slot computation, cluster URLs, slot maps and redirects, without a server.
@Suite struct RedisClusterSlotTests {
    @Test func crc16MatchesTheClusterSpecificationVector() {
        // Redis Cluster spec: CRC16/XMODEM of "123456789" is 0x31C3.
        #expect(RedisHashSlot.crc16(Array("123456789".utf8)[...]) == 0x31C3)
    }

    /// Slots as `redis-cli cluster keyslot` gives them.
    @Test(arguments: [
        ("foo", 12182), ("bar", 5061), ("123456789", 12739), ("{user1000}.following", 3443),
        ("foo{}{bar}", 8363), ("foo{{bar}}zap", 4015), ("foo{bar}{zap}", 5061), ("bull:{backup-queue}:wait", 12513), ("", 0),
    ])
    func slotsMatchRedis(key: String, slot: Int) {
        #expect(RedisHashSlot.slot(of: key) == slot)
    }

    @Test func aHashTagKeepsKeysTogether() {
        #expect(RedisHashSlot.slot(of: "bull:{q}:wait") == RedisHashSlot.slot(of: "bull:{q}:123:lock"))
        #expect(RedisHashSlot.slot(of: "bull:{q}:wait") == RedisHashSlot.slot(of: "q"))
    }

    @Test func clusterURLListsItsNodesAndCredentials() throws {
        let configuration = try RedisConfiguration(url: "redis+cluster://app:s%40cret@10.0.0.1:7000,10.0.0.2:7001,[::1]:7002")
        #expect(configuration.isCluster)
        #expect(
            configuration.clusterNodes == [
                RedisEndpoint(host: "10.0.0.1", port: 7000), RedisEndpoint(host: "10.0.0.2", port: 7001), RedisEndpoint(host: "::1", port: 7002),
            ])
        #expect(configuration.username == "app")
        #expect(configuration.password == "s@cret")
        #expect(configuration.host == "10.0.0.1" && configuration.port == 7000)
        #expect(!configuration.redactedDescription.contains("cret"))
        let passwordOnly = try RedisConfiguration(url: "redis+cluster://:pw@127.0.0.1:7301/")
        #expect(passwordOnly.password == "pw" && passwordOnly.username == nil)
        #expect(try !RedisConfiguration(url: "redis://127.0.0.1:6379/0").isCluster)
    }

    @Test func commandsAreRoutedByTheirKey() {
        #expect(RedisCommandKey.firstKey(of: ["GET", "a"]) == Array("a".utf8))
        #expect(RedisCommandKey.firstKey(of: ["EVALSHA", "abc", "2", "k1", "k2", "arg"]) == Array("k1".utf8))
        #expect(RedisCommandKey.firstKey(of: ["EVALSHA", "abc", "0", "arg"]) == nil)
        #expect(RedisCommandKey.firstKey(of: ["XREAD", "COUNT", "5", "BLOCK", "10", "STREAMS", "s", "0-0"]) == Array("s".utf8))
        #expect(RedisCommandKey.firstKey(of: ["PING"]) == nil)
        #expect(RedisCommandKey.firstKey(of: ["client", "list"]) == nil)
        #expect(RedisCommandKey.firstKey(of: ["BZPOPMIN", "m", "1"]) == Array("m".utf8))
    }

    @Test func pipelinesKeepTransactionsAndScriptLoadsWithTheirCommand() {
        let units = RedisClusterRouter.units(of: [
            ["SCRIPT", "LOAD", "x"], ["MULTI"], ["EVALSHA", "s", "1", "a", "1"], ["EVALSHA", "s", "1", "a", "2"], ["EXEC"],
            ["GET", "b"], ["PING"], ["SET", "c", "1"], ["PING"],
        ])
        #expect(units.map(\.indices) == [[0, 1, 2, 3, 4], [5], [6, 7], [8]])
        #expect(units.map(\.slot) == [RedisHashSlot.slot(of: "a"), RedisHashSlot.slot(of: "b"), RedisHashSlot.slot(of: "c"), nil])
    }

    @Test func slotMapsAreReadFromClusterSlots() throws {
        let reply = RESPValue.array([
            .array([
                .integer(0), .integer(8191), .array([.bulkString(Array("10.0.0.1".utf8)), .integer(7000), .bulkString([])]),
                .array([.bulkString(Array("10.0.0.4".utf8)), .integer(7003)]),
            ]),
            .array([.integer(8192), .integer(16383), .array([.bulkString([]), .integer(7001)])]),
        ])
        let queried = RedisEndpoint(host: "10.0.0.9", port: 7009)
        let map = try RedisClusterSlotMap(clusterSlots: reply, queried: queried)
        #expect(map[0] == RedisEndpoint(host: "10.0.0.1", port: 7000))
        #expect(map[16383] == RedisEndpoint(host: "10.0.0.9", port: 7001))
        #expect(map.masters.count == 2)
        #expect(map.nodes.contains(RedisEndpoint(host: "10.0.0.4", port: 7003)))
    }

    @Test func redirectsAreParsed() {
        #expect(RedisClusterRedirect(errorMessage: "MOVED 3999 127.0.0.1:6381") == RedisClusterRedirect(kind: .moved, slot: 3999, endpoint: RedisEndpoint(host: "127.0.0.1", port: 6381)))
        #expect(RedisClusterRedirect(errorMessage: "ASK 1 [::1]:7000")?.endpoint == RedisEndpoint(host: "::1", port: 7000))
        #expect(RedisClusterRedirect(errorMessage: "MOVED 99999 127.0.0.1:6381") == nil)
        #expect(RedisClusterRedirect(errorMessage: "ERR MOVED 1 127.0.0.1:6381") == nil)
    }
}
