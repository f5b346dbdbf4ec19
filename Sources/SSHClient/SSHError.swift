public import ErrorCodes

/// The domain of a failure reaching or using a server over SSH.
public enum SSHFailure: ErrorDomain {
    public static let name = "SSH"
}

/// A failure reaching or using a server over SSH.
///
/// `isRetryable` separates what may pass on a later attempt (refused, timed out, reset,
/// unreachable) from what will not (bad credentials, a changed host key, a bad key file).
public typealias SSHError = CodedError<SSHFailure>

extension SSHError {
    public var isRetryable: Bool {
        switch code {
        case .connectionRefused, .timedOut, .connectionReset, .hostUnreachable, .commandTimedOut, .idleTimedOut, .channelFailed, .notConnected:
            return true
        default:
            return false
        }
    }
}

extension SSHError.Code {
    public static let connectionRefused = Self("connectionRefused")
    /// Connect, handshake or authentication took longer than the connect timeout.
    public static let timedOut = Self("timedOut")
    public static let connectionReset = Self("connectionReset")
    public static let hostUnreachable = Self("hostUnreachable")
    public static let hostNotFound = Self("hostNotFound")
    public static let authenticationFailed = Self("authenticationFailed")
    /// The server's key is not the pinned one: possibly an attack; never retried.
    public static let hostKeyMismatch = Self("hostKeyMismatch")
    /// No key is pinned and the session would send a password: refused, never retried (the
    /// message names the key the server presented, for someone to check and pin).
    public static let hostKeyNotPinned = Self("hostKeyNotPinned")
    public static let invalidPrivateKey = Self("invalidPrivateKey")
    /// The remote command ran longer than its timeout and was abandoned.
    public static let commandTimedOut = Self("commandTimedOut")
    /// The remote command produced no output for longer than the idle timeout.
    public static let idleTimedOut = Self("idleTimedOut")
    public static let channelFailed = Self("channelFailed")
    public static let protocolError = Self("protocolError")
    public static let notConnected = Self("notConnected")
    /// The calling task was cancelled: the channel and session were closed, which ends the
    /// remote command.
    public static let cancelled = Self("cancelled")
}
