import Foundation
import Logging
import SSHClient
import TestSupport

/// The sshd test host from scripts/test.sh, with the given credentials.
func sshConfiguration(
    _ authentication: SSHAuthentication,
    hostKey: HostKeyPolicy? = nil,
    port: Int? = nil,
    connectTimeout: Duration = .seconds(10)
) throws -> SSHConfiguration {
    let pinned = try TestEnvironment.require("MM_TEST_SSH_FINGERPRINT")
    guard let testPort = Int(try TestEnvironment.require("MM_TEST_SSH_PORT")) else {
        throw TestEnvironment.Missing(name: "MM_TEST_SSH_PORT as a number")
    }
    return SSHConfiguration(
        host: try TestEnvironment.require("MM_TEST_SSH_HOST"),
        port: port ?? testPort,
        username: try TestEnvironment.require("MM_TEST_SSH_USER"),
        authentication: authentication,
        hostKey: hostKey ?? .pinned(pinned),
        connectTimeout: connectTimeout
    )
}

func testKey(_ name: String, passphrase: String? = nil) throws -> SSHAuthentication {
    let path = try TestEnvironment.require("MM_TEST_SSH_KEYS") + "/" + name
    return .privateKey(pem: try String(contentsOfFile: path, encoding: .utf8), passphrase: passphrase)
}

func connectWithDefaultKey() async throws -> SSHSession {
    try await SSHSession.connect(try sshConfiguration(try testKey("id_ed25519")), logger: testLogger())
}
