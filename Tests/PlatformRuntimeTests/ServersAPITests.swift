import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JobQueue
import JSONSupport
import NIOCore
import PostgresClient
import Records
import TestSupport
import Testing

@Suite struct ServersAPITests {
    private func body(_ value: JSONValue) -> ByteBuffer { ByteBuffer(string: value.jsonText) }

    @Test func createValidateAndNeverReturnTheCredential() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            let good: JSONValue = [
                "name": "web-1", "host": "::1", "port": 2222, "username": "backup", "authType": "password",
                "credential": "s3cret-value", "tags": ["prod"],
            ]
            try await app.test(.router) { client in
                try await client.expect(.forbidden, .post, "/api/servers", headers: fixture.headers(.viewer), body: body(good))
                for (field, bad) in [("authType", "token"), ("host", "bad host;rm"), ("port", 70000)] as [(String, JSONValue)] {
                    var invalid = good.objectValue ?? [:]
                    invalid[field] = bad
                    try await client.execute(uri: "/api/servers", method: .post, headers: fixture.headers(.admin), body: body(.object(invalid))) { response throws in
                        #expect(response.status == .badRequest)
                        #expect(try json(response)["error"]?["details"]?["fields"] == [.string(field)])
                    }
                }
                var missing = good.objectValue ?? [:]
                missing["username"] = nil
                try await client.execute(uri: "/api/servers", method: .post, headers: fixture.headers(.admin), body: body(.object(missing))) { response throws in
                    #expect(response.status == .badRequest)
                    #expect(try json(response)["error"]?["details"]?["fields"] == ["username"])
                }
                try await client.expect(.badRequest, .post, "/api/servers", headers: fixture.headers(.admin), body: ByteBuffer(string: "{not json"))
                var serverId = ""
                try await client.execute(uri: "/api/servers", method: .post, headers: fixture.headers(.admin), body: body(good)) { response throws in
                    #expect(response.status == .created)
                    let text = String(buffer: response.body)
                    #expect(!text.contains("s3cret-value"))
                    serverId = try json(response)["data"]?["id"]?.stringValue ?? ""
                    #expect(serverId == serverId.lowercased() && UUID(uuidString: serverId) != nil)
                }
                try await client.execute(uri: "/api/servers", method: .post, headers: fixture.headers(.admin), body: body(good)) { response throws in
                    #expect(response.status == .conflict)
                    #expect(try json(response)["error"]?["details"]?["fields"] == ["name"])
                }
                try await client.execute(uri: "/api/servers/\(serverId)", method: .get, headers: fixture.headers(.viewer)) { response throws in
                    #expect(response.status == .ok)
                    #expect(!String(buffer: response.body).contains("s3cret"))
                    #expect(try json(response)["data"]?["host"] == "::1")
                }
                try await client.expect(.badRequest, .get, "/api/servers/not-a-uuid", headers: fixture.headers(.viewer))
                // A change is held to the rules of a new server, field by field.
                let changes: [(String, JSONValue)] = [
                    ("name", "   "), ("tags", [""]), ("tags", .array((0..<21).map { .string("t\($0)") })), ("username", ""),
                    ("credential", .string(String(repeating: "k", count: 16_385))), ("port", 0), ("authType", "token"), ("host", "-oProxyCommand=x"),
                ]
                for (field, bad) in changes {
                    let change = try await client.expect(
                        .badRequest, .patch, "/api/servers/\(serverId)", headers: fixture.headers(.admin), body: body([field: bad]))
                    #expect(change["error"]?["details"]?["fields"] == [.string(field)])
                }
                let renamed = try await client.expect(.ok, .patch, "/api/servers/\(serverId)", headers: fixture.headers(.admin), body: body(["tags": ["db"]]))
                #expect(renamed["data"]?["tags"] == ["db"] && renamed["data"]?["name"] == "web-1")
                let huge = ByteBuffer(string: String(repeating: "x", count: 2 * 1024 * 1024))
                try await client.expect(.contentTooLarge, .post, "/api/servers", headers: fixture.headers(.admin), body: huge)
            }
        }
    }

    @Test func startingJobsAnswers202AndQueuesThem() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            let server: JSONValue = ["name": "db-1", "host": "10.0.0.9", "username": "backup", "authType": "key", "credential": "PEM"]
            try await app.test(.router) { client in
                let created = try await client.expect(.created, .post, "/api/servers", headers: fixture.headers(.admin), body: body(server))
                let serverId = created["data"]?["id"]?.stringValue ?? ""
                try await client.execute(
                    uri: "/api/servers/\(serverId)/backup", method: .post, headers: fixture.headers(.operator),
                    body: body(["paths": ["relative/path"]])
                ) { response throws in
                    #expect(response.status == .badRequest)
                    #expect(try json(response)["error"]?["details"]?["fields"] == ["paths"])
                }
                try await client.execute(
                    uri: "/api/servers/\(serverId)/backup", method: .post, headers: fixture.headers(.viewer),
                    body: body(["paths": ["/etc"]])
                ) { response throws in
                    #expect(response.status == .forbidden)
                }
                var backupId = ""
                try await client.execute(
                    uri: "/api/servers/\(serverId)/backup", method: .post, headers: fixture.headers(.operator),
                    body: body(["paths": ["/etc", "/srv/it's here"], "exclusions": ["*.log"], "compression": "zstd"])
                ) { response throws in
                    #expect(response.status == .accepted)
                    let data = try json(response)["data"]
                    backupId = data?["recordId"]?.stringValue ?? ""
                    #expect(data?["jobId"]?.stringValue == backupId)
                }
                try await client.execute(uri: "/api/jobs/\(backupId)", method: .get, headers: fixture.headers(.viewer)) { response throws in
                    let job = try json(response)["data"]
                    #expect(job?["name"] == "backup:manual" && job?["queue"] == "backup-queue")
                    #expect(job?["data"]?["serverId"]?.stringValue == serverId)
                    #expect(job?["attemptsAllowed"] == 3)
                }
                try await client.execute(uri: "/api/backups/\(backupId)", method: .get, headers: fixture.headers(.viewer)) { response throws in
                    let backup = try json(response)["data"]
                    #expect(backup?["status"] == "pending" && backup?["compression"] == "zstd" && backup?["paths"] == ["/etc", "/srv/it's here"])
                }
                try await client.execute(
                    uri: "/api/servers/\(serverId)/scan", method: .post, headers: fixture.headers(.operator),
                    body: body(["scanType": "deep"])
                ) { response throws in
                    #expect(response.status == .badRequest)
                }
                try await client.execute(
                    uri: "/api/servers/\(serverId)/scan", method: .post, headers: fixture.headers(.operator),
                    body: body(["scanType": "full"])
                ) { response throws in
                    #expect(response.status == .accepted)
                }
                try await client.execute(
                    uri: "/api/servers/\(serverId)/update", method: .post, headers: fixture.headers(.operator),
                    body: body(["mode": "apply"])
                ) { response throws in
                    #expect(response.status == .accepted)
                }
                try await client.execute(uri: "/api/jobs?serverId=\(serverId)", method: .get, headers: fixture.headers(.viewer)) { response throws in
                    #expect(try json(response)["data"]?["count"] == 3)
                }
            }
            let audit = try await AuditLogRepository(database: fixture.database).list()
            #expect(Set(audit.items.map(\.action)) == ["server.create", "backup.start", "scan.start", "update.start"])
            #expect(audit.items.allSatisfy { $0.actor.hasPrefix("user-") })
        }
    }
}
