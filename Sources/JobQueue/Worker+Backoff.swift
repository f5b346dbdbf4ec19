import Logging

/// A job's backoff names a strategy that is neither built in nor known to the worker.
struct UnknownBackoffStrategy: Error, CustomStringConvertible {
    let type: String
    var description: String {
        "Unknown backoff strategy \(type). If a custom backoff strategy is used, give it to the worker (WorkerOptions.backoffStrategies)"
    }
}

extension Worker {
    /// Whether and when a failed attempt is retried: (backoff ms, nil when it fails for good; the
    /// failure reason to record). As in BullMQ, an unknown backoff strategy is an error, not an
    /// instant retry: the job fails, and the reason says why.
    func retryPlan(_ job: Job, error: any Error, retryable: Bool, reason: String) -> (backoff: Int?, reason: String) {
        guard retryable else { return (nil, reason) }
        do {
            return (try retryDelay(job, error: error), reason)
        } catch {
            logger.error("failed job cannot be retried", metadata: ["job": "\(job.id)", "error": "\(error)"])
            emit(.error("job \(job.id): \(error.description)"))
            return (nil, "\(error.description); the attempt failed with: \(reason)")
        }
    }

    /// Milliseconds before the retry, or nil when the job fails for good.
    func retryDelay(_ job: Job, error: any Error) throws(UnknownBackoffStrategy) -> Int? {
        let retry = job.attemptsMade + 1
        guard retry < job.options.maxAttempts else { return nil }
        guard let backoff = job.options.backoff else { return 0 }
        switch backoff.type {
        case "fixed": return Self.jittered(min(max(backoff.delay, 0), Int(Self.latestDelay)), jitter: backoff.jitter)
        case "exponential":
            // The delay comes from the job's options (any producer's): held within what a score can say.
            let delay = min(max(Double(backoff.delay) * Double(1 << min(retry - 1, 40)), 0), Self.latestDelay)
            return Self.jittered(Int(delay.rounded()), jitter: backoff.jitter)
        default:
            guard let strategy = options.backoffStrategies[backoff.type] else { throw UnknownBackoffStrategy(type: backoff.type) }
            return strategy(retry, error, job).map { min(max(0, $0), Int(Self.latestDelay)) }
        }
    }

    /// The longest backoff: 2^53 − 1 ms, the largest whole number a BullMQ (JavaScript) worker reads exactly.
    static let latestDelay = 9_007_199_254_740_991.0

    /// BullMQ's jitter: a random delay in [delay·(1−jitter), delay).
    static func jittered(_ delay: Int, jitter: Double?) -> Int {
        guard let jitter, jitter > 0, delay > 0 else { return delay }
        let spread = Double(delay) * min(jitter, 1)
        return Int((Double.random(in: 0..<1) * spread + Double(delay) - spread).rounded(.down))
    }
}
