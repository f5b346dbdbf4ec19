import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JSONSupport
import NIOCore
import PostgresClient
import Records
import Testing

@Suite struct WebhooksAPITests {
    @Test func createShowUpdateListAndDelete() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            try await app.test(.router) { client in
                let invalid: [(String, String)] = [
                    (#"{"events":["backup.failed"]}"#, "url"),
                    (#"{"url":"https://hooks.example.com/x"}"#, "events"),
                    (#"{"url":"ftp://hooks.example.com/x","events":["backup.failed"]}"#, "url"),
                    (#"{"url":"https://hooks.example.com/x","events":[]}"#, "events"),
                    (#"{"url":"https://hooks.example.com/x","events":["backup.exploded"]}"#, "events"),
                    (#"{"url":"https://hooks.example.com/x","events":["backup.failed"],"format":"xml"}"#, "format"),
                    (#"{"url":"https://hooks.example.com/x","events":["backup.failed"],"secret":"mine"}"#, "secret"),
                    (#"{"url":"https://hooks.example.com/\#(String(repeating: "a", count: 2100))","events":["backup.failed"]}"#, "url"),
                    (#"{"url":"https://hooks.example.com/a b","events":["backup.failed"]}"#, "url"),
                ]
                for (body, field) in invalid {
                    try await client.execute(uri: "/api/webhooks", method: .post, headers: fixture.headers(.admin), body: ByteBuffer(string: body)) { response throws in
                        #expect(response.status == .badRequest, "\(body.prefix(120))")
                        #expect(try json(response)["error"]?["details"]?["fields"] == [.string(field)], "\(body.prefix(120))")
                    }
                }
                let created = #"{"url":"https://hooks.example.com/services/T1/B2/tokenpart","events":["backup.failed","backup.failed","queue.unhealthy"],"format":"slack"}"#
                let (id, secret) = try await client.execute(
                    uri: "/api/webhooks", method: .post, headers: fixture.headers(.admin),
                    body: ByteBuffer(string: created)
                ) { response throws in
                    #expect(response.status == .created)
                    let data = try json(response)["data"]
                    #expect(data?["events"] == ["backup.failed", "queue.unhealthy"] && data?["format"] == "slack" && data?["enabled"] == true)
                    return (data?["id"]?.stringValue ?? "", data?["secret"]?.stringValue ?? "")
                }
                #expect(secret.count == 64 && secret.allSatisfy(\.isHexDigit))
                try await client.execute(
                    uri: "/api/webhooks/\(id)", method: .patch, headers: fixture.headers(.admin),
                    body: ByteBuffer(string: #"{"enabled":false,"format":"json"}"#)
                ) { response throws in
                    #expect(response.status == .ok)
                    let data = try json(response)["data"]
                    // The URL is sealed: only its origin is shown (a Slack URL's path is a credential).
                    #expect(data?["enabled"] == false && data?["format"] == "json" && data?["urlOrigin"] == "https://hooks.example.com")
                    #expect(data?["url"] == nil && !String(buffer: response.body).contains("tokenpart"))
                }
                // A new URL is sealed too: neither the answer nor the audit log shows its path.
                try await client.execute(
                    uri: "/api/webhooks/\(id)", method: .patch, headers: fixture.headers(.admin),
                    body: ByteBuffer(string: #"{"url":"HTTPS://Chat.Example.net/hooks/newtokenpart"}"#)
                ) { response throws in
                    #expect(response.status == .ok)
                    #expect(try json(response)["data"]?["urlOrigin"] == "https://chat.example.net")
                    #expect(!String(buffer: response.body).contains("newtokenpart"))
                }
                let audit = try await fixture.database.query("SELECT details::text AS details FROM audit_log WHERE resource_type = 'webhook'").rows
                    .map { try $0.decode("details", as: String.self) }
                #expect(audit.contains { $0.contains("chat.example.net") } && audit.allSatisfy { !$0.contains("tokenpart") })
                try await client.execute(
                    uri: "/api/webhooks/\(id)", method: .patch, headers: fixture.headers(.admin),
                    body: ByteBuffer(string: #"{"url":"http://10.1.2.3/hook"}"#)
                ) { response throws in
                    #expect(response.status == .badRequest)
                    #expect(try json(response)["error"]?["details"]?["fields"] == ["url"])
                }
                try await client.execute(uri: "/api/webhooks?limit=10", method: .get, headers: fixture.headers(.admin)) { response throws in
                    #expect(try json(response)["data"]?["total"] == 1)
                }
                try await client.execute(uri: "/api/webhooks/\(id)/deliveries", method: .get, headers: fixture.headers(.admin)) { response throws in
                    #expect(response.status == .ok)
                    #expect(try json(response)["data"]?["total"] == 0)
                }
                for method in [HTTPRequest.Method.get, .delete] {
                    try await client.execute(uri: "/api/webhooks/\(id)", method: method, headers: fixture.headers(.operator)) { response throws in
                        #expect(response.status == .forbidden)
                    }
                }
                try await client.expect(.ok, .delete, "/api/webhooks/\(id)", headers: fixture.headers(.admin))
                try await client.expect(.notFound, .get, "/api/webhooks/\(id)", headers: fixture.headers(.admin))
            }
            let domain = try #require(fixture.dependencies.domain)
            let actions = try await domain.audit.list(resourceType: "webhook").items.map(\.action)
            #expect(actions.sorted() == ["webhook.create", "webhook.delete", "webhook.update", "webhook.update"])
        }
    }
}
