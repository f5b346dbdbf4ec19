import Foundation
package import Hummingbird
package import JobQueue
import NIOCore
package import Records

/// `GET /metrics`: Prometheus text format. Queue figures are O(1) Redis reads (LLEN/ZCARD and the
/// oldest waiting job), never scans; counters and histograms come from this process.
package struct MetricsController: Sendable {
    let registry: MetricsRegistry
    let queues: [Queue]
    let readiness: any ReadinessChecking
    let backups: BackupRepository?
    let schedules: BackupScheduleRepository?
    let version: String
    /// When set, scrapes need `Authorization: Bearer <token>`.
    let token: String?
    let eventStreams: JobEventHub?
    let startedAt = Date()

    package init(
        registry: MetricsRegistry, queues: [Queue], readiness: any ReadinessChecking, backups: BackupRepository?,
        schedules: BackupScheduleRepository? = nil, version: String, token: String?, eventStreams: JobEventHub? = nil
    ) {
        self.eventStreams = eventStreams
        self.registry = registry
        self.queues = queues
        self.readiness = readiness
        self.backups = backups
        self.schedules = schedules
        self.version = version
        self.token = token
    }

    package func addRoutes(to router: Router<APIRequestContext>) {
        router.get("/metrics", use: render)
    }

    @Sendable func render(_ request: Request, context: APIRequestContext) async throws -> Response {
        if let token, !ConstantTime.equals(request.headers[.authorization] ?? "", "Bearer \(token)") {
            return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"], body: .init(byteBuffer: ByteBuffer(string: "unauthorized\n")))
        }
        var text = ""
        family(&text, "medicineman_build_info", "gauge", "Always 1; the version is a label.")
        text += "medicineman_build_info{version=\"\(PrometheusText.escape(version))\"} 1\n"

        let report = await readiness.checkReadiness()
        family(&text, "medicineman_dependency_up", "gauge", "1 when the dependency answered its last probe.")
        for name in report.checks.keys.sorted() {
            text += "medicineman_dependency_up{dependency=\"\(PrometheusText.escape(name))\"} \(report.checks[name]?.ok == true ? 1 : 0)\n"
        }

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

        if let eventStreams {
            family(&text, "medicineman_event_streams_open", "gauge", "Live job event streams (GET /api/jobs/:id/events) open now.")
            text += "medicineman_event_streams_open \(eventStreams.openStreams)\n"
            family(&text, "medicineman_event_stream_readers", "gauge", "Queue event stream readers (one Redis connection each) running now.")
            text += "medicineman_event_stream_readers \(eventStreams.readerCount)\n"
            family(&text, "medicineman_event_streams_refused_total", "counter", "Event streams refused by the per-user or global cap.")
            text += "medicineman_event_streams_refused_total \(eventStreams.refusedStreams)\n"
        }
        await renderBackups(into: &text)

        registry.render(into: &text)
        ProcessMetrics.render(into: &text, startedAt: startedAt)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func family(_ text: inout String, _ name: String, _ type: String, _ help: String) {
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
