import BlockingIO
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JSONSupport
@testable import JobQueue
import Logging
import Notifications
import PlatformRuntime
import PostgresClient
import Records
import RedisClient
import ServerJobs
import TestSupport
import Synchronization
import Testing
import Tracing

@Suite struct JobsAPITests {
    @Test func authenticationAndRoles() async throws {
        try await APIFixture.run { fixture in
            let added = try await fixture.queues[0].add("backup:manual", data: ["recordId": "x"], options: JobOptions(jobId: "job-a"))
            let app = try fixture.app()
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/jobs/\(added.id)", method: .get) { response throws in
                    #expect(response.status == .unauthorized)
                    let body = try json(response)
                    #expect(body["success"] == false && body["error"]?["code"] == "unauthorized")
                }
                try await client.expect(.unauthorized, .get, "/api/jobs/\(added.id)", headers: [.authorization: "Bearer mm_nope"])
                try await client.execute(uri: "/api/jobs/\(added.id)", method: .get, headers: fixture.headers(.viewer)) { response throws in
                    #expect(response.status == .ok)
                    let body = try json(response)
                    #expect(body["success"] == true)
                    #expect(body["data"]?["id"] == "job-a" && body["data"]?["queue"] == "backup-queue" && body["data"]?["state"] == "waiting")
                    #expect(body["data"]?["attemptsAllowed"] == 1)
                }
                try await client.expect(.forbidden, .delete, "/api/jobs/\(added.id)", headers: fixture.headers(.viewer))
                try await client.expect(.ok, .delete, "/api/jobs/\(added.id)", headers: fixture.headers(.operator))
                try await client.execute(uri: "/api/jobs/\(added.id)", method: .get, headers: fixture.headers(.admin)) { response throws in
                    #expect(response.status == .notFound)
                    #expect(try json(response)["error"]?["code"] == "not_found")
                }
            }
        }
    }

    @Test func retryPromoteAndRemoveFollowTheJobsState() async throws {
        try await APIFixture.run { fixture in
            let queue = fixture.queues[1]
            let delayed = try await queue.add("scan:quick", options: JobOptions(jobId: "delayed-1", delay: 60_000))
            let waiting = try await queue.add("scan:quick", options: JobOptions(jobId: "waiting-1"))
            let app = try fixture.app()
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/jobs/\(waiting.id)/retry", method: .post, headers: fixture.headers(.operator)) { response throws in
                    #expect(response.status == .conflict)
                    #expect(try json(response)["error"]?["code"] == "job_not_failed")
                }
                try await client.expect(.conflict, .post, "/api/jobs/\(waiting.id)/promote", headers: fixture.headers(.operator))
                try await client.execute(uri: "/api/jobs/\(delayed.id)/promote", method: .post, headers: fixture.headers(.operator)) { response throws in
                    #expect(response.status == .ok)
                    #expect(try json(response)["data"]?["state"] == "waiting")
                }
            }
            // Make one job active (locked by a worker) and another failed.
            let active = try await fixture.redis.evalScript(
                QueueScript.moveToActive, keys: queue.keys.scriptKeys,
                arguments: [
                    RedisArgument(queue.keys.base), "worker:1", 60_000, RedisArgument(JobClock.system.nowMilliseconds()), 0, 0,
                ]
            ).array?[1].string
            let activeId = try #require(active)
            let failing = try await fixture.queues[2].add("update:server", options: JobOptions(jobId: "failing-1"))
            let worker = Worker(queue: fixture.queues[2], options: WorkerOptions(drainDelay: .milliseconds(100)), logger: Logger(label: "x")) { _ in
                throw UnrecoverableError("sudo needs a password")
            }
            let running = Task { try await worker.runUntilClosed() }
            _ = try await eventually { try await fixture.queues[2].getJobState(failing.id) == .failed }
            worker.close()
            try await running.value
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/jobs/\(activeId)", method: .delete, headers: fixture.headers(.admin)) { response throws in
                    #expect(response.status == .conflict)
                    #expect(try json(response)["error"]?["code"] == "job_active")
                }
                try await client.execute(uri: "/api/jobs/\(failing.id)", method: .get, headers: fixture.headers(.viewer)) { response throws in
                    #expect(try json(response)["data"]?["failedReason"] == "sudo needs a password")
                }
                try await client.expect(.forbidden, .post, "/api/jobs/\(failing.id)/retry", headers: fixture.headers(.viewer))
                try await client.execute(uri: "/api/jobs/\(failing.id)/retry", method: .post, headers: fixture.headers(.operator)) { response throws in
                    #expect(response.status == .ok)
                    #expect(try json(response)["data"]?["state"] == "waiting")
                }
                try await client.expect(.ok, .delete, "/api/jobs/\(delayed.id)", headers: fixture.headers(.operator))  // waiting since promoted
            }
            // Each change is on record: who, what, and the job's state before.
            let audited = try await fixture.database.query(
                "SELECT action, resource_id, actor, details->>'state' AS state FROM audit_log WHERE resource_type = 'job' ORDER BY id"
            ).rows.map { row in
                try ["action", "resource_id", "actor", "state"].map { try row.decode($0, as: String.self) }
            }
            #expect(
                audited == [
                    ["job.promote", delayed.id, "user-operator", "delayed"], ["job.retry", failing.id, "user-operator", "failed"],
                    ["job.remove", delayed.id, "user-operator", "waiting"],
                ])
        }
    }

    @Test func listsFilterValidateAndCount() async throws {
        try await APIFixture.run { fixture in
            let server = UUID().uuidString.lowercased()
            for index in 0..<5 {
                try await fixture.queues[0].add("backup:manual", data: ["recordId": .string("r\(index)"), "serverId": .string(index < 2 ? server : "other")])
            }
            try await fixture.queues[1].add("scan:full")
            let app = try fixture.app()
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/jobs?limit=2", method: .get, headers: fixture.headers(.viewer)) { response throws in
                    let data = try json(response)["data"]
                    #expect(data?["count"] == 2 && data?["total"] == 6 && data?["limit"] == 2)
                }
                try await client.execute(uri: "/api/jobs?queue=backup-queue&serverId=\(server)", method: .get, headers: fixture.headers(.viewer)) { response throws in
                    #expect(try json(response)["data"]?["count"] == 2)
                }
                try await client.execute(uri: "/api/jobs?name=scan:full", method: .get, headers: fixture.headers(.viewer)) { response throws in
                    #expect(try json(response)["data"]?["count"] == 1)
                }
                // Pages: newest first, each job once; the same page whatever the filter's path.
                var paged: [String] = []
                for offset in [0, 2, 4] {
                    let page = try await client.expect(.ok, .get, "/api/jobs?queue=backup-queue&limit=2&offset=\(offset)", headers: fixture.headers(.viewer))
                    guard case .array(let jobs)? = page["data"]?["jobs"] else { Issue.record("expected jobs"); continue }
                    paged += jobs.compactMap { $0["data"]?["recordId"]?.stringValue }
                }
                #expect(paged == ["r4", "r3", "r2", "r1", "r0"])
                // A deep page of every queue and state would read too much; one queue's one state may go deep.
                let deep = try await client.expect(.badRequest, .get, "/api/jobs?offset=700", headers: fixture.headers(.viewer))
                #expect(deep["error"]?["details"]?["fields"] == ["offset"])
                #expect(deep["message"]?.stringValue?.contains("at most 666") == true)
                let oneState = try await client.expect(.ok, .get, "/api/jobs?queue=backup-queue&state=waiting&offset=11000", headers: fixture.headers(.viewer))
                #expect(oneState["data"]?["count"] == 0 && oneState["data"]?["total"] == 5)
                for (query, field) in [("state=bogus", "state"), ("limit=500", "limit"), ("queue=nope", "queue"), ("serverId=x", "serverId"), ("offset=12001", "offset")] {
                    try await client.execute(uri: "/api/jobs?\(query)", method: .get, headers: fixture.headers(.viewer)) { response throws in
                        #expect(response.status == .badRequest)
                        #expect(try json(response)["error"]?["details"]?["fields"] == [.string(field)])
                    }
                }
                try await client.execute(uri: "/api/metrics/queues", method: .get, headers: fixture.headers(.viewer)) { response throws in
                    let queues = try json(response)["data"]
                    guard case .array(let items)? = queues else { Issue.record("expected a list"); return }
                    #expect(items.count == 3)
                    #expect(items.first?["waiting"] == 5 && items.first?["queue"] == "backup-queue")
                    // Jobs wait and no worker serves the queue in this test.
                    #expect(items.first?["workers"] == 0)
                    #expect(items.first?["health"]?["status"] == "degraded")
                    #expect(items.first?["health"]?["reasons"]?.jsonText.contains("no worker") == true)
                }
            }
        }
    }
}

