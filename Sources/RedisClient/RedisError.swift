public import ErrorCodes

/// The domain of a failure talking to Redis.
public enum RedisFailure: ErrorDomain {
    public static let name = "Redis"
}

/// A failure talking to Redis.
///
/// `isRetryable` tells callers whether the same operation may succeed on a new attempt (connection
/// refused, lost, or timed out) or will fail again (a server error reply, bad configuration).
public typealias RedisError = CodedError<RedisFailure>

/// Error replies a server gives while it cannot answer yet.
private let transientReplies = ["LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN"]

extension RedisError {
    /// Connection trouble, and the error replies a server gives while it cannot answer yet
    /// (loading its AOF after a restart, a script running too long, a failover under way).
    public var isRetryable: Bool {
        switch code {
        case .connectionFailed, .connectionLost, .timedOut, .poolExhausted: return true
        case .serverError: return transientReplies.contains { message.hasPrefix($0) }
        default: return false
        }
    }
}

extension RedisError.Code {
    public static let invalidConfiguration = Self("invalidConfiguration")
    /// The caller built a command Redis cannot receive (e.g. no words at all).
    public static let invalidCommand = Self("invalidCommand")
    /// Could not connect (refused, unreachable, AUTH/SELECT rejected).
    public static let connectionFailed = Self("connectionFailed")
    /// The connection broke mid-command (server restart, reset); the next command reconnects.
    public static let connectionLost = Self("connectionLost")
    /// No reply within the command timeout.
    public static let timedOut = Self("timedOut")
    /// Every pooled connection stayed in use for the pool's `acquireTimeout`; this process is
    /// busy, not Redis unreachable.
    public static let poolExhausted = Self("poolExhausted")
    /// A blocking wait was interrupted by shutdown or task cancellation.
    public static let interrupted = Self("interrupted")
    /// Redis answered with an error reply (`-ERR ...`).
    public static let serverError = Self("serverError")
    public static let protocolError = Self("protocolError")
    /// The reply had a type or shape the caller did not expect.
    public static let unexpectedReply = Self("unexpectedReply")
    /// A cluster command could not be routed: too many MOVED/ASK redirects, or one to a node
    /// that is not part of the cluster.
    public static let clusterRouting = Self("clusterRouting")
}
