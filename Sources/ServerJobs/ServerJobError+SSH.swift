import ErrorCodes
import SSHClient

extension ServerJobError {
    /// The one mapping from what an SSH step threw to the job's error: a `ServerJobError` as it
    /// is; an SSH failure as `unreachable`, retried when the connection's failure is; anything
    /// else as `otherwise`, retried as that code is (storage yes, a remote command no).
    static func from(_ error: any Error, doing: String, otherwise: Code = .remoteCommand) -> ServerJobError {
        switch error {
        case let error as ServerJobError: return error
        case let error as SSHError: return ServerJobError(.unreachable, "\(doing) broke off: \(error.message)", retryable: error.isRetryable)
        default: return ServerJobError(otherwise, "\(doing) failed: \(error)")
        }
    }

    /// Runs `step`, mapping whatever it throws with `from(_:doing:otherwise:)`.
    static func mapping<Result>(
        doing: String, otherwise: Code = .remoteCommand, _ step: () async throws -> Result
    ) async throws(ServerJobError) -> Result {
        do {
            return try await step()
        } catch {
            throw from(error, doing: doing, otherwise: otherwise)
        }
    }
}
