import BlockingIO

/// `WAIT numreplicas timeout` after a write: the call returns once that many replicas have the
/// write (or the timeout passed). Redis replicates asynchronously, so a master that dies right
/// after acknowledging a write may take it along; a write a replica confirmed survives that
/// replica's promotion. Costs a round trip per write, and up to `timeout` while no replica answers.
public struct RedisReplicaWait: Sendable, Equatable {
    public var replicas: Int
    public var timeout: Duration

    public init(replicas: Int = 1, timeout: Duration = .milliseconds(500)) {
        self.replicas = max(1, replicas)
        self.timeout = timeout
    }

    var command: [RedisArgument] {
        ["WAIT", RedisArgument(replicas), RedisArgument(max(1, Int(timeout.wholeMilliseconds)))]
    }
}