extension JobsAPITests {
    /// Issue 13: DELETE of a job scheduler's next run is a conflict (BullMQ's -8), and a legacy
    /// `paused` list a BullMQ v5 peer left makes the queue's health degraded.
    @Test func schedulerRunsAreNotRemovedAndLegacyPausedListsAreReported() async throws {
        try await APIFixture.run { fixture in
            let queue = fixture.queues[0]
            let iteration = try #require(try await queue.upsertJobScheduler("nightly", repeat: .every(milliseconds: 86_400_000), name: "backup:scheduled"))
            _ = try await fixture.redis.command(["RPUSH", RedisArgument(queue.keys.key("paused")), "parked-1", "parked-2"])
            let app = try fixture.app()
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/jobs/\(iteration)", method: .delete, headers: fixture.headers(.operator)) { response throws in
                    #expect(response.status == .conflict)
                    #expect(try json(response)["error"]?["code"] == "job_scheduler_iteration")
                }
                try await client.execute(uri: "/api/metrics/queues", method: .get, headers: fixture.headers(.viewer)) { response throws in
                    guard case .array(let items)? = try json(response)["data"] else { Issue.record("expected a list"); return }
                    let backup = items.first { $0["queue"] == "backup-queue" }
                    #expect(backup?["paused"] == 2 && backup?["health"]?["status"] == "degraded")
                    #expect(backup?["health"]?["reasons"]?.jsonText.contains("legacy `paused` list") == true)
                }
            }
            #expect(try await queue.getJobState(iteration) == .waiting)
        }
    }
}

