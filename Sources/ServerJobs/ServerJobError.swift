/// Why a job that reaches a server failed, and whether another attempt may help.
package struct ServerJobError: Error, Sendable, CustomStringConvertible {
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String { case invalidRequest, unreachable, authentication, hostKey, remoteCommand, sudoNeedsPassword, storage, notFound, cancelled }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        package static let invalidRequest = Code(.invalidRequest)
        /// Refused, timed out, reset: retried.
        package static let unreachable = Code(.unreachable)
        package static let authentication = Code(.authentication)
        package static let hostKey = Code(.hostKey)
        /// A remote command failed; retried only when the failure looks temporary.
        package static let remoteCommand = Code(.remoteCommand)
        package static let sudoNeedsPassword = Code(.sudoNeedsPassword)
        /// Local storage (disk full, permissions).
        package static let storage = Code(.storage)
        package static let notFound = Code(.notFound)
        /// The job was cancelled (lock lost, shutdown); nothing was written.
        package static let cancelled = Code(.cancelled)

        package var description: String { value.rawValue }
    }

    package let code: Code
    package let message: String
    package let isRetryable: Bool
    /// How the SSH connection attempt ended, when the error comes from one.
    package var connectionOutcome: SSHConnectionOutcome?

    package init(_ code: Code, _ message: String, retryable: Bool? = nil) {
        self.code = code
        self.message = message
        self.isRetryable = retryable ?? (code == .unreachable || code == .storage)
    }

    package var description: String { message }
}
