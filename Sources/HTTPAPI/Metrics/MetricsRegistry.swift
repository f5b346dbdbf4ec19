package import CoreMetrics
import Foundation
package import Prometheus

/// The process's metrics: swift-metrics in front, a Prometheus collector registry behind.
/// Components are given `factory` and make their `Counter`s, `Timer`s and `Meter`s with it (no
/// global bootstrap, so every app a test builds keeps its own figures); `/metrics` renders the
/// registry. The catalogue below names every metric's help text and histogram buckets once, so
/// the exposition keeps the `# HELP` lines promtool wants and the buckets dashboards were built on.
package final class MetricsRegistry: Sendable {
    /// From a tenth of a second up to four hours, to fit backups as well as quick scans.
    package static let jobBuckets: [Duration] = [
        .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(15), .seconds(60), .seconds(300),
        .seconds(900), .seconds(1800), .seconds(3600), .seconds(7200), .seconds(14400),
    ]
    /// The usual buckets of a network service, for HTTP requests.
    package static let requestBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    /// Help text and (for histograms) buckets of one metric.
    package struct Definition: Sendable {
        package var help: String
        package var buckets: [Duration]

        package init(_ help: String, buckets: [Duration] = MetricsRegistry.jobBuckets) {
            self.help = help
            self.buckets = buckets
        }
    }

    package static let catalogue: [String: Definition] = [
        "medicineman_jobs_finished_total": Definition("Jobs this process finished, by queue, job name and result."),
        "medicineman_stalled_jobs_total": Definition("Jobs this process's stalled checks moved back to wait."),
        "medicineman_job_run_duration_seconds": Definition("Run time of job attempts in this process."),
        "medicineman_job_wait_duration_seconds": Definition("Time jobs waited between becoming due and their first attempt."),
        "medicineman_jobs_enqueued_total": Definition("Jobs this process added, by queue and job name."),
        "medicineman_worker_active_jobs": Definition("Jobs this process is running now, by queue."),
        "medicineman_worker_concurrency": Definition("Jobs this process may run at once, by queue."),
        "medicineman_ssh_connections_total": Definition("SSH connection attempts by outcome."),
        "medicineman_webhook_deliveries_total": Definition("Webhook delivery attempts by event and result (delivered, retried, failed, refused)."),
        "medicineman_http_requests_total": Definition("HTTP requests by method, route template and status class."),
        "medicineman_http_request_duration_seconds": Definition("HTTP request duration by method and route template.", buckets: requestBuckets),
    ]

    package let prometheus: PrometheusCollectorRegistry
    /// Hand this to the components that count and time things.
    package let factory: any MetricsFactory

    package init(prometheus: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.prometheus = prometheus
        self.factory = CataloguedPrometheusFactory(registry: prometheus, catalogue: Self.catalogue)
    }

    /// Every series created so far, in the Prometheus text format.
    package func render(into output: inout String) {
        output += prometheus.emitToString()
    }
}

/// Text-format helpers for the figures `/metrics` reads at scrape time.
enum PrometheusText {
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}

extension Duration {
    /// The duration in seconds, as Prometheus wants it.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
