import ErrorCodes
package import Logging

/// Passes every entry on to `base` with control characters shown as escapes in its message,
/// metadata (its own, the call's and the metadata provider's) and error, line feeds included: a
/// job name from another producer or a remote command's output in a log entry can neither end
/// the line to forge the next one nor drive the terminal that shows the log.
package struct VisibleControlsLogHandler: LogHandler {
    package var base: any LogHandler

    package init(_ base: any LogHandler) {
        self.base = base
        if let provider = base.metadataProvider { self.base.metadataProvider = Self.visible(provider) }
    }

    package var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    package var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue.map(Self.visible) }
    }

    package var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = Self.visible(newValue) }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key.withVisibleControls()] = newValue.map(Self.visible) }
    }

    package func log(event: LogEvent) {
        var event = event
        event.message = "\(event.message.description.withVisibleControls())"
        // The base would print the error as it is; it goes in as escaped metadata instead.
        if let error = event.error {
            event.metadata = (event.metadata ?? [:]).merging(["error.message": "\(error)", "error.type": "\(String(reflecting: type(of: error)))"]) { $1 }
            event.error = nil
        }
        event.metadata = event.metadata.map(Self.visible)
        base.log(event: event)
    }

    static func visible(_ metadata: Logger.Metadata) -> Logger.Metadata {
        Dictionary(metadata.map { ($0.key.withVisibleControls(), visible($0.value)) }, uniquingKeysWith: { first, _ in first })
    }

    static func visible(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(text.withVisibleControls())
        case .stringConvertible(let value): .string(value.description.withVisibleControls())
        case .array(let values): .array(values.map(visible))
        case .dictionary(let values): .dictionary(values.mapValues(visible))
        }
    }

    static func visible(_ provider: Logger.MetadataProvider) -> Logger.MetadataProvider {
        Logger.MetadataProvider { visible(provider.get()) }
    }
}
