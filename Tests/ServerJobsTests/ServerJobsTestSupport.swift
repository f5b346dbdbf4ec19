import Foundation
import Logging
import ServerJobs
import SSHClient
import TestSupport

func testSSHConfiguration() throws -> SSHConfiguration {
    let keys = try TestEnvironment.require("MM_TEST_SSH_KEYS")
    return SSHConfiguration(
        host: try TestEnvironment.require("MM_TEST_SSH_HOST"), port: Int(try TestEnvironment.require("MM_TEST_SSH_PORT")) ?? 22,
        username: try TestEnvironment.require("MM_TEST_SSH_USER"),
        authentication: .privateKey(pem: try String(contentsOfFile: keys + "/id_ed25519", encoding: .utf8)),
        hostKey: .pinned(try TestEnvironment.require("MM_TEST_SSH_FINGERPRINT")))
}

func connectTestHost() async throws -> SSHSession {
    try await SSHSession.connect(try testSSHConfiguration(), logger: testLogger())
}

/// A scratch directory for archives.
func temporaryStorage() throws -> String {
    let path = NSTemporaryDirectory() + "/" + TestEnvironment.uniqueName("mm-backups")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
