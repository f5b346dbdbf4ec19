import ArgumentParser
import BlockingIO
import Logging
import PlatformRuntime
import PostgresClient

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending database migrations (from MIGRATIONS_DIR, default ./migrations).",
        discussion: "Safe to run from several machines at once: runners take turns through an advisory lock."
    )

    @Flag(help: "Show which migrations are applied and which are pending; change nothing (exit 3 when any is pending).")
    var status = false

    func run() async throws {
        let (configuration, logger) = try CommandEnvironment.load(label: "medicineman.migrate")
        let resources = try PlatformResources(configuration: configuration, logger: logger)
        let isCurrent: Bool
        do {
            isCurrent = try await withCleanup {
                try await status ? report(resources) : apply(resources)
            } cleanup: {
                await resources.close()
            }
        } catch {
            logger.error("migration failed", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
        if !isCurrent { throw ExitCode(3) }
    }

    /// Prints the status; returns whether the schema is current.
    private func report(_ resources: PlatformResources) async throws -> Bool {
        let report = try await resources.postgres.withConnection { try await resources.migrations.status(on: $0) }
        print("applied: \(report.applied.isEmpty ? "none" : report.applied.map(String.init).joined(separator: ", "))")
        print("pending: \(report.pending.isEmpty ? "none" : report.pending.map { "\($0.version)_\($0.name)" }.joined(separator: ", "))")
        return report.isCurrent
    }

    private func apply(_ resources: PlatformResources) async throws -> Bool {
        let applied = try await resources.migrate(logger: Logger(label: "medicineman.migrate"))
        print(applied.isEmpty ? "database is up to date" : "applied: \(applied.map { "\($0.version)_\($0.name)" }.joined(separator: ", "))")
        return true
    }
}
