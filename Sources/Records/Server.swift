public import Foundation
import PostgresClient

public enum ServerAuthType: String, Sendable, Codable {
    case password, key
}

/// A machine the platform reaches over SSH. The credential is never part of this type.
public struct Server: Sendable, Codable, Equatable {
    @LowercaseUUID public var id: UUID
    public var name: String
    public var host: String
    public var port: Int
    public var username: String
    public var authType: ServerAuthType
    /// `SHA256:…` of the pinned host key; nil until first contact pins it.
    public var hostKeyFingerprint: String?
    public var tags: [String]
    public var description: String
    public var online: Bool?
    public var lastCheckedAt: Date?
    public var lastCheckError: String?
    public var createdAt: Date
    public var updatedAt: Date

    static let columns = """
        id, name, host, port, username, auth_type, host_key_fingerprint, tags, description, online, last_checked_at,
        last_check_error, created_at, updated_at
        """

    /// A new server as its row starts out (the fast test tier's stores make them); the credential stays out.
    public init(id: UUID = UUID(), _ new: NewServer, at date: Date = Date()) {
        self.id = id
        name = new.name
        host = new.host
        port = new.port
        username = new.username
        authType = new.authType
        hostKeyFingerprint = new.hostKeyFingerprint
        tags = new.tags
        description = new.description
        createdAt = date
        updatedAt = date
    }
}

/// What a new server needs; `credential` is the password or the private key (PEM) in plaintext,
/// sealed by the vault before it is stored.
public struct NewServer: Sendable {
    public var name: String
    public var host: String
    public var port: Int
    public var username: String
    public var authType: ServerAuthType
    public var credential: String
    public var hostKeyFingerprint: String?
    public var tags: [String]
    public var description: String

    public init(
        name: String, host: String, port: Int = 22, username: String, authType: ServerAuthType, credential: String,
        hostKeyFingerprint: String? = nil, tags: [String] = [], description: String = ""
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.username = username
        self.authType = authType
        self.credential = credential
        self.hostKeyFingerprint = hostKeyFingerprint
        self.tags = tags
        self.description = description
    }
}

/// A server's credential, opened for the SSH client. Its description never shows the secret.
public struct ServerCredential: Sendable, CustomStringConvertible, CustomReflectable {
    public let authType: ServerAuthType
    public let secret: String
    public var description: String { "ServerCredential(\(authType.rawValue), ***)" }
    /// `dump` and debuggers see the description, not the secret.
    public var customMirror: Mirror { Mirror(self, children: ["authType": authType, "secret": "***"]) }

    public init(authType: ServerAuthType, secret: String) {
        self.authType = authType
        self.secret = secret
    }
}

/// A server's credential as its row keeps it, sealed; `ServerStore.open` opens it, for the SSH
/// client only.
public struct StoredCredential: Sendable {
    public let authType: ServerAuthType
    public let sealed: SealedCredential

    public init(authType: ServerAuthType, sealed: SealedCredential) {
        self.authType = authType
        self.sealed = sealed
    }
}

/// A server and its sealed credential, read together: what a job attempt connects with.
public struct ConnectableServer: Sendable {
    public let server: Server
    public let credential: StoredCredential

    public init(server: Server, credential: StoredCredential) {
        self.server = server
        self.credential = credential
    }
}

extension Server: RowRecord {}
