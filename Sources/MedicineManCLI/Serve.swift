import ArgumentParser
import Logging
import PlatformRuntime

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Migrate the database, then serve the HTTP API and run the workers until SIGTERM or SIGINT.",
        discussion: "Listens on HOST:PORT (default 127.0.0.1:3000). `medicineman api` and `medicineman worker` run the two halves apart."
    )

    func run() async throws {
        try await PlatformCommand.run(PlatformServer.Roles())
    }
}
