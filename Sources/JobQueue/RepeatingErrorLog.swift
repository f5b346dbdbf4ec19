public import Logging
import Synchronization

/// Logs the failures of a retry loop without flooding the log: a failure is logged the first
/// time, then at most once per `interval` with the number of identical repeats left out since
/// the line before. A dependency that stays down costs a line per interval, not one per attempt.
/// Failures are told apart by message and error text, so a new kind of failure shows at once.
public final class RepeatingErrorLog: Sendable {
    private struct Entry {
        var loggedAt: ContinuousClock.Instant
        var suppressed: Int
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// A failure was logged since the last success.
        var failing = false
    }

    /// Distinct failures remembered at once; the oldest is forgotten beyond this.
    static let maximumKinds = 32

    public let interval: Duration
    private let logger: Logger
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state = Mutex(State())

    public init(logger: Logger, interval: Duration = .seconds(30), now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.logger = logger
        self.interval = interval
        self.now = now
    }

    /// Logs `message` with `error` unless the same failure was logged less than `interval` ago.
    /// Returns whether it was logged.
    @discardableResult
    public func failed(
        _ message: Logger.Message, error: any Error, level: Logger.Level = .error, metadata: Logger.Metadata = [:],
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) -> Bool {
        let text = "\(error)"
        let key = "\(message)\u{1F}\(text)"
        let instant = now()
        let interval = self.interval
        let suppressed = state.withLock { state -> Int? in
            state.failing = true
            if let entry = state.entries[key], entry.loggedAt.duration(to: instant) < interval {
                state.entries[key]?.suppressed += 1
                return nil
            }
            let repeats = state.entries[key]?.suppressed ?? 0
            state.entries[key] = Entry(loggedAt: instant, suppressed: 0)
            if state.entries.count > Self.maximumKinds, let oldest = state.entries.min(by: { $0.value.loggedAt < $1.value.loggedAt })?.key {
                state.entries[oldest] = nil
            }
            return repeats
        }
        guard let suppressed else { return false }
        var metadata = metadata
        metadata["error"] = "\(text)"
        if suppressed > 0 { metadata["suppressed_repeats"] = "\(suppressed)" }
        logger.log(level: level, message, metadata: metadata, file: file, function: function, line: line)
        return true
    }

    /// The operation works again: forgets the failures (the next one is logged at once) and, when
    /// any was logged, says so once.
    public func succeeded(
        _ message: @autoclosure () -> Logger.Message, metadata: Logger.Metadata = [:],
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        let wasFailing = state.withLock { state -> Bool in
            guard state.failing else { return false }
            state.failing = false
            state.entries.removeAll()
            return true
        }
        if wasFailing { logger.log(level: .notice, message(), metadata: metadata, file: file, function: function, line: line) }
    }
}
