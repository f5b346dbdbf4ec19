@testable import APIClient
import Foundation
import Testing

/// The CLI's saved login: its token goes only to the URL it was saved for, and writing it never
/// follows a link planted at its path or into a folder others may change.
@Suite struct ClientCredentialsTests {
    @Test func theSavedTokenGoesOnlyToItsOwnOrigin() {
        let saved = ClientCredentials(url: "https://mm.example.com", token: "mm_saved")
        for same in ["https://mm.example.com", "https://MM.example.com:443/", "https://mm.example.com/api"] {
            #expect(saved.token(for: same) == "mm_saved", "\(same)")
        }
        for other in [
            "https://other.example", "http://mm.example.com", "https://mm.example.com:8443", "https://mm.example.com.evil.example",
            "https://evil.example/?u=https://mm.example.com", "not a url", "",
        ] {
            #expect(saved.token(for: other) == nil, "\(other)")
        }
        #expect(ClientCredentials(url: "http://127.0.0.1:3000", token: "t").token(for: "http://127.0.0.1:3000/") == "t")
    }

    @Test func savingReplacesALinkAtThePathInsteadOfFollowingIt() throws {
        let folder = NSTemporaryDirectory() + "mm-credentials-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/medicineman", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let victim = folder + "/victim"
        try Data("untouched".utf8).write(to: URL(fileURLWithPath: victim))
        let path = folder + "/medicineman/credentials"
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: victim)

        try ClientCredentials(url: "https://mm.example.com", token: "mm_secret").save(to: path)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "untouched")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect(attributes[.type] as? FileAttributeType == .typeRegular)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(ClientCredentials.load(from: path)?.token == "mm_secret")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/medicineman") == ["credentials"], "no temporary file left")
    }

    @Test func aFolderOthersMayWriteIsRefused() throws {
        let folder = NSTemporaryDirectory() + "mm-credentials-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        chmod(folder, 0o777)
        #expect(throws: ClientError.self) { try ClientCredentials(url: "https://mm.example.com", token: "mm_secret").save(to: folder + "/credentials") }
        #expect(!FileManager.default.fileExists(atPath: folder + "/credentials"))
    }
}
