public import Foundation
import PostgresClient

public enum UserRole: String, Sendable, Codable, CaseIterable, Comparable {
    case viewer, `operator`, admin

    /// viewer < operator < admin: a role may do everything the ones below it may.
    public static func < (lhs: UserRole, rhs: UserRole) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// A person who uses the platform. The password hash never leaves the repository in this type.
public struct User: Sendable, Codable, Equatable {
    /// Whether `name` has a username's shape (3 to 64 ASCII letters, digits, dots, dashes or
    /// underscores; the table's constraint): what has not cannot name anyone.
    public static func isValidUsername(_ name: String) -> Bool {
        (3...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }

    @LowercaseUUID public var id: UUID
    public var username: String
    public var email: String?
    public var role: UserRole
    public var active: Bool
    public var lockedUntil: Date?
    public var lastLoginAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
    /// Bumped when the password changes or the account is deactivated; sessions carry it, so older
    /// ones end. Not part of the API's JSON.
    public var sessionVersion: Int = 1

    static let columns = "id, username, email, role, active, locked_until, last_login_at, created_at, updated_at, session_version"

    enum CodingKeys: String, CodingKey {
        case id, username, email, role, active, lockedUntil, lastLoginAt, createdAt, updatedAt
    }

    init(row: PostgresRow) throws {
        self = try row.decodeRecord(Self.self)
        sessionVersion = try row.decodeIfPresent("session_version") ?? 1
    }
}

/// A named bearer token of a user; only the SHA-256 of the token is stored.
public struct APIToken: Sendable, Codable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var userId: UUID
    public var name: String
    /// The first characters of the token, so people can tell their tokens apart.
    public var displayPrefix: String
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var lastUsedAt: Date?
    public var createdAt: Date

    static let columns = "id, user_id, name, display_prefix, expires_at, revoked_at, last_used_at, created_at"
}

extension User: RowRecord {}

extension APIToken: RowRecord {}
