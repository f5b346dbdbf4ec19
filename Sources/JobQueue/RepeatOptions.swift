/// When a job scheduler (repeatable job) runs: every `every` ms, or on a cron `pattern` in `timeZone`.
public struct RepeatOptions: Sendable, Equatable {
    public var every: Int?
    public var pattern: String?
    /// IANA zone the pattern is read in (`tz`); UTC when nil.
    public var timeZone: String?
    /// At most this many iterations.
    public var limit: Int?
    /// Not before / not after these times (ms since the epoch).
    public var startDate: Int?
    public var endDate: Int?
    /// `every` only: runs fall on multiples of `every` shifted by this many ms (BullMQ's
    /// `offset`); nil: shifted so that the first run is now (or at the start date).
    public var offset: Int?

    public init(
        every: Int? = nil, pattern: String? = nil, timeZone: String? = nil, limit: Int? = nil, startDate: Int? = nil,
        endDate: Int? = nil, offset: Int? = nil
    ) {
        self.every = every
        self.pattern = pattern
        self.timeZone = timeZone
        self.limit = limit
        self.startDate = startDate
        self.endDate = endDate
        self.offset = offset
    }

    public static func every(milliseconds: Int) -> RepeatOptions { RepeatOptions(every: milliseconds) }
    public static func cron(_ pattern: String, timeZone: String? = nil) -> RepeatOptions { RepeatOptions(pattern: pattern, timeZone: timeZone) }
}

/// A scheduler as stored in `<prefix>:<queue>:repeat:<id>`.
public struct JobSchedulerRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var repeatOptions: RepeatOptions
    /// Template for each iteration.
    public var data: JSONValue
    public var options: JobOptions
    /// Iterations created so far (`ic`).
    public var iterationCount: Int
    /// When the pending iteration is due (ms).
    public var next: Int?

    init(id: String, fields: [String: String], next: Int?) {
        self.id = id
        name = fields["name"] ?? ""
        repeatOptions = RepeatOptions(
            every: fields["every"].flatMap { Int($0) }, pattern: fields["pattern"], timeZone: fields["tz"],
            limit: fields["limit"].flatMap { Int($0) }, startDate: fields["startDate"].flatMap { Int($0) },
            endDate: fields["endDate"].flatMap { Int($0) }, offset: fields["offset"].flatMap { Int($0) })
        data = fields["data"].flatMap { try? JSONValue(jsonText: $0) } ?? .object([:])
        options = JobOptions(json: fields["opts"].flatMap { try? JSONValue(jsonText: $0) } ?? .object([:]))
        iterationCount = Job.counter(fields["ic"])
        self.next = next
    }
}
