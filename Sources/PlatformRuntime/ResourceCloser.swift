import ServiceLifecycle

/// Closes the shared pools when the service group shuts down. It is listed first in the group,
/// so it is told last, after the services that use the pools have stopped.
struct ResourceCloser: Service {
    let resources: PlatformResources

    func run() async throws {
        try? await gracefulShutdown()
        await resources.close()
    }
}
