import Foundation
import JobQueue
import Logging
import ServiceLifecycle

/// What the periodic services share: a pass every `interval` until shutdown, the clock each pass
/// reads (injectable for tests), and a log that reports a failure repeating every pass only once
/// in a while (`failureLogInterval`, by default four intervals and at least a minute).
package struct PeriodicDuty: Sendable {
    /// How the log names the service ("backup scheduler").
    let name: String
    let interval: Duration
    let clock: @Sendable () -> Date
    let failures: RepeatingErrorLog

    let logger: Logger

    init(_ name: String, interval: Duration, clock: @escaping @Sendable () -> Date, logger: Logger, failureLogInterval: Duration? = nil) {
        self.name = name
        self.interval = interval
        self.logger = logger
        self.clock = clock
        failures = RepeatingErrorLog(logger: logger, interval: failureLogInterval ?? max(.seconds(60), interval * 4))
    }

    /// Runs `pass` with the clock's time every `interval` until the service group shuts down (the
    /// sleep ends early then).
    func run(_ pass: (Date) async -> Void) async {
        logger.info("\(name) started", metadata: ["interval": "\(interval)"])
        defer { logger.info("\(name) stopped") }
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            await pass(clock())
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
