import ErrorCodes
import SSHClient

/// How an SSH connection attempt ended, in the few classes operators alert on.
package enum SSHConnectionOutcome: String, Sendable, CaseIterable {
    case ok
    case authFailed = "auth_failed"
    case hostKeyMismatch = "host_key_mismatch"
    case hostKeyNotPinned = "host_key_not_pinned"
    case timeout
    case refused
    case unreachable
    case other

    init(_ error: SSHError) {
        switch error.code {
        case .authenticationFailed, .invalidPrivateKey: self = .authFailed
        case .hostKeyMismatch: self = .hostKeyMismatch
        case .hostKeyNotPinned: self = .hostKeyNotPinned
        case .timedOut, .commandTimedOut, .idleTimedOut: self = .timeout
        case .connectionRefused: self = .refused
        case .hostUnreachable, .hostNotFound, .connectionReset: self = .unreachable
        default: self = .other
        }
    }
}
