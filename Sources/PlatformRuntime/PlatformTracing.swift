import OTel
import ServiceLifecycle
import Tracing

/// The process's tracer: swift-otel's, batching spans to the OTLP collector, when export is
/// configured; the no-op tracer otherwise, so untraced processes pay nothing.
enum PlatformTracing {
    /// The tracer and the service that exports its spans (run it in the service group, shut down
    /// last so the final batch is sent); no service when export is off.
    static func make(_ settings: TraceExportSettings?) throws -> (tracer: any Tracer, exporter: (any Service)?) {
        guard let settings else { return (NoOpTracer(), nil) }
        var configuration = OTel.Configuration.default
        configuration.serviceName = settings.serviceName
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.protocol = settings.format == .json ? .httpJSON : .httpProtobuf
        configuration.traces.otlpExporter.endpoint = settings.tracesURL
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        return (backend.factory, backend.service)
    }
}
