import Foundation
import HTTPAPI
import Records
import Synchronization
import TestSupport
import Testing

/// Made-up `mm_` tokens are refused from memory: each miss is confirmed by a reload that began
/// after it was asked, misses share reloads, and a source that cannot answer refuses nothing.
@Suite struct KnownTokenDigestsTests {
    /// Tokens as PostgreSQL would list them, with the database's clock. A read takes its rows when
    /// it begins; it can then be held at `gate`, or fail.
    final class MemoryDigests: TokenDigestSource {
        let tokens = Mutex<[(digest: String, createdAt: Date)]>([])
        let databaseNow = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        let reads = Mutex<[Date?]>([])
        let failing = Atomic<Bool>(false)
        let holding = Atomic<Bool>(false)
        let gate = Gate()

        struct Unreachable: Error {}

        var clock: Date { databaseNow.withLock { $0 } }

        func add(_ digest: String, createdAt: Date? = nil) {
            let createdAt = createdAt ?? clock
            tokens.withLock { $0.append((digest, createdAt)) }
        }

        func remove(_ digest: String) {
            tokens.withLock { $0.removeAll { $0.digest == digest } }
        }

        func liveTokenDigests(createdSince since: Date?) async throws -> (digests: [String], readAt: Date) {
            reads.withLock { $0.append(since) }
            let digests = tokens.withLock { tokens in tokens.filter { token in since.map { token.createdAt >= $0 } ?? true }.map(\.digest) }
            let readAt = clock
            if holding.load(ordering: .relaxed) { await gate.passed() }
            if failing.load(ordering: .relaxed) { throw Unreachable() }
            return (digests, readAt)
        }
    }

    static func digest() -> String { Hex.encode((0..<32).map { _ in UInt8.random(in: 0...255) }) }

    @Test func aHeldDigestIsAnsweredWithoutAReloadAndAMadeUpOneIsRefused() async throws {
        let source = MemoryDigests()
        let valid = Self.digest()
        source.add(valid)
        let known = KnownTokenDigests(source: source, spacing: .zero)
        #expect(await known.mayBeLive(valid))
        #expect(await known.mayBeLive(valid))
        #expect(known.reloads == 1)
        #expect(await !known.mayBeLive(Self.digest()))
        #expect(known.reloads == 2)
    }

    /// A token another process made after the last reload is found on its first use, by a read
    /// of what was made since the previous read (by the database's clock, less the overlap).
    @Test func aTokenMadeElsewhereIsFoundOnItsFirstUse() async throws {
        let source = MemoryDigests()
        let known = KnownTokenDigests(source: source, spacing: .zero, overlap: 300)
        let firstRead = source.clock
        #expect(await !known.mayBeLive(Self.digest()))
        source.databaseNow.withLock { $0 += 5 }
        let later = Self.digest()
        source.add(later)
        #expect(await known.mayBeLive(later))
        #expect(source.reads.withLock { $0 } == [nil, firstRead.addingTimeInterval(-300)])
    }

    /// A token dated in the future (a clock that stepped forward and back) does not hide the
    /// tokens made after it: reads start from the database's time of the last read, not a row's.
    @Test func aTokenDatedInTheFutureHidesNothing() async throws {
        let source = MemoryDigests()
        source.add(Self.digest(), createdAt: source.clock.addingTimeInterval(86_400))
        let known = KnownTokenDigests(source: source, spacing: .zero)
        #expect(await !known.mayBeLive(Self.digest()))
        let made = Self.digest()
        source.add(made)
        #expect(await known.mayBeLive(made))
    }

    /// When the database's clock goes back past the overlap, tokens made since would sort before
    /// the next window: the set reads them all before it answers. So too when the database's time
    /// passed other than this process's (a failover to a server whose clock is behind): a token
    /// made there may be dated before the window.
    @Test func aClockThatSteppedMakesAFullRead() async throws {
        let source = MemoryDigests()
        let clock = TestClock()
        let known = KnownTokenDigests(source: source, spacing: .zero, fullEvery: .seconds(86_400), overlap: 300, now: { clock.now })
        #expect(await !known.mayBeLive(Self.digest()))
        source.databaseNow.withLock { $0 -= 3_600 }
        let madeBack = Self.digest()
        source.add(madeBack)
        #expect(await known.mayBeLive(madeBack))
        #expect(source.reads.withLock { $0.map { $0 == nil } } == [true, false, true])

        let lastRead = source.clock
        let madeAfterFailover = Self.digest()
        source.add(madeAfterFailover, createdAt: lastRead - 600)
        clock.advance(.seconds(3_600))
        source.databaseNow.withLock { $0 = lastRead + 600 }
        #expect(await known.mayBeLive(madeAfterFailover))
        #expect(source.reads.withLock { $0.map { $0 == nil } } == [true, false, true, false, true])
    }

