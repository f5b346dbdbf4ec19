import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobQueue
import JSONSupport
import Records
import ServerJobs
import TestSupport
import Testing

/// `POST /api/backups/:id/drill`, `/api/drills`, schedules' `drill` policy and the drill metrics.
@Suite struct DrillsAPITests {
    @Test func operatorsQueueDrillsViewersReadThemAndMetricsShowTheLastOutcome() async throws {
        try await BrowseFixture.run { browse in
            try browse.write("src/file", "content\n")
            let backup = try await browse.backUp()
            let domain = try #require(browse.api.dependencies.domain)
            let pending = try await domain.backups.create(serverId: browse.server.id, kind: .manual, paths: ["/srv"], compression: .gzip)
            let id = backup.id.uuidString.lowercased()
            let operatorHeaders = jsonHeaders(browse.api.headers(.operator))
            let app = Application(router: try browse.api.router)
            try await app.test(.router) { client in
                try await client.expect(.forbidden, .post, "/api/backups/\(id)/drill", headers: browse.api.headers(.viewer))
                var firstDrill = ""
                try await client.execute(uri: "/api/backups/\(id)/drill", method: .post, headers: browse.api.headers(.operator)) { response throws in
                    #expect(response.status == .accepted)
                    firstDrill = try json(response)["data"]?["recordId"]?.stringValue ?? ""
                    #expect(try json(response)["data"]?["jobId"]?.stringValue == firstDrill)
                }
                let job = try await browse.api.queues[0].getJob(firstDrill)
                #expect(job?.name == "backup:drill" && job?.data?["recordId"]?.stringValue == firstDrill)
                let other = browse.other.id.uuidString.lowercased()
                try await client.execute(uri: "/api/backups/\(id)/drill", method: .post, headers: browse.api.headers(.operator)) { response throws in
                    #expect(response.status == .conflict, "one drill of a backup at a time")
                }
                try await client.execute(
                    uri: "/api/backups/\(id)/drill", method: .post, headers: operatorHeaders,
                    body: ByteBuffer(string: #"{"serverId": "\#(other)"}"#)
                ) { response throws in
                    #expect(response.status == .forbidden, "another server receives this one's files: admin only")
                }
                let adminHeaders = jsonHeaders(browse.api.headers(.admin))
                for (body, field) in [
                    (#"{"serverId": "../etc"}"#, "serverId"), (#"{"serverId": "\#(UUID().uuidString)"}"#, "serverId"),
                    (#"{"host": "x"}"#, "host"), (#"{"serverId": "a\u0000b"}"#, "serverId"),
                ] {
                    try await client.execute(uri: "/api/backups/\(id)/drill", method: .post, headers: adminHeaders, body: ByteBuffer(string: body)) { response throws in
                        #expect(response.status == .badRequest, "\(body)")
                        #expect(try json(response)["error"]?["details"]?["fields"] == [.string(field)], "\(body)")
                    }
                }
                try await client.expect(.conflict, .post, "/api/backups/\(pending.id.uuidString.lowercased())/drill", headers: browse.api.headers(.operator))
                try await client.expect(.badRequest, .post, "/api/backups/not-a-uuid/drill", headers: browse.api.headers(.operator))
                try await client.expect(.badRequest, .get, "/api/drills?serverId=%2e%2e", headers: browse.api.headers(.viewer))
                try await client.expect(.notFound, .get, "/api/drills/\(UUID().uuidString)", headers: browse.api.headers(.viewer))
                try await client.expect(.unauthorized, .get, "/api/drills/\(firstDrill)", headers: [:])

                // A finished drill shows its counts, and /metrics its time and outcome.
                let drillId = try #require(UUID(uuidString: firstDrill))
                try await domain.backups.drills.markRunning(id: drillId, jobId: firstDrill)
                try await domain.backups.drills.finish(
                    id: drillId, counts: RestoreDrillCounts(expected: 3, matched: 2, changed: 1, hashed: 1),
                    problems: [RestoreDrillProblem(path: "src/file", problem: "content differs")])
                try await client.execute(uri: "/api/drills/\(firstDrill)", method: .get, headers: browse.api.headers(.viewer)) { response throws in
                    let data = try json(response)["data"]
                    #expect(data?["status"] == "failed" && data?["counts"]?["changed"] == 1 && data?["problems"]?.elements?.count == 1)
                }
                try await client.execute(
                    uri: "/api/backups/\(id)/drill", method: .post, headers: adminHeaders,
                    body: ByteBuffer(string: #"{"serverId": "\#(other)"}"#)
                ) { response throws in
                    #expect(response.status == .accepted, "the first drill finished; an admin may drill on another server")
                }
                try await client.execute(uri: "/api/drills?backupId=\(id)", method: .get, headers: browse.api.headers(.viewer)) { response throws in
                    #expect(response.status == .ok)
                    let items = try json(response)["data"]?["items"]?.elements ?? []
                    #expect(items.count == 2 && items.first?["status"] == "queued" && items.first?["drillServerId"]?.stringValue == other)
                }
                try await client.execute(uri: "/api/drills?status=failed", method: .get, headers: browse.api.headers(.viewer)) { response throws in
                    #expect(try json(response)["data"]?["items"]?.elements?.compactMap { $0["id"]?.stringValue } == [firstDrill])
                }
                try await client.expect(.badRequest, .get, "/api/drills?status=broken", headers: browse.api.headers(.viewer))
                try await client.execute(uri: "/metrics", method: .get) { response throws in
                    let text = String(buffer: response.body)
                    #expect(text.contains("medicineman_backup_last_restore_drill_timestamp_seconds{server=\"browse\"} "))
                    #expect(text.contains("medicineman_backup_last_restore_drill_passed{server=\"browse\"} 0"))
                    let file = NSTemporaryDirectory() + "/" + TestEnvironment.uniqueName("drill-metrics") + ".txt"
                    try text.write(toFile: file, atomically: true, encoding: .utf8)
                    let lint = try await ChildProcess.run("/bin/sh", ["-c", "promtool check metrics < \"$0\" 2>&1", file])
                    #expect(lint.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool: \(lint)")
                }
            }
        }
    }

    @Test func schedulesTakeADrillPolicyAndRefuseABadOne() async throws {
        try await BrowseFixture.run { browse in
            let server = browse.server.id.uuidString.lowercased()
            let other = browse.other.id.uuidString.lowercased()
            let admin = jsonHeaders(browse.api.headers(.admin))
            let app = Application(router: try browse.api.router)
            try await app.test(.router) { client in
                func schedule(_ drill: String) -> ByteBuffer {
                    ByteBuffer(string: #"{"serverId": "\#(server)", "cron": "@daily", "paths": ["/srv"], "drill": \#(drill)}"#)
                }
                for (drill, field) in [
                    (#"{"everyBackups": 0}"#, "drill.everyBackups"), (#"{"everyDays": 367}"#, "drill.everyDays"),
                    (#"{"serverId": "nope"}"#, "drill.serverId"), (#"{"serverId": "\#(UUID().uuidString)"}"#, "drill.serverId"),
                ] {
                    try await client.execute(uri: "/api/schedules", method: .post, headers: admin, body: schedule(drill)) { response throws in
                        #expect(response.status == .badRequest, "\(drill)")
                        #expect(try json(response)["error"]?["details"]?["fields"] == [.string(field)], "\(drill)")
                    }
                }
                var id = ""
                try await client.execute(
                    uri: "/api/schedules", method: .post, headers: admin,
                    body: schedule(#"{"everyBackups": 7, "everyDays": 30, "serverId": "\#(other)"}"#)
                ) { response throws in
                    #expect(response.status == .created)
                    let drill = try json(response)["data"]?["drill"]
                    #expect(drill?["everyBackups"] == 7 && drill?["everyDays"] == 30 && drill?["serverId"]?.stringValue == other)
                    id = try json(response)["data"]?["id"]?.stringValue ?? ""
                }
                try await client.execute(uri: "/api/schedules/\(id)", method: .patch, headers: admin, body: ByteBuffer(string: #"{"cron": "@weekly"}"#)) { response throws in
                    #expect(try json(response)["data"]?["drill"]?["everyBackups"] == 7, "PATCH keeps the drill policy")
                }
                try await client.execute(uri: "/api/schedules/\(id)", method: .patch, headers: admin, body: ByteBuffer(string: #"{"drill": {}}"#)) { response throws in
                    let drill = try json(response)["data"]?["drill"]
                    #expect(drill?["everyBackups"] == nil && drill?["everyDays"] == nil, "{} turns drills off")
                }
            }
        }
    }
}
