public import ErrorCodes

extension JobOptions {
    /// The `opts` JSON object as BullMQ stores it (short keys `de`, `kl`, `tm` and `omc`).
    public var json: JSONValue {
        var object = extra
        object["delay"] = .int(Int64(delay))
        object["attempts"] = .int(Int64(attempts))
        if let jobId { object["jobId"] = .string(jobId) }
        if priority > 0 { object["priority"] = .int(Int64(priority)) }
        if let backoff {
            var json: [String: JSONValue] = ["type": .string(backoff.type), "delay": .int(Int64(backoff.delay))]
            if let jitter = backoff.jitter { json["jitter"] = .double(jitter) }
            object["backoff"] = .object(json)
        }
        if lifo { object["lifo"] = true }
        if let removeOnComplete { object["removeOnComplete"] = removeOnComplete.json }
        if let removeOnFail { object["removeOnFail"] = removeOnFail.json }
        if let deduplication {
            var de: [String: JSONValue] = ["id": .string(deduplication.id)]
            if let ttl = deduplication.ttl { de["ttl"] = .int(Int64(ttl)) }
            if deduplication.extend { de["extend"] = true }
            if deduplication.replace { de["replace"] = true }
            if deduplication.keepLastIfActive { de["keepLastIfActive"] = true }
            object["de"] = .object(de)
        }
        if let timestamp { object["timestamp"] = .int(Int64(timestamp)) }
        if let timeout { object["timeout"] = .int(Int64(timeout)) }
        if let stackTraceLimit { object["stackTraceLimit"] = .int(Int64(stackTraceLimit)) }
        if let keepLogs { object["kl"] = .int(Int64(keepLogs)) }
        if let onChildFailure { object[onChildFailure.rawValue] = true }
        // BullMQ stores `telemetry` under short keys, as it does `de` and `kl`.
        if let metadata = telemetry?.metadata { object["tm"] = .string(metadata) }
        if let omitContext = telemetry?.omitContext { object["omc"] = .bool(omitContext) }
        return .object(object)
    }

    private static let knownKeys: Set<String> = [
        "jobId", "priority", "delay", "attempts", "backoff", "lifo", "removeOnComplete", "removeOnFail",
        "de", "deduplication", "debounce", "timestamp", "timeout", "stackTraceLimit", "kl", "keepLogs",
        "fpof", "cpof", "idof", "rdof", "failParentOnFailure", "continueParentOnFailure", "ignoreDependencyOnFailure",
        "removeDependencyOnFailure", "telemetry", "tm", "omc",
    ]

    /// Reads options leniently: missing or malformed fields take their defaults, as BullMQ does.
    public init(json: JSONValue) {
        let object = json.objectValue ?? [:]
        self.init()
        jobId = object["jobId"]?.stringValue
        priority = object["priority"]?.intValue ?? 0
        delay = object["delay"]?.intValue ?? 0
        attempts = object["attempts"]?.intValue ?? 0
        if let backoff = object["backoff"] {
            if let delay = backoff.intValue {
                self.backoff = .fixed(delay)
            } else if let type = backoff["type"]?.stringValue {
                self.backoff = Backoff(type: type, delay: backoff["delay"]?.intValue ?? 0, jitter: backoff["jitter"]?.doubleValue)
            }
        }
        lifo = object["lifo"]?.boolValue ?? false
        removeOnComplete = object["removeOnComplete"].flatMap(KeepJobs.init(json:))
        removeOnFail = object["removeOnFail"].flatMap(KeepJobs.init(json:))
        if let de = object["de"] ?? object["deduplication"] ?? object["debounce"], let id = de["id"]?.stringValue {
            deduplication = Deduplication(
                id: id, ttl: de["ttl"]?.intValue, extend: de["extend"]?.boolValue ?? false, replace: de["replace"]?.boolValue ?? false,
                keepLastIfActive: de["keepLastIfActive"]?.boolValue ?? false)
        }
        timestamp = object["timestamp"]?.intValue
        timeout = object["timeout"]?.intValue
        stackTraceLimit = object["stackTraceLimit"]?.intValue
        keepLogs = (object["kl"] ?? object["keepLogs"])?.intValue
        let longNames: [ChildFailurePolicy: String] = [
            .failParent: "failParentOnFailure", .continueParent: "continueParentOnFailure",
            .ignore: "ignoreDependencyOnFailure", .remove: "removeDependencyOnFailure",
        ]
        for policy in [ChildFailurePolicy.failParent, .continueParent, .ignore, .remove]
        where object[policy.rawValue]?.boolValue == true || object[longNames[policy] ?? ""]?.boolValue == true {
            onChildFailure = policy
        }
        // The short keys BullMQ stores; the long form of a client that wrote the public shape.
        telemetry =
            JobTelemetry(metadata: object["tm"], omitContext: object["omc"])
            ?? JobTelemetry(metadata: object["telemetry"]?["metadata"], omitContext: object["telemetry"]?["omitContext"])
        extra = object.filter { !Self.knownKeys.contains($0.key) }
    }

