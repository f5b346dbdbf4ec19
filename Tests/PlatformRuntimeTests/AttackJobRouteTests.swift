import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JobQueue
import JSONSupport
import NIOCore
import Records
import RedisClient
import Testing

/// Job routes name Redis keys: only job ids may reach them, and only job hashes are jobs.
@Suite struct AttackJobRouteTests {
    @Test func aQueuesOwnKeysAreNotJobs() async throws {
        try await APIFixture.run { fixture in
            let queue = fixture.queues[0]
            _ = try await queue.add("backup:manual", data: ["recordId": "x"])  // creates `id`, `events`, `meta`
            try await queue.pause()
            let app = try fixture.app()
            try await app.test(.router) { client throws in
                for name in ["meta", "id", "events", "wait", "paused", "repeat", "de:abc", "marker", "stalled-check", "metrics:completed"] {
                    for (method, suffix) in [(HTTPRequest.Method.get, ""), (.delete, ""), (.get, "/events"), (.post, "/retry"), (.post, "/promote")] {
                        let status = try await client.execute(uri: "/api/jobs/\(name)\(suffix)", method: method, headers: fixture.headers(.admin)) { response throws in
                            #expect(try json(response)["success"] == false)
                            return response.status
                        }
                        #expect(status == .badRequest, "\(method) /api/jobs/\(name)\(suffix) answered \(status)")
                    }
                }
            }
            // The operator's DELETE of `meta` did not un-pause the queue an admin paused.
            #expect(try await queue.isPaused())
        }
    }

    @Test func aKeyWithoutAJobHashIsNotFound() async throws {
        try await APIFixture.run { fixture in
            let queue = fixture.queues[1]
            // Keys of a job's shape that are no job: a string, a list, a hash without a timestamp.
            try await fixture.redis.command(["SET", RedisArgument(queue.keys.job("plain-string")), "x"])
            try await fixture.redis.command(["RPUSH", RedisArgument(queue.keys.job("a-list")), "x"])
            try await fixture.redis.command(["HSET", RedisArgument(queue.keys.job("odd-hash")), "paused", "1"])
            let app = try fixture.app()
            try await app.test(.router) { client throws in
                for id in ["plain-string", "a-list", "odd-hash"] {
                    for suffix in ["", "/events"] {
                        let status = try await client.execute(uri: "/api/jobs/\(id)\(suffix)", method: .get, headers: fixture.headers(.viewer)) { $0.status }
                        #expect(status == .notFound, "/api/jobs/\(id)\(suffix) answered \(status)")
                    }
                    let removed = try await client.execute(uri: "/api/jobs/\(id)", method: .delete, headers: fixture.headers(.operator)) { $0.status }
                    #expect(removed == .notFound)
                }
            }
            #expect(try await fixture.redis.command(["EXISTS", RedisArgument(queue.keys.job("odd-hash"))]).int == 1)
        }
    }

    @Test func idShapes() {
        for good in ["4c3f0a52-1d7e-4a3b-9f1e-2b8d6c5e7a90", "1234", "job-a", "repeat:nightly:1764547200000", "my.job@host"] {
            #expect(JobID.isValid(good), "\(good)")
        }
        for bad in [
            "", "meta", "events", "id", "de:x", "repeat:nightly", "../meta", "a b", "a\u{0}b", "a\nb", ":x", "x:", "-x",
            String(repeating: "a", count: 201),
        ] {
            #expect(!JobID.isValid(bad), "\(bad)")
        }
    }
}
