import HTTPAPI
import HTTPTypes
import Records
import Synchronization
import TestSupport
import Testing

/// Made-up bearer tokens cost PostgreSQL lookups: one client network gets `perMinute` of them,
/// then 429s for the rest of its minute; however many arrive, lookups hold at most the slots.
@Suite struct BadTokenLimitTests {
    @Test func aNetworkOverItsLimitWaitsOutItsMinute() throws {
        let clock = TestClock()
        let limit = BadTokenLimit(perMinute: 3, now: { clock.now })
        for _ in 0..<3 {
            try limit.admit("203.0.113.7")
            limit.recordFailure("203.0.113.7")
        }
        let refused = #expect(throws: APIError.self) { try limit.admit("203.0.113.7") }
        #expect(refused?.status == .tooManyRequests)
        #expect(refused?.code == "too_many_bad_tokens")
        #expect(refused?.retryAfterSeconds == 60)
        // Another address is not held back by this one.
        try limit.admit("203.0.113.8")
        clock.advance(.seconds(45))
        #expect(limit.blockedFor("203.0.113.7") == 15)
        clock.advance(.seconds(15))
        try limit.admit("203.0.113.7")
    }

    @Test func anIPv6HostCannotStepPastTheLimitWithinItsSlash64() {
        let clock = TestClock()
        let limit = BadTokenLimit(perMinute: 2, now: { clock.now })
        limit.recordFailure("2001:db8:1:2::1")
        limit.recordFailure("2001:db8:1:2:ffff:ffff:ffff:fffe")
        #expect(limit.blockedFor("2001:db8:1:2:abcd::9") != nil)
        #expect(limit.blockedFor("2001:db8:1:3::1") == nil)
    }

    @Test func networkKeys() {
        #expect(ClientNetwork.key("198.51.100.4") == "198.51.100.4")
        #expect(ClientNetwork.key("::ffff:198.51.100.4") == "198.51.100.4")
        #expect(ClientNetwork.key("64:ff9b::198.51.100.4") == "198.51.100.4")
        #expect(ClientNetwork.key("::198.51.100.4") == "198.51.100.4")
        #expect(ClientNetwork.key("::1") == "0.0.0.1")
        #expect(ClientNetwork.key("::1") != ClientNetwork.key("::2"))
        #expect(ClientNetwork.key("2001:db8::1") == "2001:db8:0:0::/64")
        #expect(ClientNetwork.key("2001:DB8:0:0:1::1") == ClientNetwork.key("2001:db8::2"))
        #expect(ClientNetwork.key("fe80::1%eth0") == "fe80:0:0:0::/64")
        #expect(ClientNetwork.key("unknown") == "unknown")
        #expect(ClientNetwork.key("not:an:address") == "not:an:address")
    }

    @Test func aFullTableForgetsEndedWindowsFirst() {
        let clock = TestClock()
        let limit = BadTokenLimit(perMinute: 1, capacity: 2, now: { clock.now })
        limit.recordFailure("192.0.2.1")
        clock.advance(.seconds(61))
        limit.recordFailure("192.0.2.2")
        limit.recordFailure("192.0.2.3")
        // 192.0.2.1's window had ended, so it made the room; 192.0.2.2 is still counted.
        #expect(limit.blockedFor("192.0.2.2") != nil)
        #expect(limit.blockedFor("192.0.2.3") != nil)
    }

    @Test func networksHeldBackAreNeverDroppedToMakeRoom() {
        let clock = TestClock()
        let limit = BadTokenLimit(perMinute: 2, capacity: 2, now: { clock.now })
        limit.recordFailure("192.0.2.1")
        limit.recordFailure("192.0.2.1")
        limit.recordFailure("192.0.2.2")
        // Full: 192.0.2.2, under the limit, makes the room; 192.0.2.1 stays held back.
        limit.recordFailure("192.0.2.3")
        #expect(limit.blockedFor("192.0.2.1") != nil)
        limit.recordFailure("192.0.2.3")
        #expect(limit.blockedFor("192.0.2.3") != nil)
        // Full of held-back networks: a new one is not counted, and the table is not swept again
        // within the second.
        limit.recordFailure("192.0.2.4")
        limit.recordFailure("192.0.2.4")
        #expect(limit.blockedFor("192.0.2.4") == nil)
        #expect(limit.blockedFor("192.0.2.1") != nil && limit.blockedFor("192.0.2.3") != nil)
    }

    @Test func tokensOfTheWrongShapeAreRefusedWithoutALookup() {
        #expect(UserRepository.isWellFormedToken("mm_" + String(repeating: "0a", count: 32)))
        #expect(!UserRepository.isWellFormedToken("mm_" + String(repeating: "0A", count: 32)))
        #expect(!UserRepository.isWellFormedToken("mm_" + String(repeating: "0a", count: 31)))
        #expect(!UserRepository.isWellFormedToken("mm_" + String(repeating: "0a", count: 31) + "0\u{0}"))
        #expect(!UserRepository.isWellFormedToken("xx_" + String(repeating: "0a", count: 32)))
        #expect(!UserRepository.isWellFormedToken("mm_" + String(repeating: "é", count: 32)))
    }

    /// Counts checks running at once; each waits for the test to open its gate.
    final class Lookups: Sendable {
        let running = Atomic<Int>(0)
        let most = Atomic<Int>(0)
        let started = Atomic<Int>(0)
        let gate = Gate()

        func check() async -> Bool {
            let now = running.add(1, ordering: .relaxed).newValue
            most.max(now, ordering: .relaxed)
            started.add(1, ordering: .relaxed)
            await gate.passed()
            running.subtract(1, ordering: .relaxed)
            return false
        }
    }

    @Test func lookupsHoldAtMostTheirSlots() async throws {
        let slots = TokenLookupSlots(limit: 2, wait: .seconds(30))
        let lookups = Lookups()
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<50 { group.addTask { try await slots.run { await lookups.check() } } }
            while lookups.started.load(ordering: .relaxed) < 2 || slots.waiting < 48 { await Task.yield() }
            #expect(lookups.running.load(ordering: .relaxed) == 2)
            await lookups.gate.open()
            try await group.waitForAll()
        }
        #expect(lookups.most.load(ordering: .relaxed) == 2)
        #expect(lookups.started.load(ordering: .relaxed) == 50)
    }

    @Test func aCheckThatWaitsTooLongIsBusy() async throws {
        let slots = TokenLookupSlots(limit: 1, wait: .milliseconds(50))
        let lookups = Lookups()
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await slots.run { await lookups.check() } }
            while lookups.started.load(ordering: .relaxed) < 1 { await Task.yield() }
            let busy = await #expect(throws: APIError.self) { try await slots.run { true } }
            #expect(busy?.status == .serviceUnavailable)
            #expect(busy?.code == "busy")
            #expect(busy?.retryAfterSeconds == 1)
            await lookups.gate.open()
            try await group.waitForAll()
        }
    }
}
