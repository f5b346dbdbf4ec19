import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JSONSupport
import NIOCore
import Records
import Testing

/// The committed OpenAPI document is what the server does: the same routes, and each route's
/// `x-required-role` is the role it enforces.
@Suite struct OpenAPITests {
    static let callers: [UserRole?] = [nil, .viewer, .operator, .admin]

    /// The router as `serve` builds it, dashboard included: every `/api` route is documented, and
    /// every documented route is served. The dashboard's HTML pages (outside `/api`) are no API.
    @Test func documentListsExactlyTheRoutesTheRouterServes() async throws {
        try await DashboardFixture.run { fixture, client in
            let all = fixture.routes
            let document = try await Self.document(client)
            #expect(document["openapi"] == "3.1.0")
            let documented = Set(Self.operations(document).map { "\($0.method.uppercased()) \($0.path)" })
            let served = all.filter { $0.contains(" /api/") || documented.contains($0) }
            #expect(all.contains("GET /servers") && all.contains("GET /"), "the dashboard's pages are mounted")
            #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
            #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        }
    }

    @Test func everyRouteEnforcesItsRoleForEveryCaller() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            try await app.test(.router) { client in
                let operations = Self.operations(try await Self.document(client))
                #expect(operations.count >= 40)
                for operation in operations {
                    let required = operation.role == "none" ? nil : UserRole(rawValue: operation.role)
                    #expect(operation.role == "none" || required != nil, "\(operation.method) \(operation.path) names no known role")
                    let uri = operation.path.replacingOccurrences(of: "{id}", with: UUID().uuidString.lowercased())
                        .replacingOccurrences(of: "{name}", with: "update-queue")
                    for caller in Self.callers {
                        try await client.execute(
                            uri: uri, method: HTTPRequest.Method(operation.method.uppercased()) ?? .get,
                            headers: fixture.headers(caller), body: ByteBuffer(string: "{}")
                        ) { response throws in
                            let place = "\(operation.method.uppercased()) \(uri) as \(caller?.rawValue ?? "anonymous") → \(response.status.code)"
                            switch (required, caller) {
                            case (nil, _):
                                #expect(response.status != .unauthorized && response.status != .forbidden, "\(place)")
                            case (_?, nil):
                                #expect(response.status == .unauthorized, "\(place)")
                            case (let needed?, let role?):
                                if role >= needed {
                                    #expect(response.status != .unauthorized && response.status != .forbidden, "\(place)")
                                } else {
                                    #expect(response.status == .forbidden, "\(place)")
                                    #expect(try json(response)["error"]?["code"] == "forbidden", "\(place)")
                                }
                            }
                            #expect(response.status.code < 500, "\(place)")
                        }
                    }
                }
            }
        }
    }

    static func document(_ client: some TestClientProtocol) async throws -> JSONValue {
        try await client.execute(uri: "/openapi.json", method: .get) { response in
            #expect(response.status == .ok)
            return try json(response)
        }
    }

    static func operations(_ document: JSONValue) -> [(method: String, path: String, role: String)] {
        var result: [(method: String, path: String, role: String)] = []
        for (path, item) in document["paths"]?.objectValue ?? [:] {
            for (method, operation) in item.objectValue ?? [:] {
                result.append((method, path, operation["x-required-role"]?.stringValue ?? "missing"))
            }
        }
        return result.sorted { ($0.path, $0.method) < ($1.path, $1.method) }
    }
}
