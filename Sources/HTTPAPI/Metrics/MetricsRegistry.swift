import Foundation
import Synchronization

/// In-process counters and histograms, rendered in the Prometheus text format. Label values are
/// bounded by construction (queue names, job names, results, route templates, methods).
public final class MetricsRegistry: Sendable {
    /// Seconds; from a tenth of a second up to four hours, to fit backups as well as API calls.
    public static let durationBuckets: [Double] = [0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14400]

    struct Histogram {
        var buckets: [Int]
        var sum: Double = 0
        var count: Int = 0
    }

    private struct State {
        var counters: [String: [[String]: Double]] = [:]
        var histograms: [String: [[String]: Histogram]] = [:]
    }

    private let state = Mutex(State())
    private let definitions: [String: (help: String, labels: [String], kind: String)]

    public init() {
        definitions = [
            "medicineman_jobs_finished_total": ("Jobs this process finished, by queue, job name and result.", ["queue", "name", "result"], "counter"),
            "medicineman_stalled_jobs_total": ("Jobs this process's stalled checks moved back to wait.", ["queue"], "counter"),
            "medicineman_job_run_duration_seconds": ("Run time of job attempts in this process.", ["queue", "name"], "histogram"),
            "medicineman_http_requests_total": ("HTTP requests by method, route template and status class.", ["method", "route", "status"], "counter"),
            "medicineman_http_request_duration_seconds": ("HTTP request duration by method and route template.", ["method", "route"], "histogram"),
        ]
    }

    public func increment(_ name: String, _ labels: [String], by value: Double = 1) {
        state.withLock { $0.counters[name, default: [:]][labels, default: 0] += value }
    }

    public func observe(_ name: String, _ labels: [String], _ value: Double) {
        state.withLock { state in
            var histogram = state.histograms[name]?[labels] ?? Histogram(buckets: Array(repeating: 0, count: Self.durationBuckets.count))
            for (index, bound) in Self.durationBuckets.enumerated() where value <= bound { histogram.buckets[index] += 1 }
            histogram.sum += value
            histogram.count += 1
            state.histograms[name, default: [:]][labels] = histogram
        }
    }

    /// The counters and histograms, every defined family present even when empty.
    public func render(into output: inout String) {
        let snapshot = state.withLock { $0 }
        for name in definitions.keys.sorted() {
            guard let definition = definitions[name] else { continue }
            output += "# HELP \(name) \(definition.help)\n# TYPE \(name) \(definition.kind)\n"
            if definition.kind == "counter" {
                for (labels, value) in (snapshot.counters[name] ?? [:]).sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                    output += "\(name)\(PrometheusText.labels(definition.labels, labels)) \(PrometheusText.number(value))\n"
                }
            } else {
                for (labels, histogram) in (snapshot.histograms[name] ?? [:]).sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                    for (index, bound) in Self.durationBuckets.enumerated() {
                        output += "\(name)_bucket\(PrometheusText.labels(definition.labels + ["le"], labels + [PrometheusText.number(bound)])) \(histogram.buckets[index])\n"
                    }
                    output += "\(name)_bucket\(PrometheusText.labels(definition.labels + ["le"], labels + ["+Inf"])) \(histogram.count)\n"
                    output += "\(name)_sum\(PrometheusText.labels(definition.labels, labels)) \(PrometheusText.number(histogram.sum))\n"
                    output += "\(name)_count\(PrometheusText.labels(definition.labels, labels)) \(histogram.count)\n"
                }
            }
        }
    }
}

/// Text-format helpers.
enum PrometheusText {
    static func labels(_ names: [String], _ values: [String]) -> String {
        guard !names.isEmpty else { return "" }
        let pairs = zip(names, values).map { "\($0)=\"\(escape($1))\"" }
        return "{" + pairs.joined(separator: ",") + "}"
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ value: Double) -> String {
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
