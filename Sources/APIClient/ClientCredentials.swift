package import Foundation
import JSONSupport

/// Where `medicineman login` keeps the platform's URL and a token: `~/.config/medicineman/
/// credentials` (or `$XDG_CONFIG_HOME/medicineman/credentials`), mode 0600 in a 0700 folder.
package struct ClientCredentials: Sendable, Equatable {
    package var url: String
    package var token: String
    /// When a session token expires; nil for API tokens.
    package var expiresAt: Date?

    package init(url: String, token: String, expiresAt: Date? = nil) {
        self.url = url
        self.token = token
        self.expiresAt = expiresAt
    }

    package static func path(environment: [String: String]) -> String {
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.config")
        return base + "/medicineman/credentials"
    }

    package static func load(from path: String) -> ClientCredentials? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), let object = try? JSONValue(jsonText: text),
            let url = object["url"]?.stringValue, let token = object["token"]?.stringValue
        else { return nil }
        let expiresAt = object["expiresAt"]?.doubleValue.map { Date(timeIntervalSince1970: $0) }
        return ClientCredentials(url: url, token: token, expiresAt: expiresAt)
    }

    /// The token saved for `url`: only when `url` has the saved login's origin (scheme, host,
    /// port), so pointing the client elsewhere (`--url`, `MEDICINEMAN_URL`) never sends it there.
    package func token(for url: String) -> String? {
        Self.origin(of: url).flatMap { $0 == Self.origin(of: self.url) ? token : nil }
    }

    /// Scheme, host and port of a URL, lowercased, the port filled in from the scheme.
    static func origin(of url: String) -> String? {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(), let host = parts.host?.lowercased(), !host.isEmpty
        else { return nil }
        guard let port = parts.port ?? ["http": 80, "https": 443][scheme] else { return nil }
        return "\(scheme)://\(host):\(port)"
    }

    /// Writes the file with mode 0600 from the start (never readable by others, not even briefly):
    /// a new file beside it, then renamed over it, so a link planted at the path is replaced, not
    /// followed. The folder must be the user's own and closed to others.
    package func save(to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var status = stat()
        guard lstat(folder, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else { throw ClientError("cannot write \(path): \(folder) is not a folder") }
        guard status.st_uid == getuid(), status.st_mode & 0o022 == 0 else {
            throw ClientError("cannot write \(path): \(folder) must belong to you and be closed to others (chmod 700 \(folder))")
        }
        var object: [String: JSONValue] = ["url": .string(url), "token": .string(token)]
        if let expiresAt { object["expiresAt"] = .double(expiresAt.timeIntervalSince1970) }
        let data = Data(JSONValue.object(object).jsonText.utf8)
        let temporary = path + ".new-\(getpid())"
        let failed = { ClientError("cannot write \(path): \(String(cString: strerror(errno)))") }
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failed() }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(descriptor) == 0 else {
            let error = failed()
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let error = failed()
            unlink(temporary)
            throw error
        }
    }
}
