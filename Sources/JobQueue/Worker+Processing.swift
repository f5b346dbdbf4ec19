import ErrorCodes
import Logging
import RedisClient
import Tracing

/// How one attempt ended.
enum AttemptOutcome: Sendable {
    case completed(JSONValue)
    case postponed(Duration, reason: String)
    case failed(reason: String, error: any Error, retryable: Bool)
}

extension Worker {
    /// Runs `job`, finishes it, and keeps going with the job the finish fetched, so steady state
    /// costs one script per job.
    func processChain(_ first: Job, token: String) async {
        var next: (Job, String)? = (first, token)
        while let (job, token) = next {
            emit(.active(jobId: job.id, name: job.name, waited: job.firstWait))
            if job.schedulerId != nil { await advanceScheduler(after: job) }
            let outcome = await attempt(job, token: token)
            next = await finish(job, token: token, outcome: outcome)
        }
    }

    /// Keeps a job scheduler going: its next iteration is added when this one is fetched.
    private func advanceScheduler(after job: Job) async {
        do {
            try await queue.advanceJobScheduler(after: job)
        } catch {
            logger.error("could not schedule the next iteration", metadata: ["job": "\(job.id)", "error": "\(error)"])
            emit(.error("scheduler \(job.schedulerId ?? "?"): \(error)"))
        }
    }

    /// Runs the processor once, bounded by the job's time limit.
    func attempt(_ job: Job, token: String) async -> AttemptOutcome {
        if let reason = job.deferredFailure {
            return .failed(reason: reason, error: UnrecoverableError(reason), retryable: false)
        }
        guard job.data != nil else {
            let reason = "job data is not valid JSON: \(job.rawData.prefix(80))"
            return .failed(reason: reason, error: UnrecoverableError(reason), retryable: false)
        }
        let context = JobContext(job: job, token: token, queue: queue, report: options.onEvent)
        let processor = self.processor
        let tracer = options.tracer
        let parent = job.options.telemetry?.context(using: tracer) ?? .current ?? .topLevel
        let operation = "process \(queue.name)"
        // Its own task so the lock renewal and `close` can cancel this one job through `active`
        // (a child task can only be cancelled with its whole group); awaited below, so it never
        // outlives this call.
        let work = Task {
            try await tracer.withAnySpan(operation, context: parent, ofKind: .consumer) { span in
                span.updateAttributes { attributes in
                    attributes["messaging.system"] = "bullmq"
                    attributes["bullmq.queue.name"] = context.job.queueName
                    attributes["bullmq.job.id"] = context.job.id
                    attributes["bullmq.job.name"] = context.job.name
                    attributes["bullmq.job.attempts.made"] = context.job.attemptsMade
                }
                return try await processor(context)
            }
        }
        active.insert(token: token, .init(id: job.id, cancel: { work.cancel() }))
        defer { active.remove(token: token) }
        let limit = job.options.timeout.map { Duration.milliseconds($0) } ?? options.jobTimeout
        let expired = ExpiryFlag()
        // Cancelled as soon as the work ends.
        let timer = limit.map { limit in
            Task {
                try await Task.sleep(for: limit)
                expired.set()
                work.cancel()
            }
        }
        let result = await work.result
        timer?.cancel()
        switch result {
        case .success(let value):
            return .completed(value)
        case .failure(let error):
            if let limit, expired.isSet {
                let timeout = JobTimeoutError(limit: limit)
                return .failed(reason: timeout.description, error: timeout, retryable: true)
            }
            if let postpone = error as? PostponeJob { return .postponed(postpone.delay, reason: postpone.reason) }
            // Cancelled because this worker is stopping (past its grace period): hand the job back
            // now, without using an attempt, instead of leaving it for the stalled check.
            if isClosing, error is CancellationError || work.isCancelled {
                return .postponed(.milliseconds(1), reason: "the worker stopped before the job finished; handed back to the queue")
            }
            return .failed(reason: Self.reason(error), error: error, retryable: !(error is UnrecoverableError))
        }
    }

    static func reason(_ error: any Error) -> String {
        String(describing: error)
    }

