import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JSONSupport
import NIOCore
import Records
import Testing

@Suite struct SchedulesAPITests {
    /// Next runs and "run now" count from the domain's clock, so a fixed clock gives exact times.
    @Test func nextRunsAndRunNowCountFromTheInjectedClock() async throws {
        try await APIFixture.run { fixture in
            var dependencies = fixture.dependencies
            let noon = Date(timeIntervalSince1970: 1_796_040_000)  // 2026-11-30 12:00:00 UTC
            dependencies.domain?.clock = { noon }
            let domain = try #require(dependencies.domain)
            let server = try await domain.servers.create(
                NewServer(name: "sched-clock", host: "127.0.0.1", username: "root", authType: .password, credential: "secret"))
            let app = Application(router: try buildRouter(dependencies))
            try await app.test(.router) { client in
                let body = #"{"serverId":"\#(server.id.lowercasedString)","cron":"30 2 * * *","timezone":"Europe/Berlin","paths":["/etc"]}"#
                let scheduleId = try await client.execute(
                    uri: "/api/schedules", method: .post, headers: fixture.headers(.admin), body: ByteBuffer(string: body)
                ) { response throws in
                    let data = try json(response)["data"]
                    // 02:30 in Berlin is 01:30 UTC in winter: the next three from noon on 30 November.
                    #expect(data?["nextRuns"] == ["2026-12-01T01:30:00Z", "2026-12-02T01:30:00Z", "2026-12-03T01:30:00Z"])
                    #expect(data?["nextRunAt"] == "2026-12-01T01:30:00Z")
                    return data?["id"]?.stringValue ?? ""
                }
                try await client.expect(.accepted, .post, "/api/schedules/\(scheduleId)/run", headers: fixture.headers(.operator))
                let scheduleUUID: UUID = try #require(UUID(uuidString: scheduleId))
                let backups = try await domain.backups.list(scheduleId: scheduleUUID)
                #expect(backups.items.first?.dueAt == noon)
            }
        }
    }

    @Test func createValidateRunAndDelete() async throws {
        try await APIFixture.run { fixture in
            let domain = try #require(fixture.dependencies.domain)
            let server = try await domain.servers.create(
                NewServer(
                    name: "sched-api", host: "127.0.0.1", username: "root", authType: .password,
                    credential: "secret"))
            let serverId = server.id.uuidString.lowercased()
            let app = try fixture.app()
            try await app.test(.router) { client in
                let invalid: [(String, String)] = [
                    (#"{"serverId":"\#(serverId)","cron":"* * *","paths":["/etc"]}"#, "cron"),
                    (#"{"serverId":"\#(serverId)","cron":"0 0 31 2 *","paths":["/etc"]}"#, "cron"),
                    (#"{"serverId":"\#(serverId)","cron":"30 2 * * *","timezone":"Mars/Base","paths":["/etc"]}"#, "timezone"),
                    (#"{"serverId":"\#(serverId)","cron":"@daily","paths":["etc"]}"#, "paths"),
                    (#"{"serverId":"\#(serverId)","cron":"@daily","paths":["/etc"],"retention":{"keepLast":0}}"#, "retention.keepLast"),
                    (#"{"serverId":"\#(UUID().uuidString)","cron":"@daily","paths":["/etc"]}"#, "serverId"),
                ]
                for (body, field) in invalid {
                    try await client.execute(uri: "/api/schedules", method: .post, headers: fixture.headers(.admin), body: ByteBuffer(string: body)) { response throws in
                        #expect(response.status == .badRequest, "\(body)")
                        #expect(try json(response)["error"]?["details"]?["fields"] == [.string(field)], "\(body)")
                    }
                }
                let created = #"{"serverId":"\#(serverId)","cron":"30 2 * * *","timezone":"Europe/Berlin","paths":["/etc"],"retention":{"keepLast":3}}"#
                let scheduleId = try await client.execute(
                    uri: "/api/schedules", method: .post, headers: fixture.headers(.admin),
                    body: ByteBuffer(string: created)
                ) { response throws in
                    #expect(response.status == .created)
                    let data = try json(response)["data"]
                    guard case .array(let runs)? = data?["nextRuns"] else { Issue.record("no nextRuns"); return "" }
                    #expect(runs.count == 3)
                    #expect(data?["retention"]?["keepLast"] == 3 && data?["enabled"] == true)
                    #expect(data?["nextRunAt"] == runs.first)
                    return data?["id"]?.stringValue ?? ""
                }
                try await client.execute(
                    uri: "/api/schedules/\(scheduleId)", method: .patch, headers: fixture.headers(.admin),
                    body: ByteBuffer(string: #"{"enabled":false}"#)
                ) { response throws in
                    #expect(response.status == .ok)
                    #expect(try json(response)["data"]?["enabled"] == false)
                    #expect(try json(response)["data"]?["cron"] == "30 2 * * *")
                }
                try await client.execute(uri: "/api/schedules/\(scheduleId)/run", method: .post, headers: fixture.headers(.operator)) { response throws in
                    #expect(response.status == .accepted)
                    let data = try json(response)["data"]
                    #expect(data?["jobId"] == data?["recordId"])
                }
                let scheduleUUID: UUID = try #require(UUID(uuidString: scheduleId))
                let backups = try await domain.backups.list(scheduleId: scheduleUUID)
                #expect(backups.items.count == 1 && backups.items.first?.kind == .scheduled)
                try await client.execute(uri: "/api/schedules?serverId=\(serverId)", method: .get, headers: fixture.headers(.viewer)) { response throws in
                    #expect(try json(response)["data"]?["total"] == 1)
                }
                try await client.expect(.ok, .delete, "/api/schedules/\(scheduleId)", headers: fixture.headers(.admin))
                try await client.expect(.notFound, .get, "/api/schedules/\(scheduleId)", headers: fixture.headers(.viewer))
            }
        }
    }
}
