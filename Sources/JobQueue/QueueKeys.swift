public import ErrorCodes
public import RedisClient

/// The key names of one queue: `<prefix>:<queue>:<suffix>`.
///
/// On a Redis Cluster (`hashTagged`) the queue name is written as a hash tag, `<prefix>:{<queue>}:`,
/// so all of one queue's keys share a slot while different queues spread over the masters. That
/// is exactly the layout a BullMQ client produces for a queue named `{<queue>}`. A name that
/// already holds a hash tag (`{flows}-reports`) is kept as it is, so queues can share one slot
/// on purpose (flows need parent and children on one slot, as in BullMQ).
public struct QueueKeys: Sendable, Hashable {
    public let prefix: String
    public let queueName: String
    /// The queue name as it appears in the keys (`{name}` on a cluster).
    public let keyName: String
    /// `<prefix>:<queue>:`, the base every script builds keys from.
    public let base: String
    /// The queue's fixed keys, declared as KEYS by every queue script so that a cluster runs the
    /// script on the queue's slot; keys only known inside a script (a job's hash, its lock) are
    /// built from `base`, as BullMQ's scripts build them from their prefix argument.
    public let scriptKeys: [RedisArgument]

    static let fixedSuffixes = [
        "wait", "paused", "meta", "active", "prioritized", "delayed", "completed", "failed", "waiting-children",
        "stalled", "stalled-check", "events", "marker", "id", "pc", "limiter", "repeat",
    ]

    public init(prefix: String = "bull", queueName: String, hashTagged: Bool = false) throws(JobQueueError) {
        guard !queueName.isEmpty, !queueName.contains(":") else {
            throw JobQueueError(.invalidOptions, "queue name '\(queueName)' must be non-empty and contain no ':'")
        }
        guard !prefix.isEmpty else { throw JobQueueError(.invalidOptions, "key prefix must not be empty") }
        self.prefix = prefix
        self.queueName = queueName
        let tagged = hashTagged && Self.hashTag(in: queueName) == nil && Self.hashTag(in: prefix) == nil
        self.keyName = tagged ? "{\(queueName)}" : queueName
        let base = "\(prefix):\(keyName):"
        self.base = base
        self.scriptKeys = Self.fixedSuffixes.map { RedisArgument(base + $0) }
    }

    public func key(_ suffix: String) -> String { base + suffix }
    public func job(_ id: String) -> String { base + id }
    /// The `queueKey` BullMQ uses in parent references: `<prefix>:<queue>`.
    public var queueKey: String { "\(prefix):\(keyName)" }

    /// The non-empty `{tag}` of `text`, if any (Redis Cluster hashes only that part of a key).
    static func hashTag(in text: String) -> Substring? {
        guard let open = text.firstIndex(of: "{"),
            let close = text[text.index(after: open)...].firstIndex(of: "}"),
            close > text.index(after: open)
        else { return nil }
        return text[text.index(after: open)..<close]
    }
}
