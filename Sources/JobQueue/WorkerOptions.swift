public import RedisClient
public import Tracing

/// How a `Worker` runs; the defaults are BullMQ's.
public struct WorkerOptions: Sendable {
    /// Jobs processed at the same time by this worker.
    public var concurrency: Int
    /// How long a job's lock lasts without renewal; renewed every `lockRenewTime`.
    public var lockDuration: Duration
    /// Defaults to half the lock duration.
    public var lockRenewTime: Duration?
    /// How often the fleet-wide stalled check runs (one worker per interval does the work).
    public var stalledInterval: Duration
    /// Stalls a job may survive; one more fails it.
    public var maxStalledCount: Int
    /// Longest idle wait on the marker when no delayed job is known.
    public var drainDelay: Duration
    /// Upper bound of any single blocking wait, so the worker re-fetches regularly whatever happens.
    public var maximumBlockTime: Duration
    /// At most `max` jobs per `duration` across this worker (the queue's `meta` limit wins when set).
    public var limiter: RateLimit?
    /// Retention when a job does not say (BullMQ: keep everything).
    public var removeOnComplete: JobOptions.KeepJobs?
    public var removeOnFail: JobOptions.KeepJobs?
    /// Per-attempt time limit when a job does not set `timeout`; nil: none.
    public var jobTimeout: Duration?
    /// How long graceful shutdown waits for running jobs before cancelling them.
    public var shutdownGracePeriod: Duration
    /// Stack trace entries kept per job when a job does not set `stackTraceLimit`.
    public var stackTraceLimit: Int
    /// Custom backoff strategies by name: given the retry number (1, 2, ...), the error and the
    /// job, the delay in ms before the retry, or nil to fail for good.
    public var backoffStrategies: [String: BackoffStrategy]
    /// Called for the worker's own events (in addition to the queue's event stream).
    public var onEvent: (@Sendable (WorkerEvent) -> Void)?
    /// Written into each job it takes (`pb`, "processed by") and into its connection's name
    /// (`…:w:<name>`), as BullMQ's named workers do.
    public var name: String?
    /// Record BullMQ's queue metrics (`metrics:completed`/`metrics:failed`, per minute) keeping
    /// this many samples (BullMQ's `maxDataPoints`; a week of minutes is 10080); nil: none.
    public var metricsDataPoints: Int?
    /// Traces each attempt as a consumer span (`process <queue>`) that continues the trace the
    /// job's `telemetry` carries; the no-op tracer by default.
    public var tracer: any Tracer
    /// Taking and finishing a job wait until a replica has the write (`RedisReplicaWait`), so a
    /// master's failover cannot hand a job that started or finished here to another worker
    /// again. Off (nil) by default, as in BullMQ: Redis replication is asynchronous.
    public var replicaWait: RedisReplicaWait?

    public typealias BackoffStrategy = @Sendable (_ retry: Int, _ error: any Error, _ job: Job) -> Int?

    public struct RateLimit: Sendable, Equatable {
        public var max: Int
        public var duration: Duration
        public init(max: Int, duration: Duration) {
            self.max = max
            self.duration = duration
        }
    }

    public init(
        concurrency: Int = 1,
        lockDuration: Duration = .seconds(30),
        lockRenewTime: Duration? = nil,
        stalledInterval: Duration = .seconds(30),
        maxStalledCount: Int = 1,
        drainDelay: Duration = .seconds(5),
        maximumBlockTime: Duration = .seconds(10),
        limiter: RateLimit? = nil,
        removeOnComplete: JobOptions.KeepJobs? = nil,
        removeOnFail: JobOptions.KeepJobs? = nil,
        jobTimeout: Duration? = nil,
        shutdownGracePeriod: Duration = .seconds(30),
        stackTraceLimit: Int = 10,
        backoffStrategies: [String: BackoffStrategy] = [:],
        onEvent: (@Sendable (WorkerEvent) -> Void)? = nil,
        name: String? = nil,
        metricsDataPoints: Int? = nil,
        tracer: any Tracer = NoOpTracer(),
        replicaWait: RedisReplicaWait? = nil
    ) {
        self.concurrency = max(1, concurrency)
        self.lockDuration = lockDuration
        self.lockRenewTime = lockRenewTime
        self.stalledInterval = stalledInterval
        self.maxStalledCount = maxStalledCount
        self.drainDelay = drainDelay
        self.maximumBlockTime = maximumBlockTime
        self.limiter = limiter
        self.removeOnComplete = removeOnComplete
        self.removeOnFail = removeOnFail
        self.jobTimeout = jobTimeout
        self.shutdownGracePeriod = shutdownGracePeriod
        self.stackTraceLimit = stackTraceLimit
        self.backoffStrategies = backoffStrategies
        self.onEvent = onEvent
        self.name = name
        self.metricsDataPoints = metricsDataPoints.map { max(1, $0) }
        self.tracer = tracer
        self.replicaWait = replicaWait
    }
}

/// What a worker reports about its own jobs.
public enum WorkerEvent: Sendable {
    /// `waited` is how long the job waited between becoming due and this first attempt (nil on retries).
    case active(jobId: String, name: String, waited: Duration?)
    case progress(jobId: String, progress: JSONValue)
    case completed(jobId: String, returnValue: JSONValue)
    /// `willRetry` tells a retried attempt from the final failure.
    case failed(jobId: String, reason: String, willRetry: Bool)
    /// The job went back to wait or delayed without using an attempt (see `PostponeJob`).
    case postponed(jobId: String, reason: String)
    case stalled(jobIds: [String])
    /// The job's lock was lost (taken over after a stall); its result was not written.
    case lockLost(jobId: String)
    case error(String)
    /// A fetch found nothing to run (or the queue is paused); the worker now waits on the queue's
    /// marker (BullMQ's `drained`).
    case drained
}
