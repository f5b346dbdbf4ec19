/// A failure reaching or using a server over SSH.
///
/// `isRetryable` separates what may pass on a later attempt (refused, timed out, reset,
/// unreachable) from what will not (bad credentials, a changed host key, a bad key file).
public struct SSHError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String {
            case connectionRefused, timedOut, connectionReset, hostUnreachable, hostNotFound
            case authenticationFailed, hostKeyMismatch, invalidPrivateKey, commandTimedOut, idleTimedOut
            case channelFailed, protocolError, notConnected, cancelled
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        public static let connectionRefused = Code(.connectionRefused)
        /// Connect, handshake or authentication took longer than the connect timeout.
        public static let timedOut = Code(.timedOut)
        public static let connectionReset = Code(.connectionReset)
        public static let hostUnreachable = Code(.hostUnreachable)
        public static let hostNotFound = Code(.hostNotFound)
        public static let authenticationFailed = Code(.authenticationFailed)
        /// The server's key is not the pinned one: possibly an attack; never retried.
        public static let hostKeyMismatch = Code(.hostKeyMismatch)
        public static let invalidPrivateKey = Code(.invalidPrivateKey)
        /// The remote command ran longer than its timeout and was abandoned.
        public static let commandTimedOut = Code(.commandTimedOut)
        /// The remote command produced no output for longer than the idle timeout.
        public static let idleTimedOut = Code(.idleTimedOut)
        public static let channelFailed = Code(.channelFailed)
        public static let protocolError = Code(.protocolError)
        public static let notConnected = Code(.notConnected)
        /// The calling task was cancelled: the channel and session were closed, which ends the
        /// remote command.
        public static let cancelled = Code(.cancelled)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var isRetryable: Bool {
        switch code {
        case .connectionRefused, .timedOut, .connectionReset, .hostUnreachable, .commandTimedOut, .idleTimedOut, .channelFailed, .notConnected:
            return true
        default:
            return false
        }
    }

    public var description: String { "SSH \(code): \(message)" }
}
