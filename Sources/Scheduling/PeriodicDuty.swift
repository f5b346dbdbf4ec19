import ServiceLifecycle

/// Runs `body` every `interval` until the service group shuts down (the sleep ends early then).
func repeatUntilShutdown(every interval: Duration, _ body: () async -> Void) async {
    while !Task.isCancelled, !Task.isShuttingDownGracefully {
        await body()
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
    }
}
