import ErrorCodes
import Foundation
public import RedisClient

/// A job and the jobs it waits for; children may live on other queues (same prefix).
public struct FlowNode: Sendable {
    public var name: String
    public var queueName: String
    public var data: JSONValue
    public var options: JobOptions
    public var children: [FlowNode]

    public init(name: String, queueName: String, data: JSONValue = .object([:]), options: JobOptions = JobOptions(), children: [FlowNode] = []) {
        self.name = name
        self.queueName = queueName
        self.data = data
        self.options = options
        self.children = children
    }
}

/// The ids a flow got, in the shape of the tree.
public struct FlowResult: Sendable, Equatable {
    public var queueName: String
    public var id: String
    public var children: [FlowResult]
}

/// Adds a tree of jobs atomically: the parent waits in `waiting-children` until every child
/// finished, then runs and can read its children's results (`JobContext.childrenValues()`).
public struct FlowProducer: Sendable {
    public let prefix: String
    let redis: RedisConnectionPool
    let clock: JobClock

    public init(prefix: String = "bull", redis: RedisConnectionPool, clock: JobClock = .system) {
        self.prefix = prefix
        self.redis = redis
        self.clock = clock
    }

    public func add(_ root: FlowNode) async throws -> FlowResult {
        var calls: [(keys: [RedisArgument], arguments: [RedisArgument])] = []
        var parents: [(keys: [RedisArgument], arguments: [RedisArgument])] = []
        let result = try plan(root, parent: nil, into: &calls, parents: &parents)
        let script = QueueScript.addJob
        let release = QueueScript.releaseParentIfReady
        var commands: [[RedisArgument]] = [["SCRIPT", "LOAD", RedisArgument(script.source)], ["SCRIPT", "LOAD", RedisArgument(release.source)], ["MULTI"]]
        commands += calls.map { ["EVALSHA", RedisArgument(script.sha1), RedisArgument($0.keys.count)] + $0.keys + $0.arguments }
        // Deepest first: a middle node released goes on; its own parent still waits for it.
        commands += parents.reversed().map { ["EVALSHA", RedisArgument(release.sha1), RedisArgument($0.keys.count)] + $0.keys + $0.arguments }
        commands.append(["EXEC"])
        let replies = try await redis.pipeline(commands)
        if let failure = replies.lazy.compactMap(\.errorMessage).first {
            throw RedisError(.serverError, "the flow was not added: \(failure)")
        }
        for reply in (replies.last?.array ?? []).prefix(calls.count) { _ = try Queue.addResult(reply) }
        return result
    }

    /// Lists the add calls parent first (the children link to a parent that already exists).
    private func plan(
        _ node: FlowNode, parent: ParentReference?, into calls: inout [(keys: [RedisArgument], arguments: [RedisArgument])],
        parents: inout [(keys: [RedisArgument], arguments: [RedisArgument])]
    ) throws -> FlowResult {
        let queue = try Queue(name: node.queueName, prefix: prefix, redis: redis, clock: clock)
        var options = node.options
        let id = options.jobId ?? Self.newId()
        options.jobId = id
        if let parent {
            options.extra["parent"] = ["id": .string(parent.id), "queue": .string(parent.queueKey)]
        }
        calls.append((queue.keys.scriptKeys, try queue.addCall(node.name, data: node.data, options: options, parent: parent.map(\.link), hasChildren: !node.children.isEmpty).argv(for: queue.keys)))
        var link = ParentReference(id: id, queueKey: queue.keys.queueKey, jobKey: queue.keys.job(id))
        if !node.children.isEmpty {
            parents.append((queue.keys.scriptKeys, [RedisArgument(queue.keys.base), RedisArgument(id), RedisArgument(clock.nowMilliseconds())]))
        }
        var children: [FlowResult] = []
        for child in node.children {
            link.policy = child.options.onChildFailure
            children.append(try plan(child, parent: link, into: &calls, parents: &parents))
        }
        return FlowResult(queueName: node.queueName, id: id, children: children)
    }

    /// A uuid4 hex id, as the Python client gives flow nodes (never all digits).
    private static func newId() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }
}

/// The parent a child is added under.
struct ParentReference {
    var id: String
    var queueKey: String
    var jobKey: String
    var policy: JobOptions.ChildFailurePolicy?

    var link: Queue.ParentLink {
        var json: [String: JSONValue] = ["id": .string(id), "queueKey": .string(queueKey)]
        if let policy { json[policy.rawValue] = true }
        return Queue.ParentLink(key: jobKey, json: JSONValue.object(json).jsonText)
    }
}
