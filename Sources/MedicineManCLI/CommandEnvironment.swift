import BlockingIO
import Foundation
import ArgumentParser
import Logging
import PlatformRuntime

/// Configuration and logging shared by the subcommands.
enum CommandEnvironment {
    /// Reads the configuration from the process environment and sets up logging once.
    static func load(label: String) throws -> (PlatformConfiguration, Logger) {
        let configuration = try PlatformConfiguration(environment: ProcessInfo.processInfo.environment)
        LoggingSystem.bootstrap { label in
            var handler = VisibleControlsLogHandler(StreamLogHandler.standardError(label: label))
            handler.logLevel = configuration.logLevel
            return handler
        }
        var logger = Logger(label: label)
        logger.logLevel = configuration.logLevel
        return (configuration, logger)
    }

    /// Runs `body` with connections to the configured database, closed afterwards.
    static func withDatabase<Result: Sendable>(_ body: @Sendable (PlatformResources) async throws -> Result) async throws -> Result {
        let (configuration, logger) = try load(label: "medicineman.cli")
        let resources = try PlatformResources(configuration: configuration, logger: logger)
        return try await withCleanup {
            try await body(resources)
        } cleanup: {
            await resources.close()
        }
    }

    /// Reads one line from standard input (a secret that should not appear in the process list).
    static func readSecret(prompt: String) throws -> String {
        FileHandle.standardError.write(Data("\(prompt): ".utf8))
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw ValidationError("no \(prompt) given on standard input")
        }
        return line
    }
}
