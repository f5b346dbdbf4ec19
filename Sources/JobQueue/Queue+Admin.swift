import ErrorCodes
import RedisClient

extension Queue {
    private func run(_ script: RedisScript, _ arguments: [RedisArgument]) async throws -> RESPValue {
        try await redis.evalScript(script, keys: keys.scriptKeys, arguments: [RedisArgument(keys.base)] + arguments).throwingServerError()
    }

    /// Stops every worker of the queue (ours and BullMQ's) from taking new jobs; adds still land.
    public func pause() async throws { _ = try await run(QueueScript.pause, ["pause"]) }

    /// Lets workers take jobs again. Jobs a BullMQ v5 peer parked in the legacy `paused` list go
    /// back to the head of wait, 7000 per script call until none is left (as BullMQ v6 does);
    /// `resumed` is emitted once.
    public func resume() async throws {
        var announce = true
        while (try await run(QueueScript.pause, ["resume", announce ? "1" : "0"]).int ?? 0) > 0 { announce = false }
    }

    public func isPaused() async throws -> Bool {
        try await redis.command(["HEXISTS", RedisArgument(keys.key("meta")), "paused"]).int == 1
    }

    /// Removes waiting and prioritized jobs, and delayed ones when asked; active and finished
    /// jobs stay, and so does each job scheduler's current iteration (the schedulers keep running).
    public func drain(includeDelayed: Bool = false) async throws {
        _ = try await run(QueueScript.drain, [includeDelayed ? "1" : "0"])
    }

    /// Removes up to `limit` jobs (0: all) in `state` older than `grace` and returns their ids.
    public func clean(grace: Duration, limit: Int = 0, state: JobState = .completed) async throws -> [String] {
        let stateName: String
        switch state {
        case .waiting: stateName = "wait"
        case .unknown: throw JobQueueError(.invalidOptions, "clean needs a concrete state")
        default: stateName = state.rawValue
        }
        // Capped at a thousand years: a longer grace cleans nothing, and the arithmetic cannot overflow.
        let graceMilliseconds = Int(min(grace, .seconds(31_536_000_000)) / .milliseconds(1))
        let olderThan = clock.nowMilliseconds() - graceMilliseconds
        let reply = try await run(QueueScript.clean, [RedisArgument(stateName), RedisArgument(olderThan), RedisArgument(limit)])
        return reply.array?.compactMap(\.string) ?? []
    }

    /// Runs a failed (or completed) job again.
    public func retryJob(_ id: String, from state: JobState = .failed, resetAttempts: Bool = false) async throws {
        guard state == .failed || state == .completed else {
            throw JobQueueError(.invalidOptions, "only failed or completed jobs can be retried")
        }
        let code = try await run(QueueScript.reprocessJob, [RedisArgument(id), RedisArgument(state.rawValue), resetAttempts ? "1" : "0"]).int ?? 0
        if code < 0 { throw JobQueueError.scriptCode(code, jobId: id, operation: "retryJob(\(state.rawValue))") }
    }

    /// Moves every job finished in `state` (failed by default) back to wait; returns how many.
    @discardableResult
    public func retryJobs(state: JobState = .failed, batch: Int = 1000) async throws -> Int {
        let before = try await getJobCounts([state])[state] ?? 0
        let until = clock.nowMilliseconds()
        while try await run(QueueScript.retryJobs, [RedisArgument(state.rawValue), RedisArgument(batch), RedisArgument(until)]).int == 1 {}
        let after = try await getJobCounts([state])[state] ?? 0
        return max(0, before - after)
    }

    /// Makes a delayed job run now.
    public func promote(_ id: String) async throws {
        let code = try await run(QueueScript.promote, [RedisArgument(id)]).int ?? 0
        if code < 0 { throw JobQueueError.scriptCode(code, jobId: id, operation: "promote (delayed jobs only)") }
    }

    /// Deletes a job and its keys, with its children (in any queue) unless told otherwise, its
    /// deduplication key and a payload kept behind it; its parent no longer waits for it.
    /// Refused for a job a worker holds the lock of (or, with children, a pending child of it),
    /// and for a job scheduler's current iteration (`schedulerIteration`: remove the scheduler).
    /// Returns false when there was no such job.
    @discardableResult
    public func remove(_ id: String, removeChildren: Bool = true) async throws -> Bool {
        let code = try await run(QueueScript.removeJob, [RedisArgument(id), removeChildren ? "1" : "0"]).int
        switch code {
        case 1: return true
        case 0: throw JobQueueError(.jobIsLocked, "job \(id) (or one of its children) is being processed (it holds a lock); wait for it to finish")
        case -1: return false
        default: throw JobQueueError.scriptCode(code ?? 0, jobId: id, operation: "remove")
        }
    }

    /// Deletes the whole queue. It must be paused; active jobs are refused unless `force`.
    public func obliterate(force: Bool = false, batch: Int = 1000) async throws {
        if !(try await isPaused()) { try await pause() }
        while true {
            let code = try await run(QueueScript.obliterate, [RedisArgument(batch), force ? "1" : "0"]).int ?? 0
            switch code {
            case 0: return
            case 1: continue
            case -2: throw JobQueueError(.activeJobs, "queue \(name) has active jobs; pass force to obliterate anyway")
            default: throw JobQueueError(.queueNotPaused, "queue \(name) must be paused to be obliterated")
            }
        }
    }

    /// Sets a job's progress (any JSON) and emits a `progress` event.
    public func updateProgress(_ id: String, _ progress: JSONValue) async throws {
        let code = try await run(QueueScript.updateProgress, [RedisArgument(id), RedisArgument(progress.jsonText)]).int ?? 0
        if code < 0 { throw JobQueueError.scriptCode(code, jobId: id, operation: "updateProgress") }
    }

    /// Appends a line to the job's log, keeping the newest `keep` lines (0: all).
    @discardableResult
    public func addLog(_ id: String, _ line: String, keep: Int = 0) async throws -> Int {
        let length = try await run(QueueScript.addLog, [RedisArgument(id), RedisArgument(line), RedisArgument(keep)]).int ?? 0
        if length < 0 { throw JobQueueError.scriptCode(length, jobId: id, operation: "addLog") }
        return length
    }
}
