import ArgumentParser
import Hummingbird
import Logging

/// A Hummingbird hello-world on the same machine and build settings: the ceiling the API's
/// request rates are compared with (scripts/bench-api.sh runs both in one go).
struct HelloServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hello", abstract: "Serve GET / → \"Hello\" with Hummingbird (reference for wrk).")

    @Option(help: "Port to listen on (127.0.0.1).") var port = 3998

    func run() async throws {
        var logger = Logger(label: "bench.hello")
        logger.logLevel = .warning
        let router = Router()
        router.get("/") { _, _ in "Hello" }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        try await app.runService()
    }
}
