public import ErrorCodes

/// The domain of a queue operation that could not be done.
public enum QueueFailure: ErrorDomain {
    public static let name = "queue"
}

/// A queue operation that could not be done, with the reason.
public typealias JobQueueError = CodedError<QueueFailure>

extension JobQueueError {
    /// Maps the negative codes the scripts return.
    static func scriptCode(_ code: Int, jobId: String, operation: String) -> JobQueueError {
        switch code {
        case -1: return JobQueueError(.jobNotFound, "job \(jobId) does not exist (\(operation))")
        case -2: return JobQueueError(.lockMissing, "Missing lock for job \(jobId). \(operation)")
        case -3: return JobQueueError(.notInExpectedState, "job \(jobId) is not in the state \(operation) expects")
        case -4: return JobQueueError(.pendingDependencies, "Job \(jobId) has pending dependencies. \(operation)")
        case -6: return JobQueueError(.lockMismatch, "Lock mismatch for job \(jobId). Cmd \(operation) from active")
        case -9: return JobQueueError(.failedChildren, "Cannot complete job \(jobId) because it has at least one failed child. \(operation)")
        case -8:
            return JobQueueError(.schedulerIteration, "job \(jobId) is the current iteration of a job scheduler; remove the scheduler instead (\(operation))")
        case -10, -11:
            return JobQueueError(.schedulerSlotTaken, "the next run of job scheduler \(jobId) collides with existing jobs (\(operation))")
        default: return JobQueueError(.unexpectedReply, "\(operation) for job \(jobId) returned code \(code)")
        }
    }
}

extension JobQueueError.Code {
    /// Options a producer gave that BullMQ would refuse (e.g. an all-digit custom id).
    public static let invalidOptions = Self("invalidOptions")
    public static let invalidJSON = Self("invalidJSON")
    public static let jobNotFound = Self("jobNotFound")
    /// Another worker owns the job's lock (it was declared stalled and taken over).
    public static let lockMismatch = Self("lockMismatch")
    public static let lockMissing = Self("lockMissing")
    public static let notInExpectedState = Self("notInExpectedState")
    public static let pendingDependencies = Self("pendingDependencies")
    public static let failedChildren = Self("failedChildren")
    /// The job is active and locked by a worker, so it cannot be removed.
    public static let jobIsLocked = Self("jobIsLocked")
    public static let queueNotPaused = Self("queueNotPaused")
    public static let activeJobs = Self("activeJobs")
    public static let unexpectedReply = Self("unexpectedReply")
    /// The job is a job scheduler's current iteration: removing it would stop the scheduler
    /// (BullMQ's -8); remove the scheduler instead.
    public static let schedulerIteration = Self("schedulerIteration")
    /// The scheduler's next slot(s) already hold jobs (BullMQ's -10 and -11).
    public static let schedulerSlotTaken = Self("schedulerSlotTaken")
}
