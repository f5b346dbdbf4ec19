import Foundation
import JobQueue
import NIOCore
import Synchronization

/// One open `GET /api/jobs/:id/events` stream as the hub sees it: a bounded buffer of the job's
/// events and keep-alives, and why it ended.
final class JobEventSubscription: Sendable {
    enum Item: Sendable {
        /// A job event, already rendered as SSE (once for all the streams of the job).
        case event(name: String, message: ByteBuffer)
        case keepAlive
    }

    enum End: Sendable, Equatable {
        /// The job reached a terminal state, or the stream was never needed (already finished).
        case finished
        /// The client closed the connection.
        case clientGone
        /// The client read too slowly and its buffer overflowed; it was dropped.
        case lagged
        /// The stream reached its longest allowed duration.
        case expired
        /// The process is shutting down.
        case shutdown
        /// Setting the stream up failed.
        case failed
        /// The credential it was opened with no longer holds (revoked, expired, user deactivated, signed out).
        case signedOut
    }

    let jobId: String
    let userId: UUID
    /// The queue's event stream key (one reader per key).
    let queueKey: String
    /// Asks whether the opener's credential still holds; nil: never asked.
    let credentialCheck: CredentialCheck?
    let items: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation
    private let state = Mutex(State())

    private struct State {
        var end: End?
        var ticker: Task<Void, Never>?
    }

    init(jobId: String, userId: UUID, queueKey: String, credentialCheck: CredentialCheck?, buffer: Int) {
        self.jobId = jobId
        self.userId = userId
        self.queueKey = queueKey
        self.credentialCheck = credentialCheck
        (items, continuation) = AsyncStream.makeStream(of: Item.self, bufferingPolicy: .bufferingNewest(max(1, buffer)))
    }

    /// Why the stream ended; nil while it is open.
    var end: End? { state.withLock { $0.end } }

    /// Buffers `item`; false when the buffer was full (the oldest item was dropped to make room).
    func deliver(_ item: Item) -> Bool {
        switch continuation.yield(item) {
        case .dropped: return false
        case .enqueued, .terminated: return true
        @unknown default: return true
        }
    }

    /// Ends the stream (the reader of `items` sees its end after what is buffered); the first
    /// reason wins.
    func finish(_ reason: End) {
        let ticker = state.withLock { state -> Task<Void, Never>? in
            if state.end == nil { state.end = reason }
            defer { state.ticker = nil }
            return state.ticker
        }
        ticker?.cancel()
        continuation.finish()
    }

    /// Keeps the task that sends keep-alives and ends the stream after its longest duration,
    /// so that ending the stream stops it; cancels it at once when the stream already ended.
    func attach(ticker: Task<Void, Never>) {
        let ended = state.withLock { state -> Bool in
            guard state.end == nil else { return true }
            state.ticker = ticker
            return false
        }
        if ended { ticker.cancel() }
    }
}
