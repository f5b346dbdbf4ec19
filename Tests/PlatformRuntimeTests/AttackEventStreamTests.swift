import BlockingIO
import Foundation
@testable import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JobQueue
import JSONSupport
import Logging
import Records
import RedisClient
import Synchronization
import TestSupport
import Testing

/// An attacker (or a dashboard left open in many tabs) opens live event streams by the hundred:
/// they must share one Redis reader per queue, hold no thread each, stop at the caps with a 429,
/// and give their slot back as soon as the client goes away.
@Suite struct AttackEventStreamTests {
    @Test(.exclusive) func sixtyStreamsShareOneRedisReaderAndAddNoThreadEach() async throws {
        let logger = testLogger("test.sse", level: .critical)
        let streams = 60
        let redisURL = try TestEnvironment.require("MM_TEST_REDIS_URL")
        let redisPort = try RedisConfiguration(url: redisURL).port
        try await TestEnvironment.withScratchDatabaseURL(logger: logger) { databaseURL in
            var environment = try PlatformProcess.environment(databaseURL: databaseURL)
            environment["SSE_MAX_STREAMS_PER_USER"] = "200"
            // A small pool, so the constant part of the process's connections is small next to the streams.
            environment["REDIS_POOL_SIZE"] = "4"
            let server = try await PlatformProcess(["api"], environment: environment)
            let pool = RedisConnectionPool(configuration: try RedisConfiguration(url: redisURL), options: .init(maxConnections: 2), logger: logger)
            let queue = try Queue(name: "scan-queue", prefix: try #require(environment["QUEUE_PREFIX"]), redis: pool)
            var curl: ChildProcess?
            var first: ChildProcess?
            do {
                try await PlatformProcess.createUser("watcher", role: "viewer", password: "watcher-password", environment: environment)
                let token = try await PlatformProcess.createToken(for: "watcher", name: "tabs", environment: environment)
                let job = try await queue.add("scan:quick", options: JobOptions(jobId: TestEnvironment.uniqueName("watched")))
                let url = server.baseURL + "/api/jobs/\(job.id)/events"
                // Warm up: one stream, so the pool and the reader exist before the baseline.
                let warmup = try ChildProcess("/usr/bin/curl", ["-sN", "--max-time", "60", "-H", "Authorization: Bearer \(token)", url])
                first = warmup
                let warm = try await eventually { try await self.metric("medicineman_event_streams_open", server) == 1 }
                #expect(warm)
                let pid = server.child.pid
                let threadsBefore = try #require(ProcessProbe.threads(of: pid))
                let connectionsBefore = ProcessProbe.connections(of: pid, toPort: redisPort)

                curl = try ChildProcess(
                    "/usr/bin/curl",
                    [
                        "-sN", "--parallel", "--parallel-immediate", "--parallel-max", "\(streams)", "--max-time", "60",
                        "-H", "Authorization: Bearer \(token)",
                    ] + Array(repeating: url, count: streams))
                let allOpen = try await eventually(timeout: .seconds(30)) { try await self.metric("medicineman_event_streams_open", server) == streams + 1 }
                let openCount = try await metric("medicineman_event_streams_open", server) ?? -1
                #expect(allOpen, "streams open: \(openCount)")
                let threadsWith = try #require(ProcessProbe.threads(of: pid))
                let connectionsWith = ProcessProbe.connections(of: pid, toPort: redisPort)
                let readers = try await metric("medicineman_event_stream_readers", server)
                #expect(readers == 1, "one reader for the queue, whatever the number of streams")
                // The pool may grow to its size (4) under the burst of snapshots; nothing grows per stream.
                #expect(threadsWith - threadsBefore <= 8, "threads \(threadsBefore) → \(threadsWith) with \(streams) more streams")
                #expect(connectionsWith - connectionsBefore <= 4, "Redis connections \(connectionsBefore) → \(connectionsWith) with \(streams) more streams")

                // Every stream still gets the job's events.
                try await queue.updateProgress(job.id, ["step": 1])
                let delivered = try await eventually(timeout: .seconds(15)) {
                    curl?.output.components(separatedBy: "event: progress").count == streams + 1
                }
                #expect(delivered, "progress reached \((curl?.output.components(separatedBy: "event: progress").count ?? 1) - 1) of \(streams) streams")

                // SIGKILL: the test runner may ignore SIGTERM, and curl inherits that.
                curl?.signal(SIGKILL)
                _ = try await curl?.wait(timeout: .seconds(10))
                let released = try await eventually { try await self.metric("medicineman_event_streams_open", server) == 1 }
                #expect(released, "closed streams must give their slots back")

                // A stream still open does not hold up a graceful shutdown: it is ended with a note.
                let status = try await server.stop(timeout: .seconds(20))
                #expect(status == 0, "\(server.child.errorOutput.suffix(2000))")
                _ = try await warmup.wait(timeout: .seconds(10))
                #expect(warmup.output.contains("event: closed\ndata: {\"message\":\"the server is shutting down"), "\(warmup.output.suffix(500))")
            } catch {
                curl?.signal(SIGKILL)
                first?.signal(SIGKILL)
                try? await server.kill()
                try? await queue.obliterate(force: true)
                await pool.close()
                throw error
            }
            try await queue.obliterate(force: true)
            await pool.close()
        }
    }

    /// A gauge or counter of the process's `/metrics`.
    func metric(_ name: String, _ server: PlatformProcess) async throws -> Int? {
        let text = try await ChildProcess.run("/usr/bin/curl", ["-fsS", server.baseURL + "/metrics"], timeout: .seconds(10))
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return line.split(separator: " ").last.flatMap { Int($0) }
        }
        return nil
    }

