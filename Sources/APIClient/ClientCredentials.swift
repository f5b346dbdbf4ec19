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

    /// Writes the file with mode 0600 from the start (never readable by others, not even briefly).
    package func save(to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var object: [String: JSONValue] = ["url": .string(url), "token": .string(token)]
        if let expiresAt { object["expiresAt"] = .double(expiresAt.timeIntervalSince1970) }
        let data = Data(JSONValue.object(object).jsonText.utf8)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw ClientError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        fchmod(descriptor, 0o600)
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count else { throw ClientError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }
}
