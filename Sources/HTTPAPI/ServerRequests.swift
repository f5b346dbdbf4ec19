import Foundation
import Records
import ServerJobs
import SSHClient

/// `POST /api/servers` body.
struct CreateServerRequest: Decodable, Sendable {
    var name: String
    var host: String
    var port: Int?
    var username: String
    var authType: String
    var credential: String
    var hostKeyFingerprint: String?
    var tags: [String]?
    var description: String?

    func validated() throws -> NewServer {
        NewServer(
            name: try ServerFieldRules.name(name), host: try ServerFieldRules.host(host), port: try ServerFieldRules.port(port ?? 22),
            username: try ServerFieldRules.username(username), authType: try ServerFieldRules.authType(authType),
            credential: try ServerFieldRules.credential(credential), hostKeyFingerprint: try hostKeyFingerprint.map(ServerFieldRules.hostKeyFingerprint),
            tags: try ServerFieldRules.tags(tags ?? []), description: description ?? "")
    }
}

/// `PATCH /api/servers/:id` body: every field optional, each held to the rules of `POST`.
struct UpdateServerRequest: Decodable, Sendable {
    var name: String?
    var host: String?
    var port: Int?
    var username: String?
    var authType: String?
    var credential: String?
    var tags: [String]?
    var description: String?
    /// Pins this key (after a reinstall, or for a password server's first contact).
    var hostKeyFingerprint: String?

    /// The body with every field given checked, and the auth type read.
    func validated() throws -> (request: Self, authType: ServerAuthType?) {
        var checked = self
        checked.name = try name.map(ServerFieldRules.name)
        checked.host = try host.map(ServerFieldRules.host)
        checked.port = try port.map(ServerFieldRules.port)
        checked.username = try username.map(ServerFieldRules.username)
        checked.credential = try credential.map(ServerFieldRules.credential)
        checked.tags = try tags.map(ServerFieldRules.tags)
        checked.hostKeyFingerprint = try hostKeyFingerprint.map(ServerFieldRules.hostKeyFingerprint)
        let kind = try authType.map(ServerFieldRules.authType)
        // A new kind of login needs its own credential: a key's text must never go out as a password.
        if kind != nil, credential == nil {
            throw APIError.validation("credential", "changing authType needs the credential of the new kind in the same request")
        }
        return (checked, kind)
    }
}

/// What a server's fields must be, alike when it is created and when it is changed; each rule
/// returns the value or throws the validation error that names the field.
enum ServerFieldRules {
    static func name(_ name: String) throws -> String {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 100 else { throw APIError.validation("name", "name must be 1 to 100 characters") }
        return name
    }

    static func host(_ host: String) throws -> String {
        guard HostAddress.isValid(host) else { throw APIError.validation("host", "host must be a hostname, IPv4 or IPv6 address") }
        return host
    }

    static func port(_ port: Int) throws -> Int {
        guard (1...65535).contains(port) else { throw APIError.validation("port", "port must be 1 to 65535") }
        return port
    }

    static func username(_ username: String) throws -> String {
        guard !username.isEmpty, username.count <= 32 else { throw APIError.validation("username", "username must be 1 to 32 characters") }
        return username
    }

    /// As `ssh-keygen -lf` prints it; normalised.
    static func hostKeyFingerprint(_ text: String) throws -> String {
        guard HostKeyFingerprint.isValid(text) else {
            throw APIError.validation("hostKeyFingerprint", "hostKeyFingerprint must look like SHA256:<43 base64 characters>")
        }
        return HostKeyFingerprint.normalize(text)
    }

    static func authType(_ text: String) throws -> ServerAuthType {
        guard let value = ServerAuthType(rawValue: text) else { throw APIError.validation("authType", "authType must be \"key\" or \"password\"") }
        return value
    }

    static func credential(_ credential: String) throws -> String {
        guard !credential.isEmpty, credential.utf8.count <= 16_384 else {
            throw APIError.validation("credential", "credential (password or private key) must be 1 to 16384 bytes")
        }
        return credential
    }

    static func tags(_ tags: [String]) throws -> [String] {
        guard tags.count <= 20, tags.allSatisfy({ !$0.isEmpty && $0.count <= 50 }) else {
            throw APIError.validation("tags", "up to 20 tags of 1 to 50 characters")
        }
        return tags
    }
}

/// `POST /api/servers/:id/backup` body.
struct BackupRequestBody: Decodable, Sendable {
    var paths: [String]
    var exclusions: [String]?
    var compression: String?
    var type: String?

    /// `type`: full (default) or incremental.
    func requestedType() throws -> BackupType {
        guard let type = BackupType(rawValue: self.type ?? "full") else { throw APIError.validation("type", "type must be full or incremental") }
        return type
    }

    func validated() throws -> (paths: [String], exclusions: [String], compression: Compression) {
        guard (1...100).contains(paths.count) else { throw APIError.validation("paths", "give 1 to 100 absolute paths") }
        for path in paths {
            do { try ShellArgument.validatePath(path, field: "paths") } catch { throw APIError.validation("paths", error.message) }
        }
        let exclusions = self.exclusions ?? []
        guard exclusions.count <= 100 else { throw APIError.validation("exclusions", "at most 100 exclusions") }
        for pattern in exclusions {
            do { try ShellArgument.validateText(pattern, field: "exclusions") } catch { throw APIError.validation("exclusions", error.message) }
        }
        guard let compression = Compression(rawValue: self.compression ?? "gzip") else {
            throw APIError.validation("compression", "compression must be gzip, zstd or none")
        }
        return (paths, exclusions, compression)
    }
}

struct ScanRequestBody: Decodable, Sendable {
    var scanType: String?
}

struct UpdateRequestBody: Decodable, Sendable {
    var mode: String?
}

/// What a job-starting route answers (202).
struct JobAccepted: Encodable, Sendable {
    var recordId: String
    var jobId: String

    init(recordId: UUID, jobId: String) {
        self.recordId = recordId.lowercasedString
        self.jobId = jobId
    }
}

/// What `POST /api/servers/:id/test` answers.
struct ConnectionTestResult: Encodable, Sendable {
    var reachable: Bool
    /// ok, auth_failed, host_key_mismatch, host_key_not_pinned, timeout, refused, unreachable or other.
    var outcome: String
    /// Why the connection failed, for a person to act on.
    var message: String?
    var hostKeyFingerprint: String?
    var pinned: Bool
}
