import BlockingIO
import Foundation
import ArgumentParser
import JSONSupport
import Logging
import PlatformRuntime
import Records

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

    /// Records what a command changed in the audit log, as the API does for its writes: the actor
    /// is `cli` with the operating-system user who ran it (no platform user is signed in). The
    /// change is done by then, so a failure here is a warning, never an error that would keep the
    /// command from printing what it made (a new key, a token).
    static func audit(_ resources: PlatformResources, _ action: String, resource: String, _ details: [String: JSONValue]) async {
        let osUser = ProcessInfo.processInfo.environment["USER"].flatMap { User.isValidUsername($0) ? $0 : nil } ?? "?"
        do {
            _ = try await AuditLogRepository(database: resources.postgres).record(
                userId: nil, actor: "cli:\(osUser)", action: action, resourceType: String(action.prefix { $0 != "." }),
                resourceId: resource, outcome: .success, clientAddress: "local", details: .object(details))
        } catch {
            FileHandle.standardError.write(Data("warning: \(action) is done, but its audit entry could not be written: \(error)\n".utf8))
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
