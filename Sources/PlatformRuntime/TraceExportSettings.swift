/// OTLP trace export, from the standard OpenTelemetry variables: `OTEL_EXPORTER_OTLP_ENDPOINT`
/// (the collector's base address; spans go to `<endpoint>/v1/traces`), `OTEL_EXPORTER_OTLP_PROTOCOL`
/// (`http/protobuf`, the default, or `http/json`) and `OTEL_SERVICE_NAME` (`medicineman`).
package struct TraceExportSettings: Sendable, Equatable {
    package enum WireFormat: String, Sendable {
        case protobuf = "http/protobuf"
        case json = "http/json"
    }

    /// The collector's base address, without the signal path.
    package var endpoint: String
    package var format: WireFormat
    package var serviceName: String

    package init(endpoint: String, format: WireFormat = .protobuf, serviceName: String = "medicineman") {
        self.endpoint = endpoint
        self.format = format
        self.serviceName = serviceName
    }

    /// Where spans are posted: OTLP/HTTP's signal path under the base address.
    package var tracesURL: String {
        endpoint.hasSuffix("/") ? endpoint + "v1/traces" : endpoint + "/v1/traces"
    }

    /// nil when `OTEL_EXPORTER_OTLP_ENDPOINT` is unset or empty: export is off.
    init?(environment: [String: String]) throws(ConfigurationError) {
        let variables = EnvironmentVariables(environment)
        guard let endpoint = variables["OTEL_EXPORTER_OTLP_ENDPOINT"] else { return nil }
        guard endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://"), !endpoint.contains(where: { $0.isWhitespace }) else {
            throw ConfigurationError(variable: "OTEL_EXPORTER_OTLP_ENDPOINT", "expected an http:// or https:// address, got '\(endpoint)'")
        }
        self.init(endpoint: endpoint)
        if let name = variables["OTEL_EXPORTER_OTLP_PROTOCOL"] {
            guard let format = WireFormat(rawValue: name) else {
                throw ConfigurationError(variable: "OTEL_EXPORTER_OTLP_PROTOCOL", "expected http/protobuf or http/json (grpc is not built in), got '\(name)'")
            }
            self.format = format
        }
        serviceName = variables["OTEL_SERVICE_NAME"] ?? serviceName
    }
}
