import ArgumentParser
import Logging
import PlatformRuntime

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Migrate the database, then serve the HTTP API until SIGTERM or SIGINT.",
        discussion: "Listens on HOST:PORT (default 127.0.0.1:3000): GET /health and GET /ready."
    )

    func run() async throws {
        let (configuration, logger) = try CommandEnvironment.load(label: "medicineman")
        do {
            try await PlatformServer(configuration: configuration, logger: logger).run()
        } catch {
            logger.critical("medicineman stopped", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }
}
