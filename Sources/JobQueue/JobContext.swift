/// What a processor gets: the job, and ways to report on it while it runs.
public struct JobContext: Sendable {
    public let job: Job
    /// The lock token this attempt holds; results are written only while it still matches.
    public let token: String
    let queue: Queue
    let report: (@Sendable (WorkerEvent) -> Void)?

    /// Sets the job's progress (a number, or any JSON such as `{"phase": "upload", "pct": 40}`).
    public func updateProgress(_ progress: JSONValue) async throws {
        try await queue.updateProgress(job.id, progress)
        report?(.progress(jobId: job.id, progress: progress))
    }

    /// The results of this job's finished children, by the child's full key (`bull:queue:id`).
    public func childrenValues() async throws -> [String: JSONValue] {
        try await queue.childrenValues(of: job.id)
    }

    /// Failures of children recorded under `continueParentOnFailure` / `ignoreDependencyOnFailure`.
    public func failedChildren() async throws -> [String: String] {
        try await queue.failedChildren(of: job.id)
    }

    /// Whether this attempt still holds the job's lock; write results elsewhere only while it does
    /// (a stalled job taken over by another worker has a new token).
    public func holdsLock() async throws -> Bool {
        try await queue.lockOwner(of: job.id) == token
    }

    /// Appends a line to the job's log.
    public func log(_ line: String) async throws {
        try await queue.addLog(job.id, line, keep: job.options.keepLogs ?? 0)
    }
}

/// Thrown by a processor to fail the job at once, whatever attempts remain.
public struct UnrecoverableError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Thrown by a processor when the job cannot start yet: it goes back to delayed for `delay`
/// without using up an attempt (BullMQ's `moveToDelayed` + `DelayedError`).
public struct PostponeJob: Error, Sendable, CustomStringConvertible {
    public let delay: Duration
    public let reason: String
    public init(by delay: Duration, reason: String) {
        self.delay = delay
        self.reason = reason
    }
    public var description: String { "postponed by \(delay): \(reason)" }
}

/// An attempt ran past its time limit and was cancelled; it is retried by the job's policy.
public struct JobTimeoutError: Error, Sendable, CustomStringConvertible {
    public let limit: Duration
    public var description: String { "job exceeded its time limit of \(limit) and was cancelled" }
}

/// The processor that handles one queue's jobs: returns the job's result as JSON.
public typealias JobProcessor = @Sendable (JobContext) async throws -> JSONValue
