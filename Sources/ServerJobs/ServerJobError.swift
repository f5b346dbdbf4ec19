package import ErrorCodes

/// Why a job that reaches a server failed, and whether another attempt may help.
package struct ServerJobError: Error, Sendable, CustomStringConvertible {
    package typealias Code = ErrorCode<ServerJobError>

    package let code: Code
    package let message: String
    package let isRetryable: Bool
    /// How the SSH connection attempt ended, when the error comes from one.
    package var connectionOutcome: SSHConnectionOutcome?
    /// The host key a server presented when none was pinned and a password would have been sent.
    package var presentedHostKey: String?

    package init(_ code: Code, _ message: String, retryable: Bool? = nil) {
        self.code = code
        self.message = message
        self.isRetryable = retryable ?? (code == .unreachable || code == .storage)
    }

    package var description: String { message }
}

extension ServerJobError.Code {
    package static let invalidRequest = Self("invalidRequest")
    /// Refused, timed out, reset: retried.
    package static let unreachable = Self("unreachable")
    package static let authentication = Self("authentication")
    package static let hostKey = Self("hostKey")
    /// A remote command failed; retried only when the failure looks temporary.
    package static let remoteCommand = Self("remoteCommand")
    package static let sudoNeedsPassword = Self("sudoNeedsPassword")
    /// Local storage (disk full, permissions).
    package static let storage = Self("storage")
    package static let notFound = Self("notFound")
    /// The job was cancelled (lock lost, shutdown); nothing was written.
    package static let cancelled = Self("cancelled")
}
