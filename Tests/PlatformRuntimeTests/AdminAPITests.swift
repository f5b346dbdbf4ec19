import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JobQueue
import JSONSupport
import NIOCore
import Records
import Testing

@Suite struct AdminAPITests {
    @Test func queueAdministrationIsForAdmins() async throws {
        try await APIFixture.run { fixture in
            for index in 0..<3 { try await fixture.queues[0].add("backup:manual", data: ["recordId": .string("r\(index)")]) }
            let app = try fixture.app()
            try await app.test(.router) { client in
                for role in [UserRole.viewer, .operator] {
                    try await client.expect(.forbidden, .post, "/api/queues/backup-queue/pause", headers: fixture.headers(role))
                }
                try await client.expect(.ok, .post, "/api/queues/backup-queue/pause", headers: fixture.headers(.admin))
                #expect(try await fixture.queues[0].isPaused())
                try await client.execute(uri: "/api/metrics/queues", method: .get, headers: fixture.headers(.viewer)) { response throws in
                    guard case .array(let items)? = try json(response)["data"] else { Issue.record("expected a list"); return }
                    #expect(items.first?["isPaused"] == true)
                }
                try await client.expect(.ok, .post, "/api/queues/backup-queue/resume", headers: fixture.headers(.admin))
                try await client.expect(.notFound, .post, "/api/queues/nope/pause", headers: fixture.headers(.admin))
                try await client.execute(
                    uri: "/api/queues/backup-queue/clean", method: .post, headers: fixture.headers(.admin),
                    body: ByteBuffer(string: #"{"state":"bogus"}"#)
                ) { response throws in
                    #expect(response.status == .badRequest)
                    #expect(try json(response)["error"]?["details"]?["fields"] == ["state"])
                }
                try await client.expect(.ok, .post, "/api/queues/backup-queue/drain", headers: fixture.headers(.admin))
            }
            #expect(try await fixture.queues[0].getJobCounts([.waiting])[.waiting] == 0)
            #expect(try await AuditLogRepository(database: fixture.database).list(resourceType: "queue").total == 3)
        }
    }

    @Test func backupsNeedAnArchiveToVerifyOrRestore() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            let server: JSONValue = ["name": "files-1", "host": "files.example.com", "username": "backup", "authType": "password", "credential": "pw"]
            try await app.test(.router) { client in
                let created = try await client.expect(.created, .post, "/api/servers", headers: fixture.headers(.admin), body: ByteBuffer(string: server.jsonText))
                let serverId = created["data"]?["id"]?.stringValue ?? ""
                let started = try await client.expect(
                    .accepted, .post, "/api/servers/\(serverId)/backup", headers: fixture.headers(.operator), body: ByteBuffer(string: #"{"paths":["/etc"]}"#))
                let backupId = started["data"]?["recordId"]?.stringValue ?? ""
                try await client.execute(uri: "/api/backups/\(backupId)/verify", method: .post, headers: fixture.headers(.operator)) { response throws in
                    #expect(response.status == .conflict)
                    #expect(try json(response)["error"]?["code"] == "backup_not_completed")
                }
                try await client.execute(
                    uri: "/api/backups/\(backupId)/restore", method: .post, headers: fixture.headers(.operator),
                    body: ByteBuffer(string: "{}")
                ) { response throws in
                    #expect(response.status == .conflict)
                }
                try await client.execute(uri: "/api/backups?serverId=\(serverId)", method: .get, headers: fixture.headers(.viewer)) { response throws in
                    #expect(try json(response)["data"]?["total"] == 1)
                }
                try await client.expect(.forbidden, .delete, "/api/backups/\(backupId)", headers: fixture.headers(.viewer))
                try await client.expect(.ok, .delete, "/api/backups/\(backupId)", headers: fixture.headers(.operator))
                try await client.expect(.notFound, .get, "/api/backups/\(backupId)", headers: fixture.headers(.viewer))
            }
        }
    }
}
