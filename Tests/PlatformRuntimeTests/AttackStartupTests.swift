import Foundation
import Logging
import TestSupport
import Testing

/// A careless operator starts `medicineman` where it cannot work: the HTTP port is taken, or
/// Redis is unreachable. The process must say why once, not flood the log or spin the CPU, and
/// stop (by itself when it cannot serve, promptly on SIGTERM when it waits for Redis).
@Suite struct AttackStartupTests {
    /// A socket listening on a loopback port, holding it until closed.
    final class HeldPort {
        let descriptor: Int32
        let port: Int

        init() throws {
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let descriptor = self.descriptor
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, length) == 0 && listen(descriptor, 8) == 0 && getsockname(descriptor, $0, &length) == 0
                }
            }
            guard descriptor >= 0, bound else { throw CouldNotHoldAPort() }
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit { close(descriptor) }
    }

    struct CouldNotHoldAPort: Error {}

    func logLines(_ text: String) -> [Substring] {
        text.split(separator: "\n", omittingEmptySubsequences: true)
    }

    @Test(.exclusive) func servingOnATakenPortStopsAtOnceAndSaysWhyOnce() async throws {
        let logger = testLogger("test.startup", level: .critical)
        try await TestEnvironment.withScratchDatabaseURL(logger: logger) { databaseURL in
            let taken = try HeldPort()
            var environment = try PlatformProcess.environment(databaseURL: databaseURL)
            environment["PORT"] = String(taken.port)
            environment["LOG_LEVEL"] = "info"
            let child = try ChildProcess(try TestEnvironment.require("MM_TEST_MEDICINEMAN"), ["serve"], environment: environment)
            let status: Int32
            do {
                // Migrating a fresh database is most of this; the failure itself ends the process at once.
                status = try await child.wait(timeout: .seconds(30))
            } catch {
                Issue.record("serve kept running on a taken port; log lines so far: \(logLines(child.errorOutput).count)")
                throw error
            }
            let lines = logLines(child.errorOutput)
            #expect(status != 0)
            #expect(lines.count < 50, "\(lines.count) log lines; the last: \(lines.suffix(5).joined(separator: "\n"))")
            let bindErrors = lines.filter { $0.contains("Address already in use") }
            #expect(bindErrors.count == 1, "the bind error is logged once: \(child.errorOutput.suffix(2000))")
            _ = taken
        }
    }

    @Test(.exclusive) func aWorkerWithoutRedisLogsTheErrorRateLimitedAndStopsOnSIGTERM() async throws {
        let logger = testLogger("test.startup", level: .critical)
        try await TestEnvironment.withScratchDatabaseURL(logger: logger) { databaseURL in
            var environment = try PlatformProcess.environment(databaseURL: databaseURL)
            environment["REDIS_URL"] = "redis://127.0.0.1:\(try TestEnvironment.freePort())/0"  // nothing listens there
            environment["LOG_LEVEL"] = "info"
            environment["PORT"] = String(try TestEnvironment.freePort())  // the worker serves /health, /ready and /metrics
            let child = try ChildProcess(try TestEnvironment.require("MM_TEST_MEDICINEMAN"), ["worker"], environment: environment)
            _ = try await eventually(timeout: .seconds(60), every: .milliseconds(50)) {
                !child.isRunning || child.errorOutput.contains("fetching a job failed")
            }
            // Startup (migrations, one line per worker and duty) is logged by now; what follows is
            // the failing loops. Each worker retries its fetch every second: five seconds are five
            // attempts per queue, twenty lines more if each were logged.
            let startup = logLines(child.errorOutput).count
            try await Task.sleep(for: .seconds(5))
            let lines = logLines(child.errorOutput)
            child.signal(SIGTERM)
            let status = try await child.wait(timeout: .seconds(10))
            let fetchFailures = lines.filter { $0.contains("fetching a job failed") }
            // backup, scan and update queues, and notify-queue for webhook deliveries.
            #expect(fetchFailures.count >= 1 && fetchFailures.count <= 4, "one line per queue, then quiet: \(fetchFailures.count) lines")
            #expect(fetchFailures.allSatisfy { $0.contains("Connection refused") }, "the line says why")
            #expect(lines.count - startup < 20, "\(lines.count - startup) log lines in the five seconds after the first failure")
            #expect(status == 0, "SIGTERM stops the worker gracefully: \(child.errorOutput.suffix(1500))")
        }
    }
}
