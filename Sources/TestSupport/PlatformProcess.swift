import Foundation

/// A `medicineman` process of a test, on the test services, its own scratch database (given by
/// the caller), its own queue prefix and backup directory, and a free port.
package final class PlatformProcess: Sendable {
    package let port: Int
    package let environment: [String: String]
    package let child: ChildProcess
    package var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Settings for a process; start several with the same settings to run them side by side.
    package static func environment(
        databaseURL: String, queuePrefix: String = TestEnvironment.uniqueName("mmproc"),
        backupDirectory: String? = nil
    ) throws -> [String: String] {
        let backups = backupDirectory ?? NSTemporaryDirectory() + "/" + TestEnvironment.uniqueName("backups")
        try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
        return [
            "DATABASE_URL": databaseURL, "REDIS_URL": try TestEnvironment.require("MM_TEST_REDIS_URL"), "HOST": "127.0.0.1",
            "ENCRYPTION_KEY": String(repeating: "5a", count: 32), "QUEUE_PREFIX": queuePrefix, "BACKUP_DIR": backups,
            "MIGRATIONS_DIR": try TestEnvironment.require("MM_TEST_ROOT") + "/migrations", "LOG_LEVEL": "warning",
            // Limits raised so tests (and schemathesis) are never answered 429.
            "WRITE_LIMIT_PER_MINUTE": "100000", "LOGIN_LIMIT_PER_MINUTE": "100000", "LOGIN_LIMIT_PER_USERNAME_PER_MINUTE": "100000",
        ]
    }

    /// Starts `medicineman <arguments>` and waits until `/ready` answers 200.
    package init(_ arguments: [String] = ["serve"], environment: [String: String], readyWithin: Duration = .seconds(60)) async throws {
        port = try TestEnvironment.freePort()
        var environment = environment
        environment["PORT"] = String(port)
        self.environment = environment
        child = try ChildProcess(try TestEnvironment.require("MM_TEST_MEDICINEMAN"), arguments, environment: environment)
        let deadline = ContinuousClock.now + readyWithin
        while (try? await ChildProcess.run("/usr/bin/curl", ["-fsS", "-o", "/dev/null", baseURL + "/ready"], timeout: .seconds(5))) == nil {
            guard child.isRunning, ContinuousClock.now < deadline else {
                child.signal(SIGKILL)
                throw ChildProcess.Failure(description: "medicineman did not become ready: \(child.errorOutput.suffix(3000))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Runs a one-off `medicineman` command (e.g. `token create`) with this process's settings.
    package static func command(_ arguments: [String], environment: [String: String]) async throws -> String {
        try await ChildProcess.run(try TestEnvironment.require("MM_TEST_MEDICINEMAN"), arguments, environment: environment)
    }

    /// Starts `medicineman <arguments>`, runs `body` with it, then stops it gracefully and returns
    /// its exit status; kills it when `body` throws.
    @discardableResult
    package static func run(
        _ arguments: [String] = ["serve"], environment: [String: String], _ body: (PlatformProcess) async throws -> Void
    ) async throws -> Int32 {
        let process = try await PlatformProcess(arguments, environment: environment)
        do {
            try await body(process)
        } catch {
            try? await process.kill()
            throw error
        }
        return try await process.stop()
    }

    /// Creates a user with the CLI, as an operator would.
    package static func createUser(_ username: String, role: String, password: String, environment: [String: String]) async throws {
        _ = try await command(["user", "create", "--username", username, "--password", password, "--role", role], environment: environment)
    }

    /// Creates an API token for `username` with the CLI and returns it.
    package static func createToken(for username: String, name: String, environment: [String: String]) async throws -> String {
        try await command(["token", "create", "--username", username, "--name", name], environment: environment).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// SIGTERM, then waits for the graceful exit.
    @discardableResult
    package func stop(timeout: Duration = .seconds(30)) async throws -> Int32 {
        child.signal(SIGTERM)
        return try await child.wait(timeout: timeout)
    }

    /// SIGKILL: the process dies mid-whatever, as in a crash.
    package func kill() async throws {
        child.signal(SIGKILL)
        _ = try await child.wait(timeout: .seconds(10))
    }
}

extension TestEnvironment {
    /// A TCP port nothing listens on right now (the kernel's pick).
    package static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ChildProcess.Failure(description: "no socket for finding a free port") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else { throw ChildProcess.Failure(description: "could not bind a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
