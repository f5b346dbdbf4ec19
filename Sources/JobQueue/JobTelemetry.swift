public import Tracing

/// BullMQ v6's job telemetry (`opts.tm` and `opts.omc` as stored): the producer's trace context, so the worker's span joins the
/// trace that added the job. `metadata` is the propagation carrier serialized as a JSON object
/// (with W3C `traceparent`/`tracestate` under OpenTelemetry), as BullMQ's telemetry writes it.
public struct JobTelemetry: Sendable, Equatable {
    public var metadata: String?
    /// Set by a producer that did not want its context carried.
    public var omitContext: Bool?

    public init(metadata: String? = nil, omitContext: Bool? = nil) {
        self.metadata = metadata
        self.omitContext = omitContext
    }

    /// The context of the current task, serialized with `instrument`; nil when it carries nothing
    /// (no span, or the no-op tracer).
    public static func current(using instrument: any Instrument) -> JobTelemetry? {
        guard let context = ServiceContext.current else { return nil }
        var carrier: [String: String] = [:]
        instrument.inject(context, into: &carrier, using: DictionaryInjector())
        guard !carrier.isEmpty else { return nil }
        return JobTelemetry(metadata: JSONValue.object(carrier.mapValues { .string($0) }).jsonText)
    }

    /// The producer's context, read back with `instrument`; nil when there is none to follow.
    public func context(using instrument: any Instrument) -> ServiceContext? {
        guard omitContext != true, let metadata, let object = (try? JSONValue(jsonText: metadata))?.objectValue else { return nil }
        let carrier = object.compactMapValues(\.stringValue)
        guard !carrier.isEmpty else { return nil }
        var context = ServiceContext.topLevel
        instrument.extract(carrier, into: &context, using: DictionaryExtractor())
        return context
    }

    /// Reads the stored form: BullMQ v6 keeps `metadata` as `opts.tm` and `omitContext` as
    /// `opts.omc`; `metadata` may be the carrier's text or, from some telemetry versions, the
    /// carrier object itself. Nil when neither is there.
    init?(metadata: JSONValue?, omitContext: JSONValue?) {
        switch metadata {
        case .string(let text)?: self.metadata = text
        case .object(let carrier)?: self.metadata = JSONValue.object(carrier).jsonText
        default: self.metadata = nil
        }
        self.omitContext = omitContext?.boolValue
        if self.metadata == nil && self.omitContext == nil { return nil }
    }
}

struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}

struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key]
    }
}
