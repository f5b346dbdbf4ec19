import BlockingIO
import Logging
import RedisClient

/// What a fetch (moveToActive, or a finish that fetched next) produced.
enum FetchResult: Sendable {
    case job(Job, token: String)
    case rateLimited(Duration)
    /// Nothing to run; the next delayed job is due at this time (ms), when there is one.
    case empty(nextDelayed: Int?)
    /// Redis failed; already logged.
    case failed
}

extension Worker {
    var lockMilliseconds: Int { Self.milliseconds(options.lockDuration) }

    /// The limiter as the fetching scripts take it.
    var limiterArguments: LimiterArguments {
        guard let limiter = options.limiter else { return LimiterArguments() }
        return LimiterArguments(max: limiter.max, durationMilliseconds: Self.milliseconds(limiter.duration))
    }

    func fetch(token: String) async -> FetchResult {
        do {
            let call = FetchCall(
                token: token, lockMilliseconds: lockMilliseconds, now: queue.clock.nowMilliseconds(), limiter: limiterArguments,
                workerName: options.name ?? "")
            let reply = try await redis.run(call, on: queue.keys, replicaWait: options.replicaWait)
            let result = decodeFetch(try reply.throwingServerError(), token: token)
            failures.succeeded("the worker reaches Redis again", metadata: ["queue": "\(queue.name)"])
            return result
        } catch {
            failures.failed("fetching a job failed; retrying", error: error, metadata: ["queue": "\(queue.name)"])
            emit(.error("fetch failed: \(error)"))
            return .failed
        }
    }

    /// Reads `{fields|0, id|0, rateLimitTtl, nextDelayedMs}`.
    func decodeFetch(_ reply: RESPValue, token: String) -> FetchResult {
        guard let parts = reply.array, parts.count == 4 else { return .empty(nextDelayed: nil) }
        if let fields = parts[0].array, let id = parts[1].string {
            let job = Job(id: id, queueName: queue.name, flatFields: fields.compactMap(\.string))
            return .job(job, token: token)
        }
        if let ttl = parts[2].int, ttl > 0 { return .rateLimited(.milliseconds(ttl)) }
        let next = parts[3].int ?? 0
        return .empty(nextDelayed: next > 0 ? next : nil)
    }

    /// Blocks on the queue's marker until work may be ready: a job was added, the next delayed
    /// job is due, or the bounded timeout passed. Always returns so the caller fetches again.
    func waitForWork(until nextDelayed: Int?) async {
        var blockUntil = nextDelayed
        while !isClosing {
            let now = queue.clock.nowMilliseconds()
            var timeout = options.drainDelay
            if let blockUntil {
                if blockUntil <= now { return }
                timeout = .milliseconds(blockUntil - now)
            }
            timeout = max(.milliseconds(1), min(timeout, options.maximumBlockTime))
            let seconds = Double(Self.milliseconds(timeout)) / 1000
            let reply: RESPValue
            do {
                reply = try await queue.redis.blockingCommand(
                    on: blockingConnection,
                    ["BZPOPMIN", RedisArgument(queue.keys.key("marker")), RedisArgument(seconds)], serverTimeout: timeout)
            } catch {
                if !isClosing {
                    failures.failed("waiting on the queue marker failed", error: error, level: .warning, metadata: ["queue": "\(queue.name)"])
                    await sleepUnlessClosing(.milliseconds(500))
                }
                return
            }
            // Timed out (nil) or popped {key, member, score}.
            guard let popped = reply.array, popped.count == 3, let score = popped[2].string.flatMap(Double.init) else { return }
            let due = Int(clampingScore: score)
            if due <= queue.clock.nowMilliseconds() { return }
            blockUntil = due
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.wholeMilliseconds)
    }
}
