/// Why a job that reaches a server failed, and whether another attempt may help.
public struct ServerJobError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String { case invalidRequest, unreachable, authentication, hostKey, remoteCommand, sudoNeedsPassword, storage, notFound, cancelled }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        public static let invalidRequest = Code(.invalidRequest)
        /// Refused, timed out, reset: retried.
        public static let unreachable = Code(.unreachable)
        public static let authentication = Code(.authentication)
        public static let hostKey = Code(.hostKey)
        /// A remote command failed; retried only when the failure looks temporary.
        public static let remoteCommand = Code(.remoteCommand)
        public static let sudoNeedsPassword = Code(.sudoNeedsPassword)
        /// Local storage (disk full, permissions).
        public static let storage = Code(.storage)
        public static let notFound = Code(.notFound)
        /// The job was cancelled (lock lost, shutdown); nothing was written.
        public static let cancelled = Code(.cancelled)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String
    public let isRetryable: Bool
    /// How the SSH connection attempt ended, when the error comes from one.
    public var connectionOutcome: SSHConnectionOutcome?

    public init(_ code: Code, _ message: String, retryable: Bool? = nil) {
        self.code = code
        self.message = message
        self.isRetryable = retryable ?? (code == .unreachable || code == .storage)
    }

    public var description: String { message }
}
