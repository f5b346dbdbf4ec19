import ArgumentParser
import Foundation
import JobQueue
import RedisClient

/// Queue throughput with several worker processes: fills each queue with no-op jobs, then starts
/// `--processes` `medicineman-bench worker` children per queue and times them until every job has
/// completed. With `--cpu-nodes` it also reads `INFO cpu` of those Redis nodes around the
/// processing phase, so the Redis CPU each job costs is measured, not guessed. The last line is JSON.
struct ScaleBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Fill queues, then process them with N worker processes per queue; prints {jobs, processes, jobs_per_sec, redis_cpu_us_per_job}."
    )

    @OptionGroup var redisTarget: QueueTargetOptions
    @Option(help: "How many queues (fresh ones, obliterated afterwards).") var queues = 1
    @Option(help: "Jobs per queue.") var jobs = 100_000
    @Option(help: "Worker processes per queue.") var processes = 1
    @Option(help: "Concurrency of each worker process.") var concurrency = 16
    @Option(name: .customLong("cpu-nodes"), help: "host:port of every Redis node whose CPU to read, comma-separated.")
    var cpuNodes = ""

    func validate() throws {
        guard queues > 0, jobs > 0, processes > 0, concurrency > 0 else {
            throw ValidationError("queues, jobs, processes and concurrency must be positive")
        }
        guard (try? cpuNodeURLs()) != nil else { throw ValidationError("--cpu-nodes takes host:port,host:port…") }
    }

    func run() async throws {
        let pool = try redisTarget.pool(connections: 8)
        let runTag = UInt32.random(in: 0...UInt32.max)
        let targets = try (0..<queues).map { try redisTarget.queue("scale-\(runTag)-\($0)", on: pool) }
        for target in targets { try await Self.fill(target, jobs: jobs) }

        let cpuBefore = try await redisCPUSeconds()
        let clock = ContinuousClock()
        let start = clock.now
        let children = try targets.flatMap { target in
            try (0..<processes).map { _ in try spawnWorker(queue: target.name) }
        }
        let total = jobs * queues
        while try await completed(targets) < total {
            try await Task.sleep(for: .milliseconds(20))
        }
        let seconds = ThroughputBenchmark.seconds(clock.now - start)
        let cpuAfter = try await redisCPUSeconds()
        for child in children { child.terminate() }
        for child in children { child.waitUntilExit() }
        for target in targets { try await target.obliterate(force: true) }
        await pool.close()

        let cpuPerJob = cpuNodes.isEmpty ? -1 : (cpuAfter - cpuBefore) / Double(total) * 1e6
        print(String(format: "%d queue(s) × %d process(es), %d jobs in %.2f s", queues, processes, total, seconds))
        print(
            String(
                format: #"{"queues":%d,"processes":%d,"jobs":%d,"seconds":%.2f,"jobs_per_sec":%.0f,"redis_cpu_us_per_job":%.1f}"#,
                queues, processes, total, seconds, Double(total) / seconds, cpuPerJob))
    }

    private static func fill(_ target: Queue, jobs: Int) async throws {
        var added = 0
        while added < jobs {
            let count = min(1000, jobs - added)
            let options = JobOptions()
            _ = try await target.addBulk((0..<count).map { (name: "noop", data: ["i": .int(Int64(added + $0))], options: options) })
            added += count
        }
    }

    private func completed(_ targets: [Queue]) async throws -> Int {
        var sum = 0
        for target in targets { sum += try await target.getJobCounts([.completed])[.completed] ?? 0 }
        return sum
    }

    private func spawnWorker(queue: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["worker", "--redis", redisTarget.redis, "--queue", queue, "--prefix", redisTarget.prefix, "--concurrency", String(concurrency)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    private func cpuNodeURLs() throws -> [String] {
        try cpuNodes.split(separator: ",").map { node in
            let parts = node.split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1]), (1...65535).contains(port) else { throw ValidationError("bad node \(node)") }
            return "redis://\(parts[0]):\(port)/0"
        }
    }

    /// used_cpu_sys + used_cpu_user summed over the nodes.
    private func redisCPUSeconds() async throws -> Double {
        var total = 0.0
        for url in try cpuNodeURLs() {
            let node = try BenchRedis.pool(url: url, connections: 1)
            let info = try await node.command("INFO", "cpu")
            await node.close()
            for line in (info.string ?? "").split(whereSeparator: \.isNewline) {
                let pair = line.split(separator: ":")
                if pair.count == 2, pair[0] == "used_cpu_sys" || pair[0] == "used_cpu_user" {
                    total += Double(pair[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
        }
        return total
    }
}
