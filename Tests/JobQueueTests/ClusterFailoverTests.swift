import Foundation
@testable import JobQueue
@testable import RedisClient
import Synchronization
import TestSupport
import Testing

/// A master of the test cluster killed (SIGKILL) while three queues are worked: its replica takes
/// over, the workers find it by themselves, and every job completes exactly once.
@Suite struct ClusterFailoverTests {
    @Test(.exclusive, .timeLimit(.minutes(5)))
    func workersRecoverWhenAMasterDiesAndNothingIsLost() async throws {
        let state = try TestEnvironment.require("MM_TEST_REDIS_CLUSTER_STATE")
        var setup = try await ClusterFixture()
        setup.acknowledgeAdds()
        let fixture = setup
        let runs = Mutex<[String: Int]>([:])
        // Replica acknowledgements: a job taken or finished just before the kill is not lost with
        // the master's unreplicated writes (which would run it twice).
        let options = WorkerOptions(
            concurrency: 4, lockDuration: .seconds(10), stalledInterval: .seconds(5), drainDelay: .seconds(1),
            replicaWait: RedisReplicaWait())
        let workers = fixture.queues.map { queue in
            Worker(queue: queue, options: options, logger: queueLogger()) { context in
                runs.withLock { $0[queue.name + "/" + context.job.id, default: 0] += 1 }
                try await Task.sleep(for: .milliseconds(10))
                return nil
            }
        }
        let running = workers.map { worker in Task { try await worker.runUntilClosed() } }
        let total = 300
        let added = Mutex(0)
        // A producer that retries what fails while the cluster fails over; the custom job ids make
        // a retried add of a job that did land a no-op.
        let producer = Task {
            for index in 0..<total {
                let queue = fixture.queues[index % fixture.queues.count]
                let deadline = ContinuousClock.now + .seconds(60)
                while true {
                    do {
                        try await queue.add("job", options: JobOptions(jobId: "j\(index)"))
                        break
                    } catch {
                        guard ContinuousClock.now < deadline else { throw error }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
                added.withLock { $0 += 1 }
                if index % 10 == 0 { try await Task.sleep(for: .milliseconds(20)) }
            }
        }
        #expect(try await eventually(timeout: .seconds(60)) { added.withLock { $0 } >= total / 3 })

        let victim = try await fixture.master(of: fixture.queues[0])
        let pidText = try String(contentsOfFile: "\(state)/\(victim.port)/redis.pid", encoding: .utf8)
        let pid = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, SIGKILL) == 0)

        try await producer.value
        let expected = Set((0..<total).map { fixture.queues[$0 % fixture.queues.count].name + "/j\($0)" })
        #expect(try await eventually(timeout: .seconds(90)) { runs.withLock { Set($0.keys) } == expected })
        for queue in fixture.queues {
            #expect(
                try await eventually(timeout: .seconds(60)) {
                    try await queue.getJobCounts([.completed])[.completed] == total / fixture.queues.count
                })
        }
        #expect(try await fixture.master(of: fixture.queues[0]) != victim, "the replica took over")
        let repeated = runs.withLock { $0.filter { $0.value > 1 } }
        #expect(repeated.isEmpty, "jobs run more than once: \(repeated)")
        for worker in workers { worker.close() }
        for task in running { try await task.value }

        // The killed node comes back and rejoins as a replica.
        try TestEnvironment.services(["start", "redis-cluster-node", state, String(victim.port)])
        let returned = RedisConnection(configuration: RedisConfiguration(host: victim.host, port: victim.port), logger: queueLogger())
        #expect(
            try await eventually(timeout: .seconds(30)) {
                (try? await returned.command(["ROLE"]).array?.first?.string) == "slave"
            })
        await returned.close()
        try await fixture.close()
    }
}
