import Foundation

/// Reads the settings `scripts/test.sh` exports for the services it started.
///
/// A missing setting is a failure with instructions, never a skip: the suite runs against real
/// servers or not at all.
package enum TestEnvironment {
    package struct Missing: Error, CustomStringConvertible {
        package let name: String
        package init(name: String) { self.name = name }
        package var description: String {
            "\(name) is not set: these tests need the Redis, PostgreSQL and sshd that scripts/test.sh starts. Run scripts/test.sh (or source .local/test/env.sh after scripts/test.sh --services-only)."
        }
    }

    package static func require(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw Missing(name: name)
        }
        return value
    }

    /// A name no other test uses, for keys, queues and databases.
    package static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UInt64.random(in: 0...UInt64.max) & 0xffff_ffff_ffff)"
    }

    /// Runs `scripts/services.sh` (to stop or restart a spare server) and waits for it.
    package static func services(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [try require("MM_TEST_SERVICES")] + arguments
        // A daemon started here must not inherit the test runner's output pipes: it would hold
        // them open and `swift test` would wait for it forever.
        let log = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("medicineman-services.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Missing(name: "services.sh \(arguments.joined(separator: " ")) exited \(process.terminationStatus); see \(log.path)")
        }
    }

    /// Resident memory of this process, from /proc.
    package static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return digits * 1024
        }
        return 0
    }
}