    /// Refuses what BullMQ's own producer refuses, with the reason.
    public func validate() throws(JobQueueError) {
        if let jobId {
            // BullMQ's rule: an id that reads back as the same integer ("42", not "042") is its own kind.
            if jobId.isEmpty || Int(jobId).map({ String($0) == jobId }) == true {
                throw JobQueueError(.invalidOptions, "custom job id '\(jobId)' must not be empty or an integer (ids like that are BullMQ's own)")
            }
            if jobId == "0" || jobId.hasPrefix("0:") {
                throw JobQueueError(.invalidOptions, "custom job id must not be 0 or start with '0:'")
            }
            if jobId.contains(":") && jobId.split(separator: ":", omittingEmptySubsequences: false).count != 3 {
                throw JobQueueError(.invalidOptions, "custom job id '\(jobId)' may contain ':' only as repeat:<id>:<ms>")
            }
        }
        guard (0...2_097_151).contains(priority) else {
            throw JobQueueError(.invalidOptions, "priority must be 0...2097151, got \(priority)")
        }
        guard delay >= 0 else { throw JobQueueError(.invalidOptions, "delay must not be negative, got \(delay)") }
        // Past 2^53 − 1 a JavaScript peer no longer reads the delay exactly (and the delayed score,
        // due time × 4096, soon passes what an integer holds).
        guard delay <= Int(Worker.latestDelay) else {
            throw JobQueueError(.invalidOptions, "delay must be at most \(Int(Worker.latestDelay)) ms, got \(delay)")
        }
        guard attempts >= 0 else { throw JobQueueError(.invalidOptions, "attempts must not be negative, got \(attempts)") }
        if let backoff, backoff.delay < 0 {
            throw JobQueueError(.invalidOptions, "backoff delay must not be negative, got \(backoff.delay)")
        }
        if let jitter = backoff?.jitter, !(0...1).contains(jitter) {
            throw JobQueueError(.invalidOptions, "backoff jitter must be 0...1, got \(jitter)")
        }
        if let timeout, timeout <= 0 { throw JobQueueError(.invalidOptions, "timeout must be positive milliseconds, got \(timeout)") }
        if let deduplication, deduplication.id.isEmpty {
            throw JobQueueError(.invalidOptions, "deduplication id must not be empty")
        }
    }
}

extension JobOptions.KeepJobs {
    var json: JSONValue {
        switch self {
        case .remove(let flag): return .bool(flag)
        case .count(let count): return .int(Int64(count))
        case .policy(let age, let count, let limit):
            var object: [String: JSONValue] = [:]
            if let age { object["age"] = .int(Int64(age)) }
            if let count { object["count"] = .int(Int64(count)) }
            if let limit { object["limit"] = .int(Int64(limit)) }
            return .object(object)
        }
    }

    init?(json: JSONValue) {
        if let flag = json.boolValue {
            self = .remove(flag)
        } else if let count = json.intValue {
            self = .count(count)
        } else if let object = json.objectValue {
            self = .policy(age: object["age"]?.intValue, count: object["count"]?.intValue, limit: object["limit"]?.intValue)
        } else {
            return nil
        }
    }

    /// (keep count: -1 all, 0 none, n newest; keep age seconds: -1 none, 0 everything until now; limit per pass).
    var scriptArguments: (count: Int, age: Int, limit: Int) {
        switch self {
        case .remove(true): return (0, -1, 1000)
        case .remove(false): return (-1, -1, 1000)
        case .count(let count): return (count < 0 ? -1 : count, -1, 1000)
        // Age 0 is an age (BullMQ: everything finished until now goes); -1 is none.
        case .policy(let age, let count, let limit): return (count ?? -1, age.map { max($0, 0) } ?? -1, limit ?? 1000)
        }
    }
}
