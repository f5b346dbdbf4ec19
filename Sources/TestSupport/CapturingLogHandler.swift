package import Logging

/// Hands every line a logger writes to `sink`, as "level message key=value …" (metadata sorted),
/// so tests can check what is logged, how often, and that no secret is.
package struct CapturingLogHandler: LogHandler {
    let sink: @Sendable (String) -> Void
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .trace

    package init(_ sink: @escaping @Sendable (String) -> Void) {
        self.sink = sink
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        let fields = metadata.merging(event.metadata ?? [:]) { $1 }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        sink("\(event.level) \(event.message) \(fields.joined(separator: " "))")
    }
}
