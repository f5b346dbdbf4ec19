package import Foundation
import Hummingbird
import JobQueue
package import Logging
import Synchronization

/// The process's live job event streams (`GET /api/jobs/:id/events`), shared by every request.
///
/// One `QueueEventReader` per queue that has open streams reads the queue's event stream on one
/// blocking connection, started with the first stream and stopped with the last; each event goes
/// to the streams of the job it is about. A stream's buffer is bounded: a client that falls that
/// far behind is dropped, never slowing the others. Streams are capped per user and in all.
package final class JobEventHub: Sendable {
    package struct Limits: Sendable {
        /// Streams one user may hold open (`SSE_MAX_STREAMS_PER_USER`).
        package var perUser: Int
        /// Streams the process holds open in all (`SSE_MAX_STREAMS`).
        package var total: Int
        /// A comment is sent this often so proxies and clients see the stream is alive.
        package var keepAlive: Duration
        /// A stream ends after this long whatever happens (the client reconnects if it still cares).
        package var maximumDuration: Duration
        /// Items a stream may fall behind before it is dropped.
        package var buffer: Int
        /// How often a stream asks whether its opener's credential still holds (checked at a keep-alive).
        package var credentialRecheck: Duration

        package init(
            perUser: Int = 20, total: Int = 1000, keepAlive: Duration = .seconds(15),
            maximumDuration: Duration = .seconds(3600), buffer: Int = 256, credentialRecheck: Duration = .seconds(60)
        ) {
            self.perUser = max(1, perUser)
            self.total = max(1, total)
            self.keepAlive = keepAlive
            self.maximumDuration = maximumDuration
            self.buffer = max(1, buffer)
            self.credentialRecheck = credentialRecheck
        }
    }

    /// Suggested wait before retrying a refused stream (`Retry-After`).
    static let retryAfterSeconds = 15

    package let limits: Limits
    let logger: Logger
    private let state = Mutex(State())

    private struct State {
        /// Readers by queue event stream key.
        var readers: [String: QueueEventReader] = [:]
        /// Open streams by queue event stream key and job id.
        var streams: [String: [String: [ObjectIdentifier: JobEventSubscription]]] = [:]
        var streamsPerQueue: [String: Int] = [:]
        var streamsPerUser: [UUID: Int] = [:]
        var open = 0
        var refused = 0
        var isShutDown = false
    }

    package init(limits: Limits = Limits(), logger: Logger = Logger(label: "medicineman.events")) {
        self.limits = limits
        self.logger = logger
    }

    /// Streams open now.
    package var openStreams: Int { state.withLock { $0.open } }

    /// Streams `user` holds open now.
    package func openStreams(of user: UUID) -> Int { state.withLock { $0.streamsPerUser[user] ?? 0 } }

    /// Queue readers running now (each holds one Redis connection and one thread).
    package var readerCount: Int { state.withLock { $0.readers.count } }

    /// Streams refused by a cap since start.
    package var refusedStreams: Int { state.withLock { $0.refused } }

    /// Opens a stream of `jobId`'s events for `userId`: 429 beyond a cap, 503 while shutting down.
    /// Once this returns, every later event of the job reaches the stream; release it when done.
    /// With `credentialCheck`, the stream ends once the credential it was opened with stops holding.
    func subscribe(queue: Queue, jobId: String, userId: UUID, credentialCheck: CredentialCheck? = nil) async throws -> JobEventSubscription {
        let queueKey = queue.keys.key("events")
        let subscription = JobEventSubscription(
            jobId: jobId, userId: userId, queueKey: queueKey, credentialCheck: credentialCheck, buffer: limits.buffer)
        let limits = self.limits
        let logger = self.logger
        let (reader, isNew) = try state.withLock { state throws(APIError) -> (QueueEventReader, Bool) in
            guard !state.isShutDown else {
                throw APIError(.serviceUnavailable, code: "shutting_down", "the server is shutting down; reconnect to another instance or shortly")
            }
            guard state.open < limits.total else {
                state.refused += 1
                throw Self.tooMany("the server holds its limit of \(limits.total) event streams; try again shortly", scope: "server", limit: limits.total)
            }
            guard state.streamsPerUser[userId, default: 0] < limits.perUser else {
                state.refused += 1
                throw Self.tooMany(
                    "you hold \(limits.perUser) event streams open, the most allowed per user; close one first",
                    scope: "user", limit: limits.perUser)
            }
            state.open += 1
            state.streamsPerUser[userId, default: 0] += 1
            state.streamsPerQueue[queueKey, default: 0] += 1
            state.streams[queueKey, default: [:]][jobId, default: [:]][ObjectIdentifier(subscription)] = subscription
            if let reader = state.readers[queueKey] { return (reader, false) }
            let reader = QueueEventReader(queue: queue, logger: logger)
            state.readers[queueKey] = reader
            return (reader, true)
        }
        if isNew {
            reader.start { [weak self] reader, batch in self?.deliver(batch, from: reader) }
        }
        do {
            try await reader.ready()
        } catch {
            // A reader that could not start is replaced by the next stream's, not reused.
            let failed = state.withLock { state -> Bool in
                guard state.readers[queueKey] === reader else { return false }
                state.readers[queueKey] = nil
                return true
            }
            if failed { reader.stop() }
            release(subscription, .failed)
            throw error
        }
        subscription.attach(ticker: Task { [weak self] in await self?.tick(subscription) })
        return subscription
    }

    /// Closes a stream and frees its slot; the last stream of a queue stops the queue's reader.
    /// Safe to call more than once and from any thread.
    func release(_ subscription: JobEventSubscription, _ reason: JobEventSubscription.End) {
        let queueKey = subscription.queueKey
        let idleReader = state.withLock { state -> QueueEventReader? in
            guard state.streams[queueKey]?[subscription.jobId]?.removeValue(forKey: ObjectIdentifier(subscription)) != nil else { return nil }
            if state.streams[queueKey]?[subscription.jobId]?.isEmpty == true { state.streams[queueKey]?[subscription.jobId] = nil }
            if state.streams[queueKey]?.isEmpty == true { state.streams[queueKey] = nil }
            state.open -= 1
            state.streamsPerUser[subscription.userId, default: 1] -= 1
            if state.streamsPerUser[subscription.userId] == 0 { state.streamsPerUser[subscription.userId] = nil }
            state.streamsPerQueue[queueKey, default: 1] -= 1
            guard state.streamsPerQueue[queueKey] == 0 else { return nil }
            state.streamsPerQueue[queueKey] = nil
            return state.readers.removeValue(forKey: queueKey)
        }
        subscription.finish(reason)
        idleReader?.stop()
    }

    /// Ends every stream and reader and refuses new streams (graceful shutdown: open streams
    /// would otherwise hold the HTTP server's shutdown for up to their maximum duration).
    package func shutdown() {
        let (subscriptions, readers) = state.withLock { state -> ([JobEventSubscription], [QueueEventReader]) in
            state.isShutDown = true
            let subscriptions = state.streams.values.flatMap { $0.values.flatMap(\.values) }
            let readers = Array(state.readers.values)
            state.streams = [:]
            state.readers = [:]
            state.streamsPerQueue = [:]
            state.streamsPerUser = [:]
            state.open = 0
            return (subscriptions, readers)
        }
        for subscription in subscriptions { subscription.finish(.shutdown) }
        for reader in readers { reader.stop() }
    }

    /// Hands a batch read from a queue to the streams of the jobs it is about: the events streams
    /// show, each rendered once however many streams watch its job.
    private func deliver(_ batch: [QueueEvent], from reader: QueueEventReader) {
        let queueKey = reader.queue.keys.key("events")
        let targets = state.withLock { state -> [(QueueEvent, [JobEventSubscription])] in
            // A reader being stopped may still hand in its last batch; its streams are gone or moved.
            guard state.readers[queueKey] === reader, let byJob = state.streams[queueKey] else { return [] }
            return batch.compactMap { event in
                guard JobEventStream.stateEvents.contains(event.name), let jobId = event.jobId, let subscriptions = byJob[jobId] else { return nil }
                return (event, Array(subscriptions.values))
            }
        }
        for (event, subscriptions) in targets {
            let item = JobEventSubscription.Item.event(name: event.name, message: JobEventStream.event(event.name, JobEventStream.payload(event)))
            for subscription in subscriptions where !subscription.deliver(item) {
                drop(subscription)
            }
        }
    }

    /// Ends a stream whose buffer overflowed: its client does not keep up.
    private func drop(_ subscription: JobEventSubscription) {
        logger.notice("dropped an event stream whose client reads too slowly", metadata: ["job": "\(subscription.jobId)"])
        release(subscription, .lagged)
    }

    /// A stream's keep-alives, its end after the longest allowed duration, and the credential
    /// check every `credentialRecheck`.
    private func tick(_ subscription: JobEventSubscription) async {
        let clock = ContinuousClock()
        let deadline = clock.now + limits.maximumDuration
        var nextCheck = clock.now + limits.credentialRecheck
        var undecided = 0
        while true {
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else {
                release(subscription, .expired)
                return
            }
            do { try await Task.sleep(for: min(limits.keepAlive, remaining)) } catch { return }
            if clock.now >= deadline {
                release(subscription, .expired)
                return
            }
            if !subscription.deliver(.keepAlive) {
                drop(subscription)
                return
            }
            if let check = subscription.credentialCheck, clock.now >= nextCheck {
                nextCheck = clock.now + limits.credentialRecheck
                switch await credentialHolds(check, for: subscription) {
                case true?: undecided = 0
                case nil where undecided < Self.undecidedChecksAllowed: undecided += 1
                case false?, nil:
                    release(subscription, .signedOut)
                    return
                }
            }
        }
    }

    /// Checks in a row that could not be made before a stream ends anyway.
    static let undecidedChecksAllowed = 4

    /// Whether the stream's credential still holds; nil when the check could not be made (the
    /// database unreachable, lookups busy). A few such checks keep the stream, as ending every
    /// stream at once would only bring their clients back together; more end it.
    private func credentialHolds(_ check: CredentialCheck, for subscription: JobEventSubscription) async -> Bool? {
        do {
            return try await check.stillHolds()
        } catch is CancellationError {
            return true
        } catch {
            logger.notice(
                "could not check an event stream's credential",
                metadata: ["job": "\(subscription.jobId)", "error": "\(String(describing: error))"])
            return nil
        }
    }

    private static func tooMany(_ message: String, scope: String, limit: Int) -> APIError {
        var error = APIError(
            .tooManyRequests, code: "too_many_streams", message,
            details: ["scope": .string(scope), "limit": .int(Int64(limit))])
        error.retryAfterSeconds = retryAfterSeconds
        return error
    }
}
