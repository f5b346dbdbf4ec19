import ArgumentParser
import Foundation
import Logging
import SSHClient

/// The SSH host a backup benchmark works on (the sshd test host by default).
struct SSHTargetOptions: ParsableArguments {
    @Option(help: "SSH host.") var host = "127.0.0.1"
    @Option(help: "SSH port.") var port = 22
    @Option(help: "SSH user.") var user: String
    @Option(help: "Private key file (OpenSSH format).") var key: String

    /// A session to the host, trusting its key on first use; `algorithms` pins cipher and MAC.
    func connect(algorithms: SSHAlgorithms? = nil, logger: Logger) async throws -> SSHSession {
        let pem = try String(contentsOfFile: key, encoding: .utf8)
        return try await SSHSession.connect(
            SSHConfiguration(
                host: host, port: port, username: user, authentication: .privateKey(pem: pem), hostKey: .trustOnFirstUse, algorithms: algorithms),
            logger: logger)
    }
}