    /// Writes the outcome; returns the next job when the completion fetched one.
    func finish(_ job: Job, token: String, outcome: AttemptOutcome) async -> (Job, String)? {
        switch outcome {
        case .postponed(let delay, let reason):
            logger.debug("job postponed", metadata: ["job": "\(job.id)", "reason": "\(reason)"])
            emit(.postponed(jobId: job.id, reason: reason))
            await runFinishing(job, "postpone") {
                let call = PostponeCall(
                    jobId: job.id, token: token, now: self.queue.clock.nowMilliseconds(), delayMilliseconds: max(1, Self.milliseconds(delay)))
                return try await self.redis.run(call, on: self.queue.keys, replicaWait: self.options.replicaWait)
            }
            return nil
        case .completed(let value):
            let keep = (job.options.removeOnComplete ?? options.removeOnComplete ?? .remove(false)).scriptArguments
            let finished = await finishScript(job, token: token, target: "completed", value: value.jsonText, stacktrace: "", keep: keep)
            // A parent cannot complete while children are pending (-4) or failed (-9): the script
            // left it active and locked. As BullMQ does, the attempt fails instead (retried while
            // attempts remain); left alone it would stall and run again.
            if let code = finished?.0.int, let refusal = Self.completionRefusal(code, jobId: job.id) {
                return await finish(job, token: token, outcome: .failed(reason: refusal.message, error: refusal, retryable: true))
            }
            emit(.completed(jobId: job.id, returnValue: value))
            return finished.flatMap(fetched)
        case .failed(let attemptReason, let error, let retryable):
            let (backoff, reason) = retryPlan(job, error: error, retryable: retryable, reason: attemptReason)
            let stacktrace = stacktraceJSON(job, adding: reason)
            if let backoff {
                emit(.failed(jobId: job.id, reason: reason, willRetry: true))
                await runFinishing(job, "retry") {
                    let call = RetryLaterCall(
                        jobId: job.id, token: token, reason: reason, stacktrace: stacktrace, now: self.queue.clock.nowMilliseconds(),
                        backoffMilliseconds: backoff)
                    return try await self.redis.run(call, on: self.queue.keys, replicaWait: self.options.replicaWait)
                }
                return nil
            }
            let keep = (job.options.removeOnFail ?? options.removeOnFail ?? .remove(false)).scriptArguments
            let finished = await finishScript(job, token: token, target: "failed", value: reason, stacktrace: stacktrace, keep: keep)
            emit(.failed(jobId: job.id, reason: reason, willRetry: false))
            return finished.flatMap(fetched)
        }
    }

    private func finishScript(
        _ job: Job, token: String, target: String, value: String, stacktrace: String,
        keep: (count: Int, age: Int, limit: Int)
    ) async -> (RESPValue, String)? {
        let fetchNext = !isClosing
        let nextToken = fetchNext ? self.nextToken() : "0"
        let reply = await runFinishing(job, "moveToFinished") {
            let call = FinishCall(
                jobId: job.id, token: token, target: target, value: value, stacktrace: stacktrace, maxAttempts: job.options.maxAttempts,
                keep: keep, fetchNext: fetchNext, now: self.queue.clock.nowMilliseconds(), lockMilliseconds: self.lockMilliseconds,
                limiter: self.limiterArguments, nextToken: nextToken, workerName: self.options.name ?? "",
                metricsDataPoints: self.options.metricsDataPoints ?? 0)
            return try await self.redis.run(call, on: self.queue.keys, replicaWait: self.options.replicaWait)
        }
        return reply.map { ($0, nextToken) }
    }

    /// The job a finish fetched (locked with `token`), if it fetched one.
    private func fetched(_ finished: (reply: RESPValue, token: String)) -> (Job, String)? {
        if case .job(let next, let token) = decodeFetch(finished.reply, token: finished.token) { return (next, token) }
        return nil
    }

    /// Runs a finishing script, retrying Redis failures for as long as the job's lock lasts (a
    /// master's failover takes seconds); script codes are logged.
    @discardableResult
    private func runFinishing(_ job: Job, _ operation: String, _ call: @escaping @Sendable () async throws -> RESPValue) async -> RESPValue? {
        // Written even while the worker's task is being cancelled (its service group stopping):
        // the work is done, and a cancelled wait for a pooled connection would lose its outcome.
        await Task { await self.finishWithRetries(job, operation, call) }.value
    }

    private func finishWithRetries(_ job: Job, _ operation: String, _ call: @escaping @Sendable () async throws -> RESPValue) async -> RESPValue? {
        var delay = Duration.milliseconds(100)
        let deadline = ContinuousClock.now + max(options.lockDuration, .seconds(3))
        for attempt in 1... {
            do {
                let reply = try await call().throwingServerError()
                if let code = reply.int, code < 0 {
                    // The caller decides what a refused completion becomes.
                    if Self.completionRefusal(code, jobId: job.id) != nil { return reply }
                    let error = JobQueueError.scriptCode(code, jobId: job.id, operation: operation)
                    if error.code == .lockMismatch || error.code == .lockMissing {
                        logger.warning("job lock was lost; its result was not written", metadata: ["job": "\(job.id)", "error": "\(error)"])
                        emit(.lockLost(jobId: job.id))
                    } else {
                        logger.error("finishing a job failed", metadata: ["job": "\(job.id)", "error": "\(error)"])
                        emit(.error(error.description))
                    }
                    return nil
                }
                return reply
            } catch {
                guard ContinuousClock.now + delay < deadline else { break }
                logger.warning("finishing a job failed; retrying", metadata: ["job": "\(job.id)", "attempt": "\(attempt)", "error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
            }
        }
        logger.error("gave up finishing a job; the stalled check will hand it on", metadata: ["job": "\(job.id)"])
        emit(.error("could not finish job \(job.id)"))
        return nil
    }

    /// The error of a completion the finishing script refused because of the job's children.
    static func completionRefusal(_ code: Int, jobId: String) -> JobQueueError? {
        guard code == -4 || code == -9 else { return nil }
        return JobQueueError.scriptCode(code, jobId: jobId, operation: "moveToFinished")
    }

    private func stacktraceJSON(_ job: Job, adding reason: String) -> String {
        let limit = job.options.stackTraceLimit ?? options.stackTraceLimit
        // As BullMQ: a limit of 0 keeps no trace at all.
        let lines = (job.stacktrace + [reason]).suffix(max(0, limit))
        return JSONValue.array(lines.map { .string($0) }).jsonText
    }
}
