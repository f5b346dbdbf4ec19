import Foundation
package import Hummingbird
package import JobQueue
import NIOCore
package import Records

/// `GET /metrics`: Prometheus text format. Queue figures are O(1) Redis reads (LLEN/ZCARD and the
/// oldest waiting job), never scans; counters and histograms come from this process. Without
/// `METRICS_TOKEN` anyone may scrape, so the figures read from Redis and PostgreSQL are a
/// `SharedResult`: one read at a time, serving every scrape for a second after it.
package struct MetricsController: Sendable {
    let registry: MetricsRegistry
    let readiness: any ReadinessChecking
    let version: String
    /// When set, scrapes need `Authorization: Bearer <token>`.
    let token: String?
    /// Wrong bearer tokens count against the scraper's network; past the limit it is answered
    /// 429 without a comparison until its minute ends.
    let guesses: BadTokenLimit?
    let eventStreams: JobEventHub?
    let startedAt = Date()
    /// The queue and record figures (`storedFigures`).
    let figures: SharedResult<String>

    package init(
        registry: MetricsRegistry, queues: [Queue], readiness: any ReadinessChecking, backups: BackupRepository?,
        schedules: BackupScheduleRepository? = nil, version: String, token: String?, guesses: BadTokenLimit? = nil,
        eventStreams: JobEventHub? = nil,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.eventStreams = eventStreams
        self.registry = registry
        self.readiness = readiness
        self.version = version
        self.token = token
        self.guesses = guesses
        self.figures = SharedResult(now: now) { await Self.storedFigures(queues: queues, backups: backups, schedules: schedules) }
    }

    package func addRoutes(to router: Router<APIRequestContext>) {
        router.get("/metrics", use: render)
    }

    @Sendable func render(_ request: Request, context: APIRequestContext) async throws -> Response {
        if let token {
            if let seconds = guesses?.blockedFor(context.clientAddress) {
                return Response(
                    status: .tooManyRequests, headers: [.retryAfter: "\(seconds)"],
                    body: .init(byteBuffer: ByteBuffer(string: "too many wrong bearer tokens from this address\n")))
            }
            let presented = bearerToken(in: request)
            guard let presented, ConstantTime.equals(presented, token) else {
                // A scrape without a bearer token is a misconfiguration, not a guess.
                if presented != nil { guesses?.recordFailure(context.clientAddress) }
                return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"], body: .init(byteBuffer: ByteBuffer(string: "unauthorized\n")))
            }
        }
        var text = ""
        Self.family(&text, "medicineman_build_info", "gauge", "Always 1; the version is a label.")
        text += "medicineman_build_info{version=\"\(PrometheusText.escape(version))\"} 1\n"

        let report = await readiness.checkReadiness()
        Self.family(&text, "medicineman_dependency_up", "gauge", "1 when the dependency answered its last probe.")
        for name in report.checks.keys.sorted() {
            text += "medicineman_dependency_up{dependency=\"\(PrometheusText.escape(name))\"} \(report.checks[name]?.ok == true ? 1 : 0)\n"
        }

        text += await figures.value()

        if let eventStreams {
            Self.family(&text, "medicineman_event_streams_open", "gauge", "Live job event streams (GET /api/jobs/:id/events) open now.")
            text += "medicineman_event_streams_open \(eventStreams.openStreams)\n"
            Self.family(&text, "medicineman_event_stream_readers", "gauge", "Queue event stream readers (one Redis connection each) running now.")
            text += "medicineman_event_stream_readers \(eventStreams.readerCount)\n"
            Self.family(&text, "medicineman_event_streams_refused_total", "counter", "Event streams refused by the per-user or global cap.")
            text += "medicineman_event_streams_refused_total \(eventStreams.refusedStreams)\n"
        }
        registry.render(into: &text)
        ProcessMetrics.render(into: &text, startedAt: startedAt)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The queues' figures from Redis, then the servers' backup figures from PostgreSQL.
    static func storedFigures(queues: [Queue], backups: BackupRepository?, schedules: BackupScheduleRepository?) async -> String {
        var text = ""
        await renderQueues(queues, into: &text)
        await renderBackups(backups, schedules: schedules, into: &text)
        return text
    }

    static func renderQueues(_ queues: [Queue], into text: inout String) async {
        family(&text, "medicineman_queue_jobs", "gauge", "Jobs per queue and state.")
        var oldest: [(String, Double)] = []
        var paused: [(String, Bool)] = []
        for queue in queues {
            if let counts = try? await queue.getJobCounts() {
                for (state, count) in counts.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    text += "medicineman_queue_jobs{queue=\"\(queue.name)\",state=\"\(state.rawValue)\"} \(count)\n"
                }
            }
            let now = Date().timeIntervalSince1970
            let waitingSince = (try? await queue.oldestWaitingTimestamp()) ?? nil
            oldest.append((queue.name, waitingSince.map { max(0, now - Double($0) / 1000) } ?? 0))
            paused.append((queue.name, (try? await queue.isPaused()) ?? false))
        }
        family(&text, "medicineman_queue_oldest_waiting_job_age_seconds", "gauge", "Age of the job that has waited longest (0 when none waits).")
        for (name, age) in oldest { text += "medicineman_queue_oldest_waiting_job_age_seconds{queue=\"\(name)\"} \(String(format: "%.3f", age))\n" }
        family(&text, "medicineman_queue_paused", "gauge", "1 while the queue is paused.")
        for (name, isPaused) in paused { text += "medicineman_queue_paused{queue=\"\(name)\"} \(isPaused ? 1 : 0)\n" }
        if let workers = try? await Queue.workerCounts(of: queues) {
            family(&text, "medicineman_queue_workers", "gauge", "Worker connections (ours and BullMQ's) serving the queue.")
            for (queue, count) in zip(queues, workers) { text += "medicineman_queue_workers{queue=\"\(queue.name)\"} \(count)\n" }
        }
    }

    static func family(_ text: inout String, _ name: String, _ type: String, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }
}

/// The standard `process_*` metrics, from /proc.
enum ProcessMetrics {
    static func render(into text: inout String, startedAt: Date) {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let resident = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }?.split(separator: " ").compactMap { Int($0) }.first ?? 0
        let stat = (try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8)) ?? ""
        // Fields after the command name: utime and stime are the 14th and 15th of the whole line.
        let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
        let ticks = fields.count > 12 ? (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0) : 0
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        text += "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\n"
        text += "process_resident_memory_bytes \(resident * 1024)\n"
        text += "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n# TYPE process_cpu_seconds_total counter\n"
        text += "process_cpu_seconds_total \(String(format: "%.2f", ticks / 100))\n"
        text += "# HELP process_open_fds Number of open file descriptors.\n# TYPE process_open_fds gauge\nprocess_open_fds \(descriptors)\n"
        text += "# HELP process_start_time_seconds Start time of the process since the epoch in seconds.\n# TYPE process_start_time_seconds gauge\n"
        text += "process_start_time_seconds \(Int(startedAt.timeIntervalSince1970))\n"
    }
}
