package import Foundation
package import Records
import Synchronization

/// Server rows in memory, each with its credential. `failing` fails reads as an outage would;
/// `failingToOpen` makes credentials refuse to open (a key rotated away).
package actor InMemoryServerStore: ServerStore {
    package private(set) var rows: [UUID: Server] = [:]
    private let credentials = CredentialShelf()
    private var failure: RecordError?

    package init() {}

    package func failing(_ error: RecordError?) { failure = error }

    package func failingToOpen(_ error: RecordError?) { credentials.failure.withLock { $0 = error } }

    package func put(_ server: Server, credential: ServerCredential = ServerCredential(authType: .key, secret: "key")) {
        rows[server.id] = server
        credentials.secrets.withLock { $0[server.id] = credential }
    }

    package func remove(id: UUID) { rows[id] = nil }

    package func connectable(id: UUID) async throws(RecordError) -> ConnectableServer? {
        if let failure { throw failure }
        guard let server = rows[id] else { return nil }
        return ConnectableServer(
            server: server, credential: StoredCredential(authType: server.authType, sealed: SealedCredential(ciphertext: "in-memory", keyId: "test")))
    }

    package nonisolated func open(_ credential: StoredCredential, of serverId: UUID) throws(RecordError) -> ServerCredential {
        if let failure = credentials.failure.withLock({ $0 }) { throw failure }
        guard let secret = credentials.secrets.withLock({ $0[serverId] }) else {
            throw RecordError(.invalid, field: "credential", "no credential for this server")
        }
        return secret
    }
}

/// The plaintext credentials `open` hands out, readable without hopping onto the actor (opening
/// is synchronous, as the vault's is).
private final class CredentialShelf: Sendable {
    let secrets = Mutex<[UUID: ServerCredential]>([:])
    let failure = Mutex<RecordError?>(nil)
}
