package import Foundation
import Records
package import ServerJobs

/// The jobs enqueued, in memory: one per job id, as BullMQ keeps them (enqueueing again is a no-op).
package actor InMemoryDispatcher: ServerJobDispatching {
    package struct Enqueued: Sendable, Equatable {
        package var name: ServerJobName
        package var jobId: String
        package var payload: ServerJobPayload
    }

    package private(set) var jobs: [Enqueued] = []
    private var failure: (any Error)?

    package init() {}

    /// Every later enqueue fails with `error`, as a Redis outage does (nil: they succeed again).
    package func failing(_ error: (any Error)?) { failure = error }

    @discardableResult
    package func enqueue(_ name: ServerJobName, recordId: UUID, serverId: UUID?, jobId: String?, payload: ServerJobPayload?) async throws -> String {
        if let failure { throw failure }
        let id = jobId ?? recordId.lowercasedString
        guard !jobs.contains(where: { $0.jobId == id }) else { return id }
        let body = payload ?? ServerJobPayload(recordId: recordId.lowercasedString, serverId: serverId?.lowercasedString)
        jobs.append(Enqueued(name: name, jobId: id, payload: body))
        return id
    }
}
