package import Foundation
import Crypto
import PostgresClient

extension UserRepository {
    /// The digests of the tokens that are neither revoked nor expired, all of them or those made at
    /// or after `since`, and the database's time of the read: what the API holds in memory to
    /// refuse made-up tokens without a lookup each.
    package func liveTokenDigests(createdSince since: Date?) async throws(RecordError) -> (digests: [String], readAt: Date) {
        var sql = """
            SELECT statement_timestamp() AS read_at, coalesce(string_agg(token_hash, ','), '') AS digests FROM api_tokens
            WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
            """
        if since != nil { sql += " AND created_at >= $1" }
        return try await recording {
            let row = try await database.query(sql, since.map { [$0] } ?? []).first.orNotFound("token digests")
            let digests: String = try row.decode("digests")
            return (digests.split(separator: ",").map(String.init), try row.decode("read_at"))
        }
    }

    /// What is stored for `token`: its SHA-256 in lowercase hex.
    package static func tokenDigest(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Array(token.utf8)))
    }
}
