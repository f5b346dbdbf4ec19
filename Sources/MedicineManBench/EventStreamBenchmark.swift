import ArgumentParser
import BlockingIO
import Foundation
import JobQueue
import NIOCore
import NIOPosix
import RedisClient

/// Opens many live event streams on a running `medicineman api` and measures what they cost it
/// (threads, Redis clients) and how fast a job's progress reaches them (scripts/bench-events.sh).
struct EventStreamBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "event-streams",
        abstract: "Open N SSE streams on a running API, then time progress events from Redis to every stream.")

    @Option(help: "The API's host (loopback only).") var host = "127.0.0.1"
    @Option(help: "The API's port.") var port: Int
    @Option(help: "A viewer's API token.") var token: String
    @Option(help: "The pid of the API process (threads are read from /proc/<pid>/status).") var serverPid: Int32
    @Option(help: "The Redis the API uses (a throwaway one: every CLIENT LIST entry is counted).") var redis: String
    @Option(help: "Key prefix.") var prefix = "bull"
    @Option(help: "Queue whose jobs are watched.") var queue = "backup-queue"
    @Option(help: "Streams to open.") var streams = 1000
    @Option(help: "Jobs the streams are spread over.") var jobs = 10
    @Option(help: "Progress events to send (round-robin over the jobs).") var events = 100
    @Option(help: "Pause between two events, ms.") var intervalMs = 20

    static let benchClientName = "medicineman-bench"

    func validate() throws {
        guard host == "127.0.0.1" || host == "localhost" || host == "::1" else { throw ValidationError("loopback only") }
        guard streams > 0, jobs > 0, events > 0 else { throw ValidationError("streams, jobs and events must be positive") }
    }

    func run() async throws {
        var configuration = try RedisConfiguration(url: redis)
        configuration.clientName = Self.benchClientName
        let pool = RedisConnectionPool(configuration: configuration, options: .init(maxConnections: 1), logger: BenchRedis.logger())
        let target = try Queue(name: queue, prefix: prefix, redis: pool)
        let run = UUID().uuidString.prefix(8).lowercased()
        var jobIds: [String] = []
        for index in 0..<jobs {
            jobIds.append(try await target.add("bench:sse", data: ["i": .int(Int64(index))], options: JobOptions(jobId: "sse-\(run)-\(index)")).id)
        }
        let before = try await measure(pool)
        print("before: threads \(before.threads), Redis clients of the API \(before.clients)")

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let record = SSEBenchRecord()
        let opening = ContinuousClock.now
        var channels: [any Channel] = []
        // Waves of 100, so the listen backlog never overflows into SYN retries.
        for wave in stride(from: 0, to: streams, by: 100) {
            var futures: [EventLoopFuture<any Channel>] = []
            for index in wave..<min(wave + 100, streams) {
                let path = "/api/jobs/\(jobIds[index % jobs])/events"
                let (host, port, token) = (self.host, self.port, self.token)
                futures.append(
                    ClientBootstrap(group: group).channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(SSEBenchClient(host: host, port: port, path: path, token: token, record: record))
                        }
                    }.connect(host: host, port: port))
            }
            for future in futures { channels.append(try await future.get()) }
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while record.opened + record.refused < streams, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        guard record.opened == streams else {
            throw ValidationError("only \(record.opened) of \(streams) streams opened (\(record.refused) refused); raise SSE_MAX_STREAMS(_PER_USER)")
        }
        let openTime = opening.duration(to: .now)
        try await Task.sleep(for: .seconds(1))
        let with = try await measure(pool)
        print("with \(streams) streams (opened in \(openTime)): threads \(with.threads), Redis clients of the API \(with.clients)")

        let cpuBefore = (server: serverCPUSeconds(), bench: Self.ownCPUSeconds())
        let sending = ContinuousClock.now
        var sent: [Int: ContinuousClock.Instant] = [:]
        for seq in 0..<events {
            sent[seq] = .now
            try await target.updateProgress(jobIds[seq % jobs], ["seq": .int(Int64(seq))])
            try await Task.sleep(for: .milliseconds(intervalMs))
        }
        let expected = (0..<events).reduce(0) { total, seq in total + (0..<streams).filter { $0 % jobs == seq % jobs }.count }
        let arrivalDeadline = ContinuousClock.now + .seconds(30)
        while record.arrivalCount < expected, ContinuousClock.now < arrivalDeadline { try await Task.sleep(for: .milliseconds(20)) }
        let deliveryTime = sending.duration(to: .now)
        let cpu = (server: serverCPUSeconds() - cpuBefore.server, bench: Self.ownCPUSeconds() - cpuBefore.bench)
        print(
            String(
                format: "delivery phase: %.2f s wall; CPU %.2f s in the API, %.2f s in this bench; ",
                Self.milliseconds(deliveryTime) / 1000, cpu.server, cpu.bench) + "load average \(Self.loadAverage())")
        let latencies = record.arrivals.compactMap { arrival in sent[arrival.seq].map { Self.milliseconds($0.duration(to: arrival.at)) } }.sorted()

        for channel in channels { channel.close(promise: nil) }
        try await Task.sleep(for: .seconds(2))
        let after = try await measure(pool)
        print("after closing them: threads \(after.threads), Redis clients of the API \(after.clients)")
        try await group.shutdownGracefully()
        for id in jobIds { _ = try? await target.remove(id) }
        await pool.close()

        let median = Self.percentile(latencies, 0.5), p99 = Self.percentile(latencies, 0.99)
        print(
            String(
                format: "latency over %d deliveries (%d expected): median %.2f ms, p99 %.2f ms, max %.2f ms",
                latencies.count, expected, median, p99, latencies.last ?? 0))
        print(
            #"{"streams":\#(streams),"jobs":\#(jobs),"events":\#(events),"threads_before":\#(before.threads),"threads_with":\#(with.threads),"#
                + #""threads_after":\#(after.threads),"redis_before":\#(before.clients),"redis_with":\#(with.clients),"redis_after":\#(after.clients),"#
                + #""deliveries":\#(latencies.count),"expected":\#(expected),"# + String(format: #""median_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f}"#, median, p99, latencies.last ?? 0))
    }

    /// The API's threads, and the Redis clients that are not this bench's.
    func measure(_ pool: RedisConnectionPool) async throws -> (threads: Int, clients: Int) {
        let list = try await pool.commandOnEveryServer(["CLIENT", "LIST"]).compactMap(\.string).joined(separator: "\n")
        let clients = list.split(separator: "\n").filter { !$0.contains("name=\(Self.benchClientName) ") }.count
        let status = (try? String(contentsOfFile: "/proc/\(serverPid)/status", encoding: .utf8)) ?? ""
        let threads =
            status.split(separator: "\n").first { $0.hasPrefix("Threads:") }?
            .split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }.first ?? -1
        return (threads, clients)
    }

    /// User plus system CPU time of the API process, from /proc/<pid>/stat.
    func serverCPUSeconds() -> Double {
        let stat = (try? String(contentsOfFile: "/proc/\(serverPid)/stat", encoding: .utf8)) ?? ""
        let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
        guard fields.count > 12 else { return 0 }
        return ((Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)) / 100
    }

    /// The machine's 1-minute load average: other work on the machine shows in the latencies.
    static func loadAverage() -> String {
        String((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first ?? "?")
    }

    static func ownCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func milliseconds(_ duration: Duration) -> Double {
        duration.inMilliseconds
    }

    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
    }
}
