import Foundation
import Logging
import PlatformRuntime

/// Configuration and logging shared by the subcommands.
enum CommandEnvironment {
    /// Reads the configuration from the process environment and sets up logging once.
    static func load(label: String) throws -> (PlatformConfiguration, Logger) {
        let configuration = try PlatformConfiguration(environment: ProcessInfo.processInfo.environment)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        var logger = Logger(label: label)
        logger.logLevel = configuration.logLevel
        return (configuration, logger)
    }
}
