import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JobQueue
import JSONSupport
import Logging
import Records
import ServerJobs
import TestSupport
import Testing

@Suite struct MetricsTests {
    @Test func metricsAreValidPrometheusTextWithQueuesAndRoutes() async throws {
        try await APIFixture.run { fixture in
            try await fixture.queues[0].add("backup:manual", data: ["recordId": "a"])
            try await fixture.queues[0].add("backup:manual", data: ["recordId": "b"])
            let app = try fixture.app()
            try await app.test(.router) { client in
                var text = ""
                try await client.execute(uri: "/api/jobs?limit=1", method: .get, headers: fixture.headers(.viewer)) { _ in }
                try await client.execute(uri: "/metrics", method: .get) { response throws in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                    text = String(buffer: response.body)
                }
                #expect(text.contains("medicineman_queue_jobs{queue=\"backup-queue\",state=\"waiting\"} 2"))
                #expect(text.contains("medicineman_queue_oldest_waiting_job_age_seconds{queue=\"backup-queue\"}"))
                #expect(text.contains("medicineman_http_requests_total{method=\"GET\",route=\"/api/jobs\",status=\"2xx\"} 1"))
                #expect(text.contains("medicineman_build_info{version=\"test\"} 1"))
                #expect(text.contains("process_resident_memory_bytes"))
                // The official client's parser accepts it.
                let file = NSTemporaryDirectory() + "/" + TestEnvironment.uniqueName("metrics") + ".txt"
                try text.write(toFile: file, atomically: true, encoding: .utf8)
                let script = "import sys; from prometheus_client.parser import text_string_to_metric_families as p; " + "print(len(list(p(open(sys.argv[1]).read()))))"
                let families = try await ChildProcess.run(try TestEnvironment.require("MM_TEST_PYTHON"), ["-c", script, file])
                #expect((Int(families.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 10)
                // And Prometheus's own linter finds nothing (names, units, types, help).
                let lint = try await ChildProcess.run("/bin/sh", ["-c", "promtool check metrics < \"$0\" 2>&1", file])
                #expect(lint.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool: \(lint)")
            }
        }
    }

    /// Without `METRICS_TOKEN` anyone may scrape: scrapes within a second share one read of the
    /// queues and records instead of each costing Redis and PostgreSQL round trips.
    @Test func scrapesWithinASecondShareOneReadOfTheQueues() async throws {
        try await APIFixture.run { fixture in
            let clock = TestClock()
            let router = Router(context: APIRequestContext.self)
            MetricsController(
                registry: MetricsRegistry(), queues: fixture.queues, readiness: AlwaysReady(), backups: nil, version: "test", token: nil,
                now: { clock.now }
            ).addRoutes(to: router)
            try await Application(router: router).test(.router) { client in
                let waiting = #"medicineman_queue_jobs{queue="backup-queue",state="waiting"}"#
                let scrape = { try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) } }
                #expect(try await scrape().contains(waiting + " 0"))
                try await fixture.queues[0].add("backup:manual", data: ["recordId": "a"])
                #expect(try await scrape().contains(waiting + " 0"))
                clock.advance(.seconds(1))
                #expect(try await scrape().contains(waiting + " 1"))
            }
        }
    }

    @Test func workerEventsBecomeCountersAndHistograms() {
        let registry = MetricsRegistry()
        let metrics = WorkerMetrics(factory: registry.factory, queue: "scan-queue", concurrency: 5)
        let jobMetrics = ServerJobMetrics(factory: registry.factory)
        metrics.record(.active(jobId: "1", name: "scan:full", waited: .milliseconds(2500)))
        metrics.record(.completed(jobId: "1", returnValue: nil))
        metrics.record(.active(jobId: "2", name: "scan:full", waited: nil))
        metrics.record(.active(jobId: "5", name: "scan:quick", waited: .seconds(0)))
        metrics.record(.active(jobId: "6", name: "scan:quick", waited: .seconds(0)))
        metrics.record(.postponed(jobId: "6", reason: "busy"))
        jobMetrics.recordSSHConnection(.hostKeyMismatch)
        metrics.record(.failed(jobId: "2", reason: "x", willRetry: true))
        metrics.record(.stalled(jobIds: ["3", "4"]))
        // A foreign producer's made-up names share one label value.
        for index in 0..<50 {
            metrics.record(.active(jobId: "f\(index)", name: "made-up-\(index)", waited: nil))
            metrics.record(.failed(jobId: "f\(index)", reason: "unknown job", willRetry: false))
        }
        var text = ""
        registry.render(into: &text)
        #expect(text.contains(#"medicineman_jobs_finished_total{queue="scan-queue",name="scan:full",result="completed"} 1"#))
        #expect(text.contains(#"medicineman_jobs_finished_total{queue="scan-queue",name="scan:full",result="retried"} 1"#))
        #expect(text.contains(#"medicineman_stalled_jobs_total{queue="scan-queue"} 2"#))
        #expect(text.contains(#"medicineman_job_run_duration_seconds_bucket{queue="scan-queue",name="scan:full",le="14400.0"} 2"#))
        #expect(text.contains(#"medicineman_job_run_duration_seconds_count{queue="scan-queue",name="scan:full"} 2"#))
        #expect(text.contains(#"medicineman_job_wait_duration_seconds_bucket{queue="scan-queue",name="scan:full",le="1.0"} 0"#))
        #expect(text.contains(#"medicineman_job_wait_duration_seconds_bucket{queue="scan-queue",name="scan:full",le="5.0"} 1"#))
        #expect(text.contains(#"medicineman_worker_active_jobs{queue="scan-queue"} 1"#))
        #expect(text.contains(#"medicineman_worker_concurrency{queue="scan-queue"} 5"#))
        #expect(text.contains(#"medicineman_ssh_connections_total{outcome="host_key_mismatch"} 1"#))
        #expect(text.contains(#"medicineman_ssh_connections_total{outcome="refused"} 0"#))
        #expect(text.contains(#"medicineman_jobs_enqueued_total{queue="backup-queue",name="backup:manual"} 0"#))
        #expect(text.contains(#"medicineman_jobs_finished_total{queue="scan-queue",name="other",result="failed"} 50"#))
        #expect(!text.contains("made-up"))
    }
}
