import ErrorCodes
package import Logging
package import Records
package import SSHClient
package import Tracing

/// Opens SSH sessions to servers on record: the stored credential, the pinned host key, and the
/// first contact's key pinned (trust on first use).
package struct ServerConnector: Sendable {
    let servers: ServerRepository
    let logger: Logger
    package var connectTimeout: Duration
    /// Told how each connection attempt ended (for metrics).
    let onOutcome: @Sendable (SSHConnectionOutcome) -> Void
    /// Handed to each session, which traces its connect and commands.
    let tracer: any Tracer

    package init(
        servers: ServerRepository, logger: Logger, connectTimeout: Duration = .seconds(10),
        onOutcome: @escaping @Sendable (SSHConnectionOutcome) -> Void = { _ in }, tracer: any Tracer = NoOpTracer()
    ) {
        self.servers = servers
        self.tracer = tracer
        self.logger = logger
        self.connectTimeout = connectTimeout
        self.onOutcome = onOutcome
    }

    /// Opens the credential read with the server, then connects.
    package func connect(_ found: ConnectableServer) async throws(ServerJobError) -> SSHSession {
        try await connect(found.server, credential: try servers.openForConnecting(found))
    }

    package func connect(_ server: Server, credential: ServerCredential) async throws(ServerJobError) -> SSHSession {
        let authentication: SSHAuthentication
        switch credential.authType {
        case .password: authentication = .password(credential.secret)
        case .key: authentication = .privateKey(pem: credential.secret, passphrase: nil)
        }
        let configuration = SSHConfiguration(
            host: server.host, port: server.port, username: server.username, authentication: authentication,
            hostKey: server.hostKeyFingerprint.map { .pinned($0) } ?? .trustOnFirstUse, connectTimeout: connectTimeout)
        let session = SSHSession(configuration: configuration, logger: logger, tracer: tracer)
        do {
            try await session.connect()
        } catch {
            onOutcome(SSHConnectionOutcome(error))
            var classified = Self.classify(error, server: server)
            classified.connectionOutcome = SSHConnectionOutcome(error)
            if error.code == .hostKeyNotPinned { classified.presentedHostKey = await session.hostKeyFingerprint }
            throw classified
        }
        onOutcome(.ok)
        if server.hostKeyFingerprint == nil, let seen = await session.hostKeyFingerprint {
            do { try await servers.pinHostKey(server, fingerprint: seen) } catch {
                await session.close()
                throw ServerJobError(.hostKey, "pinning the host key of \(server.name) failed: \(error.message)", retryable: false)
            }
            logger.notice("pinned host key on first contact", metadata: ["server": "\(server.id)", "fingerprint": "\(seen)"])
        }
        return session
    }

    static func classify(_ error: SSHError, server: Server) -> ServerJobError {
        let place = "\(server.name) (\(server.host):\(server.port))"
        switch error.code {
        case .authenticationFailed, .invalidPrivateKey:
            return ServerJobError(.authentication, "\(place) rejected the credentials: \(error.message)", retryable: false)
        case .hostKeyMismatch:
            return ServerJobError(.hostKey, "\(place) presented a different host key than the pinned one: \(error.message)", retryable: false)
        case .hostKeyNotPinned:
            return ServerJobError(
                .hostKey, "\(place) was not sent its password: \(error.message) as this server's hostKeyFingerprint (PATCH /api/servers/:id)",
                retryable: false)
        default:
            return ServerJobError(.unreachable, "cannot reach \(place): \(error.message)", retryable: error.isRetryable)
        }
    }
}
