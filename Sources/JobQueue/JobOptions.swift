/// BullMQ job options, stored as the job hash's `opts` JSON.
///
/// Unknown keys written by other clients are kept in `extra` so reading and rewriting never
/// loses them.
public struct JobOptions: Sendable, Equatable {
    /// A custom id; adding the same id twice creates one job. Must not be an integer ("42"; "042" is fine), as BullMQ rules.
    public var jobId: String?
    /// 1 (first) ... 2^21; 0 means no priority (plain FIFO, ahead of prioritized jobs).
    public var priority: Int
    /// Milliseconds before the job may run.
    public var delay: Int
    /// Total tries; 0 or 1 means one.
    public var attempts: Int
    public var backoff: Backoff?
    /// Run next instead of last.
    public var lifo: Bool
    public var removeOnComplete: KeepJobs?
    public var removeOnFail: KeepJobs?
    public var deduplication: Deduplication?
    /// Creation time in ms (defaults to now when added).
    public var timestamp: Int?
    /// Longest a single attempt may run before it fails with a timeout (ms); our extension,
    /// ignored by other clients.
    public var timeout: Int?
    public var stackTraceLimit: Int?
    /// Keep at most this many log lines (`kl`).
    public var keepLogs: Int?
    /// What a failure of this job (as a child in a flow) does to its parent.
    public var onChildFailure: ChildFailurePolicy?
    /// The trace context of whoever added the job (BullMQ's `telemetry`).
    public var telemetry: JobTelemetry?
    public var extra: [String: JSONValue]

    /// BullMQ's four mutually exclusive child options.
    public enum ChildFailurePolicy: String, Sendable, Equatable {
        /// `failParentOnFailure` (fpof): the parent fails when it is next fetched.
        case failParent = "fpof"
        /// `continueParentOnFailure` (cpof): the parent runs now, with this failure on record.
        case continueParent = "cpof"
        /// `ignoreDependencyOnFailure` (idof): recorded, and it no longer holds the parent back.
        case ignore = "idof"
        /// `removeDependencyOnFailure` (rdof): dropped; it no longer holds the parent back.
        case remove = "rdof"
    }

    public init(
        jobId: String? = nil, priority: Int = 0, delay: Int = 0, attempts: Int = 0, backoff: Backoff? = nil,
        lifo: Bool = false, removeOnComplete: KeepJobs? = nil, removeOnFail: KeepJobs? = nil,
        deduplication: Deduplication? = nil, timestamp: Int? = nil, timeout: Int? = nil,
        stackTraceLimit: Int? = nil, keepLogs: Int? = nil, onChildFailure: ChildFailurePolicy? = nil,
        telemetry: JobTelemetry? = nil, extra: [String: JSONValue] = [:]
    ) {
        self.jobId = jobId
        self.priority = priority
        self.delay = delay
        self.attempts = attempts
        self.backoff = backoff
        self.lifo = lifo
        self.removeOnComplete = removeOnComplete
        self.removeOnFail = removeOnFail
        self.deduplication = deduplication
        self.timestamp = timestamp
        self.timeout = timeout
        self.stackTraceLimit = stackTraceLimit
        self.keepLogs = keepLogs
        self.onChildFailure = onChildFailure
        self.telemetry = telemetry
        self.extra = extra
    }

    /// Tries allowed, at least one.
    public var maxAttempts: Int { max(1, attempts) }

    /// How long to wait before a retry.
    public struct Backoff: Sendable, Equatable {
        /// `fixed`, `exponential`, or the name of a custom strategy the worker knows.
        public var type: String
        public var delay: Int
        /// 0...1: a built-in delay d becomes a random one in [d·(1−jitter), d), as in BullMQ, so
        /// retries of many jobs that failed together spread out.
        public var jitter: Double?

        public init(type: String, delay: Int, jitter: Double? = nil) {
            self.type = type
            self.delay = delay
            self.jitter = jitter
        }

        public static func fixed(_ delay: Int, jitter: Double? = nil) -> Backoff { Backoff(type: "fixed", delay: delay, jitter: jitter) }
        public static func exponential(_ delay: Int, jitter: Double? = nil) -> Backoff {
            Backoff(type: "exponential", delay: delay, jitter: jitter)
        }
    }

    /// What to keep of finished jobs.
    public enum KeepJobs: Sendable, Equatable {
        /// `true`: remove at once; `false`: keep all.
        case remove(Bool)
        /// Keep the newest n.
        case count(Int)
        /// Drop jobs older than `age` seconds and/or beyond the newest `count`.
        case policy(age: Int?, count: Int?, limit: Int?)
    }

    /// Drops an add while another job holds the same id (`de` in the hash).
    public struct Deduplication: Sendable, Equatable {
        public var id: String
        /// Milliseconds the id stays taken; nil: until the owning job finishes.
        public var ttl: Int?
        /// A duplicate add resets the ttl.
        public var extend: Bool
        /// A duplicate replaces the owner while it is still delayed (debounce); the owner's ttl
        /// keeps running unless `extend`.
        public var replace: Bool
        /// A duplicate added while the owner is active is kept (the newest one wins) and runs once
        /// the owner finished; the id stays taken until then, whatever the ttl.
        public var keepLastIfActive: Bool

        public init(id: String, ttl: Int? = nil, extend: Bool = false, replace: Bool = false, keepLastIfActive: Bool = false) {
            self.id = id
            self.ttl = ttl
            self.extend = extend
            self.replace = replace
            self.keepLastIfActive = keepLastIfActive
        }
    }
}