    /// Runs `body` against an app whose event streams are capped by `limits`, with a job to stream.
    func withCappedStreams(
        _ limits: JobEventHub.Limits, job jobId: String,
        _ body: @Sendable (APIFixture, JobEventHub, any TestClientProtocol, String) async throws -> Void
    ) async throws {
        try await APIFixture.run { fixture in
            let job = try await fixture.queues[0].add("backup:manual", options: JobOptions(jobId: jobId))
            let hub = JobEventHub(limits: limits)
            let app = try fixture.app { $0.eventStreams = hub }
            try await app.test(.router) { client in try await body(fixture, hub, client, "/api/jobs/\(job.id)/events") }
        }
    }

    @Test func beyondThePerUserCapAStreamIsRefusedWith429() async throws {
        try await withCappedStreams(.init(perUser: 2, total: 100), job: "capped-user") { fixture, hub, client, uri in
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await client.execute(uri: uri, method: .get, headers: fixture.headers(.viewer)) { String(buffer: $0.body) }
                    }
                }
                #expect(try await eventually { hub.openStreams == 2 })
                try await client.execute(uri: uri, method: .get, headers: fixture.headers(.viewer)) { response throws in
                    #expect(response.status == .tooManyRequests)
                    #expect(response.headers[.retryAfter] != nil)
                    let body = try json(response)
                    #expect(body["success"] == false && body["error"]?["code"] == "too_many_streams")
                    #expect(body["error"]?["details"]?["scope"] == "user")
                }
                // Another user is not held back by this one's streams.
                group.addTask {
                    try await client.execute(uri: uri, method: .get, headers: fixture.headers(.operator)) { String(buffer: $0.body) }
                }
                #expect(try await eventually { hub.openStreams == 3 })
                #expect(hub.refusedStreams == 1)
                hub.shutdown()
                for try await text in group {
                    #expect(text.hasPrefix("event: state\n") && text.contains("event: closed\ndata: {\"message\""))
                }
            }
        }
    }

    @Test func beyondTheGlobalCapAStreamIsRefusedWith429() async throws {
        try await withCappedStreams(.init(perUser: 10, total: 3), job: "capped-server") { fixture, hub, client, uri in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for role in [UserRole.viewer, .viewer, .operator] {
                    group.addTask { try await client.execute(uri: uri, method: .get, headers: fixture.headers(role)) { _ in } }
                }
                #expect(try await eventually { hub.openStreams == 3 })
                for role in [UserRole.admin, .viewer] {
                    try await client.execute(uri: uri, method: .get, headers: fixture.headers(role)) { response throws in
                        #expect(response.status == .tooManyRequests)
                        #expect(response.headers[.retryAfter] == "15")
                        #expect(try json(response)["error"]?["details"]?["scope"] == "server")
                    }
                }
                #expect(hub.readerCount == 1)
                hub.shutdown()
                try await group.waitForAll()
            }
            #expect(hub.openStreams == 0 && hub.readerCount == 0)
        }
    }

    @Test func aStreamThatDoesNotReadIsDroppedWithoutHoldingUpTheOthers() async throws {
        try await APIFixture.run { fixture in
            let queue = fixture.queues[0]
            let job = try await queue.add("backup:manual", options: JobOptions(jobId: "slow-reader"))
            let hub = JobEventHub(limits: .init(perUser: 10, total: 10, buffer: 8))
            let user = UUID()
            let stalled = try await hub.subscribe(queue: queue, jobId: job.id, userId: user)
            let reading = try await hub.subscribe(queue: queue, jobId: job.id, userId: user)
            let received = Mutex(0)
            let reader = Task {
                for await item in reading.items {
                    if case .event(let name, _) = item, name == "progress" { received.withLock { $0 += 1 } }
                }
            }
            for step in 1...20 {
                try await queue.updateProgress(job.id, .int(Int64(step)))
                #expect(try await eventually { received.withLock { $0 } == step }, "the reading stream got event \(step)")
            }
            #expect(stalled.end == .lagged, "the stream nobody reads overflowed its buffer and was dropped")
            #expect(hub.openStreams == 1 && hub.openStreams(of: user) == 1)
            hub.release(reading, .finished)
            await reader.value
            #expect(hub.openStreams == 0 && hub.readerCount == 0)
        }
    }

    @Test func aClosedStreamFreesItsSlotAtOnce() async throws {
        try await APIFixture.run { fixture in
            let job = try await fixture.queues[2].add("update:server", options: JobOptions(jobId: "closed-stream"))
            // One stream per user; a keep-alive (the other way a dead client is noticed) is minutes away.
            let hub = JobEventHub(limits: .init(perUser: 1, total: 100, keepAlive: .seconds(600)))
            let app = try fixture.app {
                $0.eventStreams = hub
            }
            let token = try #require(fixture.tokens[.viewer])
            try await app.test(.live) { client in
                let url = "http://127.0.0.1:\(try #require(client.port))/api/jobs/\(job.id)/events"
                let curl = { (seconds: Int) in
                    try ChildProcess("/usr/bin/curl", ["-sN", "-w", "\nstatus=%{http_code}", "--max-time", "\(seconds)", "-H", "Authorization: Bearer \(token)", url])
                }
                let first = try curl(60)
                #expect(try await eventually { hub.openStreams == 1 })
                let refused = try curl(5)
                _ = try await refused.wait(timeout: .seconds(10))
                #expect(refused.output.contains("too_many_streams") && refused.output.hasSuffix("status=429"))

                first.signal(SIGKILL)  // the client dies; the kernel closes its socket
                _ = try await first.wait(timeout: .seconds(10))
                #expect(first.output.hasPrefix("event: state\n"))
                let freed = try await eventually(timeout: .seconds(5)) { hub.openStreams == 0 }
                #expect(freed, "the slot is freed when the client goes away, not at the next keep-alive")
                #expect(hub.readerCount == 0)

                let again = try curl(3)
                #expect(try await eventually { hub.openStreams == 1 }, "a new stream fits the freed slot")
                _ = try await again.wait(timeout: .seconds(10))
                #expect(again.output.hasPrefix("event: state\n"), "got: \(again.output.prefix(300))")
                #expect(try await eventually { hub.openStreams == 0 })
            }
        }
    }

    /// A stream asks now and then whether the token it was opened with still holds: a deactivated
    /// user's stream and a revoked token's end with a `closed` event, not when their hour is up.
    @Test func aDeactivatedUserOrRevokedTokenEndsItsStreams() async throws {
        let limits = JobEventHub.Limits(keepAlive: .milliseconds(100), credentialRecheck: .milliseconds(100))
        try await withCappedStreams(limits, job: "revoked-stream") { fixture, hub, client, uri in
            let users = try #require(fixture.dependencies.domain?.users)
            let viewer = try #require(try await users.find(username: "user-viewer"))
            let operatorUser = try #require(try await users.find(username: "user-operator"))
            let admin = try #require(try await users.find(username: "user-admin"))
            try await withThrowingTaskGroup(of: (UserRole, String).self) { group in
                for role in [UserRole.viewer, .operator, .admin] {
                    group.addTask { (role, try await client.execute(uri: uri, method: .get, headers: fixture.headers(role)) { String(buffer: $0.body) }) }
                }
                #expect(try await eventually { hub.openStreams == 3 })
                _ = try await users.update(id: viewer.id, active: false)
                let first = try #require(try await group.next())
                #expect(first.0 == .viewer && first.1.contains("event: closed\n") && first.1.contains("\"reason\":\"signed_out\""), "got: \(first)")
                let token = try #require(try await users.tokens(userId: operatorUser.id).first)
                #expect(try await users.revokeToken(id: token.id) != nil)
                let second = try #require(try await group.next())
                #expect(second.0 == .operator && second.1.contains("\"reason\":\"signed_out\""), "got: \(second)")
                #expect(hub.openStreams == 1 && hub.openStreams(of: admin.id) == 1, "a stream whose token holds stays open")
                hub.shutdown()
                let last = try #require(try await group.next())
                #expect(last.0 == .admin && last.1.contains("\"reason\":\"shutdown\""))
            }
        }
    }
}