    /// 50 misses that arrive while a reload runs share the one reload after it, and get its
    /// answer, not the running one's: the token they ask for was made after that one began.
    @Test func missesThatArriveTogetherShareTheNextReload() async throws {
        let source = MemoryDigests()
        // A long wait: on a busy machine the held read must not release `first` before the gate opens.
        let known = KnownTokenDigests(source: source, spacing: .zero, maxWait: .seconds(60))
        source.holding.store(true, ordering: .relaxed)
        async let first = known.mayBeLive(Self.digest())
        #expect(try await eventually { await source.gate.held == 1 })
        let made = Self.digest()
        source.add(made)
        let answers = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<50 { group.addTask { await known.mayBeLive(made) } }
            #expect(try await eventually { known.waiting == 51 })
            await source.gate.open()
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(await !first)
        #expect(answers == Array(repeating: true, count: 50))
        #expect(known.reloads == 2)
    }

    /// A revoked token stays held until the next full reload, then is refused.
    @Test func aFullReloadDropsRevokedTokens() async throws {
        let source = MemoryDigests()
        let revoked = Self.digest()
        source.add(revoked)
        let clock = TestClock()
        let known = KnownTokenDigests(source: source, spacing: .zero, fullEvery: .seconds(600), now: { clock.now })
        #expect(await known.mayBeLive(revoked))
        source.remove(revoked)
        #expect(await known.mayBeLive(revoked))
        clock.advance(.seconds(601))
        #expect(await !known.mayBeLive(Self.digest()))
        #expect(await !known.mayBeLive(revoked))
        #expect(source.reads.withLock { $0.map { $0 == nil } } == [true, true, false])
    }

    /// When the digests cannot be read, nothing is refused: the caller looks the token up as it
    /// would without the set.
    @Test func anUnreadableSourceRefusesNothing() async throws {
        let source = MemoryDigests()
        source.failing.store(true, ordering: .relaxed)
        let known = KnownTokenDigests(source: source, spacing: .zero)
        #expect(await known.mayBeLive(Self.digest()))
        source.failing.store(false, ordering: .relaxed)
        #expect(await !known.mayBeLive(Self.digest()))
    }

    /// A read that hangs (no connection, a stuck statement) holds no one past `maxWait`, and no
    /// more than `maxWaiters` wait: the rest are not refused, they are looked up instead.
    @Test func aReadThatHangsHoldsNoOneLongerThanTheWait() async throws {
        let source = MemoryDigests()
        source.holding.store(true, ordering: .relaxed)
        let clock = TestClock()
        let known = KnownTokenDigests(source: source, spacing: .zero, maxWait: .seconds(2), maxWaiters: 1, now: { clock.now })
        async let waited = known.mayBeLive(Self.digest())
        #expect(try await eventually { known.waiting == 1 })
        #expect(await known.mayBeLive(Self.digest()), "one waiter at most: the next is looked up")
        clock.advance(.seconds(3))
        #expect(await waited)
        #expect(known.waiting == 0)
        await source.gate.open()
    }

    /// A caller cancelled while it waits for a reload stops waiting (unconfirmed, so "may be live").
    @Test func aCancelledCallerStopsWaiting() async throws {
        let source = MemoryDigests()
        source.holding.store(true, ordering: .relaxed)
        let known = KnownTokenDigests(source: source, spacing: .zero)
        let waiting = Task { await known.mayBeLive(Self.digest()) }
        #expect(try await eventually { await source.gate.held == 1 })
        waiting.cancel()
        #expect(await waiting.value)
        #expect(known.waiting == 0)
        await source.gate.open()
    }
}
