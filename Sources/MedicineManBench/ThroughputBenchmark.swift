import ArgumentParser
import BlockingIO
import Foundation
import JobQueue
import Synchronization

/// Adds N no-op jobs with addBulk, then processes them with one worker. The last line is JSON.
struct ThroughputBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throughput",
        abstract: "addBulk N no-op jobs, then process them with one worker; prints {jobs, add_per_sec, process_per_sec}."
    )

    @Option(help: "Jobs to add and process.") var jobs = 100_000
    @Option(help: "Worker concurrency.") var concurrency = 16
    @Option(help: "Jobs per addBulk call.") var batch = 1000
    @OptionGroup var redisTarget: QueueTargetOptions
    @Option(help: "Queue name (default: a fresh one, obliterated afterwards).") var queue: String?
    @Flag(name: .customLong("remove-on-complete"), help: "Delete jobs as they complete (keeps Redis small for long runs).")
    var removeOnComplete = false

    func validate() throws {
        guard jobs > 0, concurrency > 0, batch > 0 else { throw ValidationError("jobs, concurrency and batch must be positive") }
    }

    func run() async throws {
        let pool = try redisTarget.pool(connections: concurrency + 4)
        let name = queue ?? "bench-\(UInt32.random(in: 0...UInt32.max))"
        let target = try redisTarget.queue(name, on: pool)
        let clock = ContinuousClock()

        let addStart = clock.now
        var added = 0
        while added < jobs {
            let count = min(batch, jobs - added)
            let options = JobOptions(removeOnComplete: removeOnComplete ? .remove(true) : nil)
            _ = try await target.addBulk((0..<count).map { (name: "noop", data: ["i": .int(Int64(added + $0))], options: options) })
            added += count
        }
        let addSeconds = Self.seconds(clock.now - addStart)

        let done = Atomic<Int>(0)
        let finished = AsyncStream<Void>.makeStream()
        let total = jobs
        let options = WorkerOptions(
            concurrency: concurrency,
            onEvent: { event in
                switch event {
                case .completed, .failed(_, _, false):
                    if done.add(1, ordering: .relaxed).newValue == total { finished.continuation.finish() }
                default: break
                }
            })
        let worker = Worker(queue: target, options: options, logger: BenchRedis.logger()) { _ in nil }
        let processStart = clock.now
        let rssStart = ResidentMemory.bytes()
        let running = Task { try await worker.run() }
        let sampler = Task {
            var peak = rssStart
            while !Task.isCancelled {
                peak = max(peak, ResidentMemory.bytes())
                try? await Task.sleep(for: .milliseconds(250))
            }
            return peak
        }
        for await _ in finished.stream {}
        let processSeconds = Self.seconds(clock.now - processStart)
        sampler.cancel()
        let rssPeak = await sampler.value
        worker.close()
        try await running.value
        if queue == nil { try await target.obliterate(force: true) }

        print(String(format: "added %d jobs in %.2f s; processed them in %.2f s (concurrency %d)", jobs, addSeconds, processSeconds, concurrency))
        print(
            String(
                format: "resident memory: %.1f MiB when processing started, %.1f MiB at peak",
                Double(rssStart) / 1_048_576, Double(rssPeak) / 1_048_576))
        print(
            String(
                format: #"{"jobs":%d,"add_per_sec":%.0f,"process_per_sec":%.0f,"rss_start_mib":%.1f,"rss_peak_mib":%.1f}"#,
                jobs, Double(jobs) / addSeconds, Double(jobs) / processSeconds, Double(rssStart) / 1_048_576, Double(rssPeak) / 1_048_576))
    }

    static func seconds(_ duration: Duration) -> Double {
        duration.inSeconds
    }
}
