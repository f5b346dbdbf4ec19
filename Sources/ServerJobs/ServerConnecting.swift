package import JobQueue
package import Records
import SSHClient

/// Opens a session to a server on record: `ServerConnector` over SSH; the fast test tier scripted.
package protocol ServerConnecting: Sendable {
    associatedtype Session: ClosableSession
    func connect(_ server: Server, credential: ServerCredential) async throws(ServerJobError) -> Session
}

/// A session the attempt closes when its work ends, however it ends.
package protocol ClosableSession: Sendable {
    func close() async
}

/// The attempt a job frame runs for: the job, its lock token, and whether the lock still holds.
package protocol LockedJobAttempt: Sendable {
    var job: Job { get }
    var token: String { get }
    func holdsLock() async throws -> Bool
}

extension ServerConnector: ServerConnecting {}
extension SSHSession: ClosableSession {}
extension JobContext: LockedJobAttempt {}
