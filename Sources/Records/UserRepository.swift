public import Foundation
public import PostgresClient

/// Users and their API tokens.
public struct UserRepository: Sendable {
    let database: PostgresPool
    let hasher: PasswordHasher

    public init(database: PostgresPool, hasher: PasswordHasher = PasswordHasher()) {
        self.database = database
        self.hasher = hasher
    }

    public func create(username: String, email: String? = nil, password: String, role: UserRole) async throws(RecordError) -> User {
        guard User.isValidUsername(username) else {
            throw RecordError(.invalid, field: "username", "username must be 3 to 64 letters, digits, dots, dashes or underscores")
        }
        let hash = try await hasher.hash(password)
        return try await recording {
            let row = try await database.query(
                "INSERT INTO users (username, email, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING \(User.columns)",
                [username, email, hash, role.rawValue]
            ).first
            return try User(row: try row.orNotFound("user"))
        }
    }

    public func find(id: UUID) async throws(RecordError) -> User? {
        try await database.find(in: "users", id: id)
    }

    public func find(username: String) async throws(RecordError) -> User? {
        try await recording {
            try await database.query("SELECT \(User.columns) FROM users WHERE lower(username) = lower($1)", [username]).first.map(User.init(row:))
        }
    }

    public func list(_ page: Page = Page()) async throws(RecordError) -> PageOf<User> {
        try await database.page(of: "users", orderBy: "username", page)
    }

    /// Changes what is given in one statement, so a change that fails (an email the schema
    /// refuses, say) leaves the password as it was too. A new password, or deactivating the
    /// account, bumps its session version, which ends its sessions. A new password or activating
    /// the account also lifts a sign-in lock (the way back for a user others keep locked out).
    public func update(
        id: UUID, role: UserRole? = nil, active: Bool? = nil, email: String?? = nil, password: String? = nil
    ) async throws(RecordError) -> User {
        let hash: String? = if let password { try await hasher.hash(password) } else { nil }
        return try await recording {
            try await database.withTransaction { db in
                try Self.keepingAnAdmin(db) {
                    let row = try db.query(
                        """
                        UPDATE users SET role = coalesce($2, role), active = coalesce($3, active),
                            email = CASE WHEN $4 THEN $5 ELSE email END, password_hash = coalesce($6, password_hash), updated_at = now(),
                            session_version = session_version + CASE WHEN ($3 = false AND active) OR $6 IS NOT NULL THEN 1 ELSE 0 END,
                            failed_logins = CASE WHEN $3 OR $6 IS NOT NULL THEN 0 ELSE failed_logins END,
                            locked_until = CASE WHEN $3 OR $6 IS NOT NULL THEN NULL ELSE locked_until END
                        WHERE id = $1 RETURNING \(User.columns)
                        """, [id, role?.rawValue, active, email != nil, email ?? nil, hash]
                    ).first
                    return try User(row: try row.orNotFound("user"))
                }
            }
        }
    }

    /// Runs `change` so that it cannot take away the last active admin: changes that could are
    /// serialised by a transaction-scoped advisory lock (two admins demoting each other at once
    /// would otherwise both see the other still there), and one that leaves none where there was
    /// one is rolled back with a conflict.
    static func keepingAnAdmin<Result>(_ db: isolated PostgresConnection, _ change: () throws -> Result) throws -> Result {
        // Read committed whatever the server's default: the counts must see what committed while
        // this transaction waited for the lock.
        try db.query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        try db.query("SELECT pg_advisory_xact_lock($1)", [Self.adminsLock])
        let count = "SELECT count(*)::bigint AS admins FROM users WHERE role = 'admin' AND active"
        let before = try db.query(count).first?.decode("admins", as: Int64.self) ?? 0
        let result = try change()
        let after = try db.query(count).first?.decode("admins", as: Int64.self) ?? 0
        if before > 0, after == 0 {
            throw RecordError(.conflict, field: nil, "this would leave no active admin; make another user admin first")
        }
        return result
    }

    /// The advisory lock of changes to who is an admin ("MMADMINS").
    static let adminsLock: Int64 = 0x4D4D_4144_4D49_4E53

