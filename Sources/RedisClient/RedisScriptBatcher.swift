import Synchronization

/// Coalesces script calls made at the same moment into pipelines: callers queue their call, and up
/// to `maxFlushers` flushing tasks send everything queued in one round trip per batch. Under load
/// one thread wake-up then serves many callers; alone, a call costs one extra task hop. For hot
/// read paths (an API's job lookups), not for long-running scripts.
public final class RedisScriptBatcher: Sendable {
    typealias Call = (script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument])

    private struct Pending {
        let call: Call
        let continuation: CheckedContinuation<RESPValue, any Error>
    }

    private struct State {
        var queue: [Pending] = []
        var flushers = 0
    }

    let pool: RedisConnectionPool
    let maxFlushers: Int
    let maxBatch: Int
    private let state = Mutex(State())

    public init(pool: RedisConnectionPool, maxFlushers: Int = 4, maxBatch: Int = 128) {
        self.pool = pool
        self.maxFlushers = max(1, maxFlushers)
        self.maxBatch = max(1, maxBatch)
    }

    /// Runs the script (EVALSHA, reloaded on NOSCRIPT) in the next batch; error replies are returned.
    public func evalScript(_ script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument]) async throws -> RESPValue {
        try await withCheckedThrowingContinuation { continuation in
            let startFlusher = state.withLock { state -> Bool in
                state.queue.append(Pending(call: (script, keys, arguments), continuation: continuation))
                guard state.flushers < maxFlushers else { return false }
                state.flushers += 1
                return true
            }
            // A flusher serves every caller's queued scripts, so it is not a child of this caller's
            // task (whose cancellation would strand the others); each caller awaits its own reply.
            if startFlusher { Task { await self.flush() } }
        }
    }

    private func flush() async {
        while true {
            let batch = state.withLock { state -> [Pending] in
                let taken = Array(state.queue.prefix(maxBatch))
                state.queue.removeFirst(taken.count)
                if taken.isEmpty { state.flushers -= 1 }
                return taken
            }
            guard !batch.isEmpty else { return }
            do {
                let replies = try await pool.pipelineScripts(batch.map(\.call))
                for (pending, reply) in zip(batch, replies) { pending.continuation.resume(returning: reply) }
            } catch {
                for pending in batch { pending.continuation.resume(throwing: error) }
            }
        }
    }
}
