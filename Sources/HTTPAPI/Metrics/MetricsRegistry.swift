import Foundation
import Synchronization

/// In-process counters and histograms, rendered in the Prometheus text format. Label values are
/// bounded by construction (queue names, job names, results, route templates, methods).
public final class MetricsRegistry: Sendable {
    /// Seconds; from a tenth of a second up to four hours, to fit backups as well as quick scans.
    public static let jobBuckets: [Double] = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14400]
    /// Seconds; the usual buckets of a network service, for HTTP requests.
    public static let requestBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct Histogram {
        var buckets: [Int]
        var sum: Double = 0
        var count: Int = 0
    }

    private struct State {
        var counters: [String: [[String]: Double]] = [:]
        var histograms: [String: [[String]: Histogram]] = [:]
        var gauges: [String: [[String]: Double]] = [:]
    }

    private let state = Mutex(State())
    private let definitions: [String: (help: String, labels: [String], kind: String)]
    private let buckets: [String: [Double]] = [
        "medicineman_job_run_duration_seconds": jobBuckets,
        "medicineman_job_wait_duration_seconds": jobBuckets,
        "medicineman_http_request_duration_seconds": requestBuckets,
    ]

    public init() {
        definitions = [
            "medicineman_jobs_finished_total": ("Jobs this process finished, by queue, job name and result.", ["queue", "name", "result"], "counter"),
            "medicineman_stalled_jobs_total": ("Jobs this process's stalled checks moved back to wait.", ["queue"], "counter"),
            "medicineman_job_run_duration_seconds": ("Run time of job attempts in this process.", ["queue", "name"], "histogram"),
            "medicineman_job_wait_duration_seconds": ("Time jobs waited between becoming due and their first attempt.", ["queue", "name"], "histogram"),
            "medicineman_jobs_enqueued_total": ("Jobs this process added, by queue and job name.", ["queue", "name"], "counter"),
            "medicineman_worker_active_jobs": ("Jobs this process is running now, by queue.", ["queue"], "gauge"),
            "medicineman_worker_concurrency": ("Jobs this process may run at once, by queue.", ["queue"], "gauge"),
            "medicineman_ssh_connections_total": ("SSH connection attempts by outcome.", ["outcome"], "counter"),
            "medicineman_webhook_deliveries_total": ("Webhook delivery attempts by event and result (delivered, retried, failed, refused).",
                                                     ["event", "result"], "counter"),
            "medicineman_http_requests_total": ("HTTP requests by method, route template and status class.", ["method", "route", "status"], "counter"),
            "medicineman_http_request_duration_seconds": ("HTTP request duration by method and route template.", ["method", "route"], "histogram"),
        ]
        seedServerJobSeries()
        seedWebhookSeries()
    }

    public func increment(_ name: String, _ labels: [String], by value: Double = 1) {
        state.withLock { $0.counters[name, default: [:]][labels, default: 0] += value }
    }

    public func setGauge(_ name: String, _ labels: [String], _ value: Double) {
        state.withLock { $0.gauges[name, default: [:]][labels] = value }
    }

    public func addToGauge(_ name: String, _ labels: [String], _ delta: Double) {
        state.withLock { $0.gauges[name, default: [:]][labels, default: 0] += delta }
    }

    public func observe(_ name: String, _ labels: [String], _ value: Double) {
        let bounds = buckets[name] ?? Self.jobBuckets
        state.withLock { state in
            var histogram = state.histograms[name]?[labels] ?? Histogram(buckets: Array(repeating: 0, count: bounds.count))
            for (index, bound) in bounds.enumerated() where value <= bound { histogram.buckets[index] += 1 }
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
            if definition.kind != "histogram" {
                let values = definition.kind == "counter" ? snapshot.counters[name] : snapshot.gauges[name]
                for (labels, value) in (values ?? [:]).sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                    output += "\(name)\(PrometheusText.labels(definition.labels, labels)) \(PrometheusText.number(value))\n"
                }
            } else {
                for (labels, histogram) in (snapshot.histograms[name] ?? [:]).sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                    for (index, bound) in (buckets[name] ?? Self.jobBuckets).enumerated() {
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