    /// Checks a password; returns the user on success and nil for every failure alike (unknown
    /// user, wrong password, inactive or locked account), after the same bcrypt work, so answers
    /// and timing tell nothing apart. `maxFailures` failures in a row lock the account for
    /// `lockFor`; attempts while locked neither count nor extend the lock, and the count starts
    /// again once a lock has ended.
    ///
    /// Each attempt is counted as a failure in one statement before bcrypt runs, and the count is
    /// cleared on success: attempts sent at once cannot all pass a lock read before any of them
    /// failed. An unknown name runs the same statement (touching no row) and the same bcrypt work.
    public func authenticate(username: String, password: String, maxFailures: Int = 5, lockFor: Duration = .seconds(900)) async throws(RecordError) -> User? {
        // Answered alike for every username, before any lookup: a password no hash can match would
        // otherwise skip bcrypt and tell known usernames (which count a failure) from unknown ones.
        guard PasswordHasher.canMatch(password) else { return nil }
        let seconds = Int(lockFor.components.seconds)
        let counted = try await recording {
            try await database.query(
                """
                UPDATE users SET
                    failed_logins = CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END,
                    locked_until = CASE
                        WHEN (CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END) >= $2
                            THEN now() + make_interval(secs => $3)
                        ELSE NULL END
                WHERE lower(username) = lower($1) AND (locked_until IS NULL OR locked_until <= now())
                RETURNING \(User.columns), password_hash
                """, [username, maxFailures, seconds]
            ).first
        }
        guard let counted, let user = try? User(row: counted), let hash = try? counted.decode("password_hash", as: String.self) else {
            // Unknown, or locked (the lock is not extended).
            _ = try await hasher.verify(password, hash: hasher.unmatchableHash)
            return nil
        }
        let matches: Bool
        do {
            matches = try await hasher.verify(password, hash: hash)
        } catch {
            // The attempt was never checked (the bcrypt pool is full: 503): it does not count, so a
            // flood that fills the pool cannot lock out the users whose sign-ins it turns away.
            _ = try? await recording {
                try await database.query(
                    """
                    UPDATE users SET failed_logins = greatest(failed_logins - 1, 0),
                        locked_until = CASE WHEN failed_logins - 1 < $2 THEN NULL ELSE locked_until END
                    WHERE id = $1
                    """, [user.id, maxFailures])
            }
            throw error
        }
        guard matches, user.active else { return nil }
        let signedIn = try await recording {
            try await database.query(
                "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = now() WHERE id = $1 RETURNING \(User.columns)", [user.id]
            ).first.map(User.init(row:))
        }
        return signedIn ?? user
    }

    public func delete(id: UUID) async throws(RecordError) -> Bool {
        try await recording {
            try await database.withTransaction { db in
                try Self.keepingAnAdmin(db) { try db.query("DELETE FROM users WHERE id = $1", [id]).affectedRows > 0 }
            }
        }
    }

    // MARK: - Tokens

    /// Creates a token and returns it once, with its record; only its hash is stored.
    public func createToken(userId: UUID, name: String, expiresAt: Date? = nil) async throws(RecordError) -> (token: String, record: APIToken) {
        var random = SystemRandomNumberGenerator()
        let secret = Hex.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
        let token = "mm_" + secret
        let record = try await recording {
            let row = try await database.query(
                """
                INSERT INTO api_tokens (user_id, name, token_hash, display_prefix, expires_at)
                VALUES ($1, $2, $3, $4, $5) RETURNING \(APIToken.columns)
                """, [userId, name, Self.tokenDigest(token), String(token.prefix(11)), expiresAt]
            ).first
            return try APIToken(row: try row.orNotFound("token"))
        }
        return (token, record)
    }

    /// The user a presented token belongs to, when the token is valid (not expired, not revoked,
    /// user active). `last_used_at` is written at most once a minute, so reads stay reads.
    public func user(forToken token: String) async throws(RecordError) -> (User, APIToken)? {
        guard Self.isWellFormedToken(token) else { return nil }
        return try await recording {
            guard
                let row = try await database.query(
                    """
                    SELECT t.id, t.user_id, t.name, t.display_prefix, t.expires_at, t.revoked_at, t.last_used_at, t.created_at,
                              u.username, u.email, u.role, u.active, u.locked_until, u.last_login_at, u.created_at AS user_created_at,
                              u.updated_at, u.session_version
                    FROM api_tokens t JOIN users u ON u.id = t.user_id
                    WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now()) AND u.active
                    """, [Self.tokenDigest(token)]
                ).first
            else { return nil }
            var record = try APIToken(row: row)
            if record.lastUsedAt.map({ $0 < Date(timeIntervalSinceNow: -60) }) ?? true {
                try await database.query("UPDATE api_tokens SET last_used_at = now() WHERE id = $1", [record.id])
                record.lastUsedAt = Date()
            }
            var user = try User(row: row)
            user.id = record.userId
            user.createdAt = try row.decode("user_created_at")
            return (user, record)
        }
    }

    public func tokens(userId: UUID) async throws(RecordError) -> [APIToken] {
        try await recording {
            try await database.query("SELECT \(APIToken.columns) FROM api_tokens WHERE user_id = $1 ORDER BY created_at", [userId]).rows.map(APIToken.init(row:))
        }
    }

    /// Revokes an active token; returns its owner's id (for the audit log), nil when no active token has this id.
    public func revokeToken(id: UUID) async throws(RecordError) -> UUID? {
        try await recording {
            try await database.query("UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING user_id", [id])
                .first?.decode("user_id", as: UUID.self)
        }
    }

    /// Whether `token` has the shape `createToken` gives (`mm_` and 64 lowercase hex digits): any
    /// other text is refused without a query.
    public static func isWellFormedToken(_ token: String) -> Bool {
        let utf8 = token.utf8
        return utf8.count == 67 && token.hasPrefix("mm_")
            && utf8.dropFirst(3).allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }
}

extension Optional where Wrapped == PostgresRow {
    func orNotFound(_ what: String) throws(RecordError) -> PostgresRow {
        guard let self else { throw RecordError(.notFound, field: nil, "no such \(what)") }
        return self
    }
}
