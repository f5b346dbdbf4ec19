package import Foundation
package import Logging
package import Records
import BlockingIO
import Synchronization

/// Where `KnownTokenDigests` reads the digests of the tokens that may be presented now.
package protocol TokenDigestSource: Sendable {
    /// The digests of unrevoked, unexpired tokens (all, or those made at or after `since`), and the
    /// source's own time of the read (the next read's `since` comes from it, never from a row).
    func liveTokenDigests(createdSince since: Date?) async throws -> (digests: [String], readAt: Date)
}

extension UserRepository: TokenDigestSource {}

/// The digests of every API token that may be valid, held in memory, so that a made-up `mm_`
/// token is refused without a lookup of its own, however many networks send them.
///
/// A digest that is not held is confirmed by a reload that began after the caller asked (another
/// process may have just made the token). Callers that miss together share one reload, and
/// reloads begin at least `spacing` apart, so a flood of made-up tokens costs one small query per
/// `spacing` at most. A reload reads the tokens made since the previous read, by the source's
/// clock, less `overlap` (for inserts that commit late); every `fullEvery`, and whenever the
/// source's clock moved other than this process's, it reads them all, dropping revoked and
/// expired ones. When a reload fails, or takes more than `maxWait`, or `maxWaiters` already wait,
/// `mayBeLive` says yes: the caller looks the token up as it would without this set (in its
/// bounded slots), so an unreadable source of truth never refuses a valid token.
package final class KnownTokenDigests: Sendable {
    let source: any TokenDigestSource
    let spacing: Duration
    let fullEvery: Duration
    let overlap: TimeInterval
    let maxWait: Duration
    let maxWaiters: Int
    let logger: Logger
    /// The time now: the clock's, or a test's.
    let now: @Sendable () -> ContinuousClock.Instant
    private let state = Mutex<State>(State())
    private let reloadCount = Atomic<Int>(0)

    private struct Waiter {
        let askedAt: ContinuousClock.Instant
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var digests: Set<String> = []
        /// The source's time of the latest read (the next one reads from it, less the overlap),
        /// and this process's when that read began.
        var lastRead: (at: Date, startedAt: ContinuousClock.Instant)?
        var lastFullRead: ContinuousClock.Instant?
        var lastStart: ContinuousClock.Instant?
        var lastFailureLogged: ContinuousClock.Instant?
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
        var reloading = false
    }

    package init(
        source: any TokenDigestSource, spacing: Duration = .milliseconds(100), fullEvery: Duration = .seconds(600),
        overlap: TimeInterval = 300, maxWait: Duration = .seconds(2), maxWaiters: Int = 10_000,
        logger: Logger = Logger(label: "medicineman.auth"), now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.source = source
        self.spacing = spacing
        self.fullEvery = fullEvery
        self.overlap = overlap
        self.maxWait = maxWait
        self.maxWaiters = maxWaiters
        self.logger = logger
        self.now = now
    }

    /// Whether the token with `digest` may be live: held, or held after a reload that began after
    /// this call, or not known because no such reload answered in time. No means no such token.
    package func mayBeLive(_ digest: String) async -> Bool {
        let askedAt = now()
        if state.withLock({ $0.digests.contains(digest) }) { return true }
        guard await reloaded(after: askedAt) else { return true }
        return state.withLock { $0.digests.contains(digest) }
    }

    /// Reloads that ran so far (for tests).
    package var reloads: Int { reloadCount.load(ordering: .relaxed) }

    /// Callers waiting for a reload now.
    package var waiting: Int { state.withLock { $0.waiters.count } }

    /// Waits for a reload that begins at or after `askedAt`; false when it failed, or did not end
    /// within `maxWait`, or too many waited already, or the caller was cancelled.
    private func reloaded(after askedAt: ContinuousClock.Instant) async -> Bool {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let startReloading = state.withLock { state -> Bool? in
                    // Checked under the lock that `onCancel` takes, so a cancelled caller never waits.
                    guard !Task.isCancelled, state.waiters.count < maxWaiters else { return nil }
                    state.waiters[id] = Waiter(askedAt: askedAt, continuation: continuation)
                    defer { state.reloading = true }
                    return !state.reloading
                }
                switch startReloading {
                case nil: continuation.resume(returning: false)
                case true?:
                    // Detached because it is shared: it belongs to no one caller (nor to its trace),
                    // and a caller that goes away must not cancel the others' answer. It ends when
                    // no one waits.
                    Task.detached { await self.reloadWhileAsked() }
                case false?: break
                }
            }
        } onCancel: {
            answer(state.withLock { $0.waiters.removeValue(forKey: id) }.map { [$0] } ?? [], false)
        }
    }

    private func reloadWhileAsked() async {
        while true {
            let pause = state.withLock { state in state.lastStart.map { $0 + spacing - now() } ?? .zero }
            if pause > .zero { try? await Task.sleep(for: pause) }
            let (startedAt, since) = state.withLock { state -> (ContinuousClock.Instant, Date?) in
                let startedAt = now()
                state.lastStart = startedAt
                let full = state.lastFullRead.map { startedAt - $0 >= fullEvery } ?? true
                return (startedAt, full ? nil : state.lastRead?.at.addingTimeInterval(-overlap))
            }
            let outcome = await readExpiringOverdueWaiters(since: since)
            reloadCount.add(1, ordering: .relaxed)
            if case .failure(let error) = outcome { logFailure(error) }
            let read = try? outcome.get()
            // A full set is built outside the lock that every token check takes.
            let fresh = since == nil ? read.map { Set($0.digests) } : nil
            let (answered, goOn) = state.withLock { state in
                if let read {
                    if since != nil, let last = state.lastRead, clockStepped(from: last, to: (read.readAt, startedAt)) {
                        // Tokens made while the source's clock was off may sort before the
                        // window: read them all before answering anyone.
                        state.lastFullRead = nil
                        return ([Waiter](), true)
                    }
                    if let fresh { state.digests = fresh } else { state.digests.formUnion(read.digests) }
                    if fresh != nil { state.lastFullRead = startedAt }
                    state.lastRead = (read.readAt, startedAt)
                }
                let answered = state.waiters.filter { $0.value.askedAt <= startedAt }
                for id in answered.keys { state.waiters[id] = nil }
                // Decided under the lock: a caller that arrives after this starts a reloader of its own.
                state.reloading = !state.waiters.isEmpty
                return (Array(answered.values), state.reloading)
            }
            answer(answered, read != nil)
            if !goOn { return }
        }
    }

    /// Reads from the source; meanwhile, callers that have waited `maxWait` stop waiting (a read can
    /// wait long for a connection, or for a statement that hangs) and look their token up instead.
    private func readExpiringOverdueWaiters(since: Date?) async -> Result<(digests: [String], readAt: Date), any Error> {
        await withTaskGroup(of: Result<(digests: [String], readAt: Date), any Error>?.self) { group in
            group.addTask { [source] in
                do { return .success(try await source.liveTokenDigests(createdSince: since)) } catch { return .failure(error) }
            }
            group.addTask { [self] in
                while (try? await Task.sleep(for: .milliseconds(250))) != nil {
                    let deadline = now() - maxWait
                    answer(
                        state.withLock { state in
                            let overdue = state.waiters.filter { $0.value.askedAt <= deadline }
                            for id in overdue.keys { state.waiters[id] = nil }
                            return Array(overdue.values)
                        }, false)
                }
                return nil
            }
            // The read ends first: the other task ends only when cancelled.
            let read = await group.next() ?? nil
            group.cancelAll()
            return read ?? .failure(CancellationError())
        }
    }

    /// Whether the source's clock moved other than this process's between two reads, by more than
    /// half the overlap (stepped back, or forward after a step back, or another server's clock).
    private func clockStepped(from last: (at: Date, startedAt: ContinuousClock.Instant), to read: (at: Date, startedAt: ContinuousClock.Instant)) -> Bool {
        abs(read.at.timeIntervalSince(last.at) - (read.startedAt - last.startedAt).inSeconds) > overlap / 2
    }

    private func answer(_ waiters: [Waiter], _ confirmed: Bool) {
        for waiter in waiters { waiter.continuation.resume(returning: confirmed) }
    }

    /// At most once a minute: while the source cannot be read every miss costs a lookup.
    private func logFailure(_ error: any Error) {
        let due = state.withLock { state in
            guard state.lastFailureLogged.map({ now() - $0 >= .seconds(60) }) ?? true else { return false }
            state.lastFailureLogged = now()
            return true
        }
        if due { logger.warning("could not read the API tokens' digests; unknown tokens are looked up one by one", metadata: ["error": "\(error)"]) }
    }
}
