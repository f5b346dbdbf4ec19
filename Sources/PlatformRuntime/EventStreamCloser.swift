import HTTPAPI
import ServiceLifecycle

/// Ends the live event streams when the service group shuts down, so the HTTP server's graceful
/// shutdown does not wait up to an hour for them. Listed after the application, so it is told first.
struct EventStreamCloser: Service {
    let hub: JobEventHub

    func run() async throws {
        try? await gracefulShutdown()
        hub.shutdown()
    }
}
