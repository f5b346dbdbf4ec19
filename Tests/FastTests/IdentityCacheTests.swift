import Foundation
import HTTPAPI
import Records
import TestSupport
import Testing

@Suite struct IdentityCacheTests {
    let alice = Identity(userId: UUID(), username: "alice", role: .operator)

    @Test func entriesExpireAndCanBeDropped() {
        let clock = TestClock()
        let cache = IdentityCache(lifetime: .milliseconds(200), now: { clock.now })
        #expect(cache.identity(for: "mm_a") == nil)
        cache.store(alice, for: "mm_a")
        #expect(cache.identity(for: "mm_a") == alice)
        #expect(cache.identity(for: "mm_b") == nil)
        clock.advance(.milliseconds(199))
        #expect(cache.identity(for: "mm_a") == alice)
        clock.advance(.milliseconds(2))
        #expect(cache.identity(for: "mm_a") == nil)
        cache.store(alice, for: "mm_a")
        cache.invalidateAll()
        #expect(cache.identity(for: "mm_a") == nil)
    }

    @Test func zeroLifetimeCachesNothing() {
        let cache = IdentityCache(lifetime: .zero)
        cache.store(alice, for: "mm_a")
        #expect(cache.identity(for: "mm_a") == nil)
    }

    @Test func capacityIsBounded() {
        let cache = IdentityCache(lifetime: .seconds(60), capacity: 3)
        for index in 0..<10 { cache.store(alice, for: "mm_\(index)") }
        #expect((0..<10).filter { cache.identity(for: "mm_\($0)") != nil }.count <= 3)
    }

    @Test func aLookupThatBeganBeforeAChangeStoresNothing() {
        let cache = IdentityCache(lifetime: .seconds(60))
        let mark = cache.mark()
        cache.invalidateAll()  // a token was revoked while the lookup read the user
        cache.store(alice, for: "mm_a", since: mark)
        #expect(cache.identity(for: "mm_a") == nil)
        cache.store(alice, for: "mm_a", since: cache.mark())
        #expect(cache.identity(for: "mm_a") == alice)
    }

    @Test func aCookiesTokenAndTheSameBearerTokenNeverShareAnEntry() {
        let cache = IdentityCache(lifetime: .seconds(60))
        cache.store(alice, for: "eyJ.session", in: .sessionCookie)
        #expect(cache.identity(for: "eyJ.session", in: .bearer) == nil)
        #expect(cache.identity(for: "eyJ.session", in: .sessionCookie) == alice)
    }
}