@Suite struct JobEventsAPITests {
    @Test func eventsStreamProgressUntilTheJobFinishes() async throws {
        try await APIFixture.run { fixture in
            let queue = fixture.queues[1]
            let added = try await queue.add("scan:quick", options: JobOptions(jobId: "sse-1"))
            let app = try fixture.app()
            let token = try #require(fixture.tokens[.viewer])
            let snapshotSent = Mutex(false)
            let worker = Worker(queue: queue, options: WorkerOptions(drainDelay: .milliseconds(100)), logger: Logger(label: "sse")) { context in
                // Progress only once the stream has sent its snapshot: a job that finished before
                // the snapshot is rightly answered with its final state alone.
                guard try await eventually(timeout: .seconds(60), { snapshotSent.withLock { $0 } }) else {
                    throw UnrecoverableError("the stream never sent its snapshot")
                }
                try await context.updateProgress(["phase": "scan", "percent": 50])
                return ["ok": true]
            }
            let running = Task { try await worker.runUntilClosed() }
            try await withCleanup {
                try await app.test(.live) { client in
                    let url = "http://127.0.0.1:\(try #require(client.port))/api/jobs/\(added.id)/events"
                    let stream = try ChildProcess("/usr/bin/curl", ["-sN", "--max-time", "60", "-H", "Authorization: Bearer \(token)", url])
                    #expect(try await eventually { stream.output.hasPrefix("event: state\n") })
                    snapshotSent.withLock { $0 = true }
                    #expect(try await stream.wait(timeout: .seconds(60)) == 0, "the stream ends when the job does")
                    let text = stream.output
                    #expect(text.contains("event: progress\ndata: {\"jobId\":\"sse-1\",\"progress\":{\"percent\":50,\"phase\":\"scan\"}}"), "got: \(text.prefix(600))")
                    #expect(text.contains("event: completed\n"))
                    #expect(text.contains("\"returnValue\":{\"ok\":true}"))
                    // A finished job answers with its state and ends at once.
                    try await client.execute(uri: "/api/jobs/\(added.id)/events", method: .get, headers: fixture.headers(.viewer)) { response throws in
                        #expect(response.status == .ok)
                        #expect(response.headers[.contentType] == "text/event-stream")
                        let text = String(buffer: response.body)
                        #expect(text.hasPrefix("event: state\n"))
                        #expect(text.contains("\"state\":\"completed\"") && !text.contains("event: progress"))
                    }
                }
            } cleanup: {
                worker.close()
                try await running.value
            }
        }
    }
}
