package import Foundation
package import Records
package import ServerJobs

/// Connects to servers without a network: each server answers as the test scripted it (a
/// session, or a connection error). Counts the sessions it opened and closed.
package actor ScriptedConnector: ServerConnecting {
    /// A session that does nothing but remember it was closed.
    package struct Session: ClosableSession {
        package let server: Server
        let connector: ScriptedConnector

        package func close() async { await connector.closed(self) }
    }

    private var failures: [UUID: ServerJobError] = [:]
    package private(set) var opened = 0
    package private(set) var closedCount = 0

    package init() {}

    /// Connections to `serverId` fail with `error` (nil: they succeed again).
    package func failing(_ serverId: UUID, with error: ServerJobError?) { failures[serverId] = error }

    package func connect(_ server: Server, credential: ServerCredential) async throws(ServerJobError) -> Session {
        if let failure = failures[server.id] { throw failure }
        opened += 1
        return Session(server: server, connector: self)
    }

    func closed(_ session: Session) { closedCount += 1 }
}
