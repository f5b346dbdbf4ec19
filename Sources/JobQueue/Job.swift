/// A job as stored in its hash (`<prefix>:<queue>:<id>`).
public struct Job: Sendable, Equatable {
    public var id: String
    public var queueName: String
    public var name: String
    /// The payload; `nil` when the hash's `data` is not valid JSON (`rawData` keeps the text).
    public var data: JSONValue?
    public var rawData: String
    public var options: JobOptions
    public var timestamp: Int
    public var delay: Int
    public var priority: Int
    public var processedOn: Int?
    public var finishedOn: Int?
    public var attemptsStarted: Int
    public var attemptsMade: Int
    public var progress: JSONValue?
    public var returnValue: JSONValue?
    public var failedReason: String?
    public var stacktrace: [String]
    public var stalledCounter: Int
    /// A failure decided elsewhere (stalled too often): the job fails when fetched, unrun.
    public var deferredFailure: String?
    public var parentKey: String?
    public var schedulerId: String?
    public var deduplicationId: String?
    /// The name of the worker that last took the job (`pb`), when it had one.
    public var processedBy: String?

    /// Reads a job hash leniently: missing fields take BullMQ's defaults.
    public init(id: String, queueName: String, fields: [String: String]) {
        self.id = id
        self.queueName = queueName
        name = fields["name"] ?? ""
        rawData = fields["data"] ?? "{}"
        data = try? JSONValue(jsonText: rawData)
        options = JobOptions(json: (try? JSONValue(jsonText: fields["opts"] ?? "{}")) ?? .object([:]))
        timestamp = fields["timestamp"].flatMap { Int($0) } ?? 0
        delay = fields["delay"].flatMap { Int($0) } ?? 0
        priority = fields["priority"].flatMap { Int($0) } ?? 0
        processedOn = fields["processedOn"].flatMap { Int($0) }
        finishedOn = fields["finishedOn"].flatMap { Int($0) }
        attemptsStarted = Self.counter(fields["ats"])
        attemptsMade = Self.counter(fields["atm"] ?? fields["attemptsMade"])
        progress = fields["progress"].flatMap { try? JSONValue(jsonText: $0) }
        returnValue = fields["returnvalue"].map { (try? JSONValue(jsonText: $0)) ?? .string($0) }
        failedReason = fields["failedReason"]
        let traces = fields["stacktrace"].flatMap { try? JSONValue(jsonText: $0) }
        if case .array(let lines)? = traces { stacktrace = lines.compactMap(\.stringValue) } else { stacktrace = [] }
        stalledCounter = Self.counter(fields["stc"])
        deferredFailure = fields["defa"]
        parentKey = fields["parentKey"]
        schedulerId = fields["rjk"]
        deduplicationId = fields["deid"]
        processedBy = fields["pb"]
    }

    /// Reads a flat HGETALL reply.
    init(id: String, queueName: String, flatFields: [String]) {
        self.init(id: id, queueName: queueName, fields: Self.fieldMap(flatFields))
    }

    /// An HGETALL reply (`[field, value, field, value, …]`) as a dictionary.
    static func fieldMap(_ flat: [String]) -> [String: String] {
        var fields: [String: String] = [:]
        for index in stride(from: 0, to: flat.count - 1, by: 2) { fields[flat[index]] = flat[index + 1] }
        return fields
    }
}

/// The states `getJobState` reports, as BullMQ names them.
public enum JobState: String, Sendable, CaseIterable, Codable {
    case waiting, active, completed, failed, delayed, prioritized, paused
    case waitingChildren = "waiting-children"
    case unknown
}

extension Job {
    /// How long a fetched job waited between becoming due (added, plus its delay) and its first
    /// attempt; nil for retries and for jobs not yet started.
    public var firstWait: Duration? {
        guard attemptsMade == 0, attemptsStarted <= 1, let processedOn else { return nil }
        // Times from the job hash are any producer's: a difference that overflows is no wait to report.
        let (due, dueOverflow) = timestamp.addingReportingOverflow(delay)
        let (waited, overflow) = processedOn.subtractingReportingOverflow(due)
        return dueOverflow || overflow ? nil : .milliseconds(max(0, waited))
    }
}

extension Job {
    /// A count any producer may have written: 0 to 2^31-1, so adding one to it never traps.
    static func counter(_ text: String?) -> Int {
        text.flatMap { Int($0) }.map { min(max($0, 0), Int(Int32.max)) } ?? 0
    }
}
