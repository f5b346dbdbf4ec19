public import Foundation
public import PostgresClient

/// Servers and their sealed credentials.
public struct ServerRepository: Sendable {
    let database: PostgresPool
    let vault: CredentialVault

    public init(database: PostgresPool, vault: CredentialVault) {
        self.database = database
        self.vault = vault
    }

    public func create(_ server: NewServer) async throws(RecordError) -> Server {
        try HostAddress.validate(server.host)
        guard !server.credential.isEmpty else { throw RecordError(.invalid, field: "credential", "a password or private key is required") }
        let id = UUID()
        let sealed = try vault.seal(server.credential, serverId: id)
        return try await recording {
            let row = try await database.query(
                """
                INSERT INTO servers (id, name, host, port, username, auth_type, credential_ciphertext, credential_key_id,
                                     host_key_fingerprint, tags, description)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING \(Server.columns)
                """,
                [
                    id, server.name, server.host, server.port, server.username, server.authType.rawValue, sealed.ciphertext, sealed.keyId,
                    server.hostKeyFingerprint, server.tags, server.description,
                ]
            ).first
            return try Server(row: try row.orNotFound("server"))
        }
    }

    public func find(id: UUID) async throws(RecordError) -> Server? {
        try await database.find(in: "servers", id: id)
    }

    public func list(_ page: Page = Page(), tag: String? = nil) async throws(RecordError) -> PageOf<Server> {
        try await database.page(of: "servers", where: "$3::text IS NULL OR $3 = ANY (tags)", orderBy: "lower(name)", page, [tag])
    }

    /// Changes what is given; a new credential is sealed again.
    public func update(
        id: UUID, name: String? = nil, host: String? = nil, port: Int? = nil, username: String? = nil,
        authType: ServerAuthType? = nil, credential: String? = nil, tags: [String]? = nil,
        description: String? = nil, hostKeyFingerprint: String? = nil
    ) async throws(RecordError) -> Server {
        if let host { try HostAddress.validate(host) }
        let sealed = try credential.map { plaintext throws(RecordError) in
            guard !plaintext.isEmpty else { throw RecordError(.invalid, field: "credential", "the credential must not be empty") }
            return try vault.seal(plaintext, serverId: id)
        }
        return try await recording {
            let row = try await database.query(
                """
                UPDATE servers SET name = coalesce($2, name), host = coalesce($3, host), port = coalesce($4, port),
                    username = coalesce($5, username), auth_type = coalesce($6, auth_type),
                    credential_ciphertext = coalesce($7, credential_ciphertext), credential_key_id = coalesce($8, credential_key_id),
                    tags = coalesce($9, tags), description = coalesce($10, description),
                    -- a key given is pinned; otherwise a new address invalidates the pinned key, and so
                    -- does turning a key login into a password one (its key may have been pinned on
                    -- first contact, unchecked: a password goes only to a key someone gave)
                    host_key_fingerprint = CASE WHEN $11::text IS NOT NULL THEN $11::text
                        WHEN $3 IS NOT NULL AND $3 <> host THEN NULL
                        WHEN $6 = 'password' AND auth_type <> 'password' THEN NULL ELSE host_key_fingerprint END,
                    updated_at = now()
                WHERE id = $1 RETURNING \(Server.columns)
                """,
                [id, name, host, port, username, authType?.rawValue, sealed?.ciphertext, sealed?.keyId, tags, description, hostKeyFingerprint]
            ).first
            return try Server(row: try row.orNotFound("server"))
        }
    }

    public func delete(id: UUID) async throws(RecordError) -> Bool {
        // Schedules that drilled on this server stop drilling rather than drill somewhere else.
        try await recording {
            try await database.query(
                """
                WITH host AS (UPDATE backup_schedules SET drill_every_backups = NULL, drill_every_days = NULL, updated_at = now()
                              WHERE drill_server_id = $1)
                DELETE FROM servers WHERE id = $1
                """, [id]
            ).affectedRows > 0
        }
    }

    /// Pins the host key seen on first contact with `server` as it was read: only while the row is
    /// still a key login at the same address (an admin may have changed it meanwhile, and a
    /// password goes only to a key someone gave); refuses to replace a different pinned key.
    public func pinHostKey(_ server: Server, fingerprint: String) async throws(RecordError) {
        let changed = try await recording {
            try await database.query(
                """
                UPDATE servers SET host_key_fingerprint = $2, updated_at = now()
                WHERE id = $1 AND auth_type = 'key' AND host = $3 AND port = $4
                    AND (host_key_fingerprint IS NULL OR host_key_fingerprint = $2)
                """, [server.id, fingerprint, server.host, server.port]
            ).affectedRows
        }
        if changed == 0 {
            throw RecordError(
                .conflict, field: "hostKeyFingerprint",
                "the server is missing, was changed while connecting, or is already pinned to a different host key")
        }
    }

    public func recordCheck(id: UUID, online: Bool, error: String?) async throws(RecordError) {
        _ = try await recording {
            try await database.query(
                "UPDATE servers SET online = $2, last_checked_at = now(), last_check_error = $3 WHERE id = $1", [id, online, error])
        }
    }

    /// The opened credential, for the SSH client only.
    public func credential(for id: UUID) async throws(RecordError) -> ServerCredential {
        guard let found = try await connectable(id: id) else { throw RecordError(.notFound, field: "id", "no server has this id") }
        return try open(found.credential, of: id)
    }

    /// Opens a server's stored credential (the server's id is the vault's associated data).
    public func open(_ credential: StoredCredential, of serverId: UUID) throws(RecordError) -> ServerCredential {
        ServerCredential(authType: credential.authType, secret: try vault.open(credential.sealed, serverId: serverId))
    }

    /// The server and its sealed credential in one read: what a job attempt connects with.
    public func connectable(id: UUID) async throws(RecordError) -> ConnectableServer? {
        let row = try await recording {
            try await database.query(
                "SELECT \(Server.columns), credential_ciphertext, credential_key_id FROM servers WHERE id = $1", [id]
            ).first
        }
        guard let row else { return nil }
        let (server, sealed) = try recording {
            (try Server(row: row), SealedCredential(ciphertext: try row.decode("credential_ciphertext"), keyId: try row.decode("credential_key_id")))
        }
        return ConnectableServer(server: server, credential: StoredCredential(authType: server.authType, sealed: sealed))
    }
}
