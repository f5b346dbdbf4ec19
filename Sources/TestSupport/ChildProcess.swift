import Foundation

/// A helper process of a test (the Python bullmq client, our bench worker), with its output in
/// temporary files so nothing holds the test runner's pipes.
package final class ChildProcess: @unchecked Sendable {
    // @unchecked: Process is not Sendable; this wrapper only starts, polls and signals it.
    private let process = Process()
    package let outputPath: String
    package let errorPath: String

    package struct Failure: Error, CustomStringConvertible {
        package let description: String
        package init(description: String) { self.description = description }
    }

    package init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        let directory = NSTemporaryDirectory()
        let stem = TestEnvironment.uniqueName("child")
        outputPath = directory + "/" + stem + ".out"
        errorPath = directory + "/" + stem + ".err"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        try process.run()
    }

    package var pid: Int32 { process.processIdentifier }
    package var isRunning: Bool { process.isRunning }
    package var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    package var errorOutput: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    package func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the exit (polling, so a stuck child cannot hang the suite) and returns the status.
    @discardableResult
    package func wait(timeout: Duration) async throws -> Int32 {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while process.isRunning {
            if clock.now >= deadline {
                signal(SIGKILL)
                throw Failure(description: "\(process.executableURL?.lastPathComponent ?? "child") did not exit within \(timeout); stderr: \(errorOutput.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    /// Runs to completion and returns stdout; a non-zero exit is an error carrying stderr.
    package static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> String {
        let child = try ChildProcess(executable, arguments, environment: environment)
        let status = try await child.wait(timeout: timeout)
        guard status == 0 else {
            throw Failure(description: "\(executable) \(arguments.prefix(5).joined(separator: " ")) exited \(status): \(child.errorOutput.suffix(3000))")
        }
        return child.output
    }
}
