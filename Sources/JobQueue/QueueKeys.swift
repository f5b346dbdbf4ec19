/// The key names of one queue: `<prefix>:<queue>:<suffix>`.
public struct QueueKeys: Sendable, Hashable {
    public let prefix: String
    public let queueName: String
    /// `<prefix>:<queue>:`, the base every script builds keys from.
    public let base: String

    public init(prefix: String = "bull", queueName: String) throws(JobQueueError) {
        guard !queueName.isEmpty, !queueName.contains(":") else {
            throw JobQueueError(.invalidOptions, "queue name '\(queueName)' must be non-empty and contain no ':'")
        }
        guard !prefix.isEmpty else { throw JobQueueError(.invalidOptions, "key prefix must not be empty") }
        self.prefix = prefix
        self.queueName = queueName
        self.base = "\(prefix):\(queueName):"
    }

    public func key(_ suffix: String) -> String { base + suffix }
    public func job(_ id: String) -> String { base + id }
    /// The `queueKey` BullMQ uses in parent references: `<prefix>:<queue>`.
    public var queueKey: String { "\(prefix):\(queueName)" }
}
