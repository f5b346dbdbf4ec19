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
import Testing
import Tracing

struct AlwaysReady: ReadinessChecking {
    func checkReadiness() async -> ReadinessReport { ReadinessReport(checks: ["test": .init(ok: true, detail: "ok")]) }
}

/// A router over a migrated scratch database and queues of their own on the test Redis, with a
/// token per role.
struct APIFixture: Sendable {
    let redis: RedisConnectionPool
    let queues: [Queue]
    let tokens: [UserRole: String]
    let dependencies: APIDependencies
    let database: PostgresPool
    /// The API's BACKUP_DIR.
    let storage: String
    var router: Router<APIRequestContext> { get throws { try buildRouter(dependencies) } }

    /// The API over the fixture's dependencies with `change` made to them.
    func app(changing change: (inout APIDependencies) throws -> Void = { _ in }) throws -> some ApplicationProtocol {
        var changed = dependencies
        try change(&changed)
        return Application(router: try buildRouter(changed))
    }

    static func run(_ body: (APIFixture) async throws -> Void) async throws {
        let logger = testLogger("test.api", level: .critical)
        try await TestEnvironment.withMigratedDatabase(logger: logger) { pool in
            let users = UserRepository(database: pool, hasher: PasswordHasher(cost: 4))
            var tokens: [UserRole: String] = [:]
            for role in UserRole.allCases {
                let user = try await users.create(username: "user-\(role.rawValue)", password: "password-\(role.rawValue)", role: role)
                tokens[role] = try await users.createToken(userId: user.id, name: "test").token
            }
            let redis = try TestEnvironment.redisPool(maxConnections: 8, logger: logger)
            let prefix = TestEnvironment.uniqueName("mmapi")
            let storage = NSTemporaryDirectory() + "/" + TestEnvironment.uniqueName("mmapi-backups")
            let queues = try ["backup-queue", "scan-queue", "update-queue"].map { try Queue(name: $0, prefix: prefix, redis: redis) }
            let key = try EncryptionKey(hex: String(repeating: "7e", count: 32))
            // Wired as the platform wires itself: through PlatformServices.
            let configuration = PlatformConfiguration(vault: CredentialVault(current: key), backupDirectory: storage, queuePrefix: prefix)
            let resources = PlatformResources(
                configuration: configuration, redis: redis, postgres: pool, migrations: MigrationRunner(migrations: [], logger: logger))
            let services = try PlatformServices(
                resources: resources, vault: CredentialVault(current: key), jobMetrics: ServerJobMetrics(factory: MetricsRegistry().factory),
                tracer: NoOpTracer(), logger: logger)
            let sessions = SessionTokens(secret: SessionTokens.signingSecret(sessionSecret: nil, encryptionKey: key), lifetime: .seconds(60))
            let domain = services.domain(sessions: sessions, identityCache: nil, throttlingLogins: false)
            let dependencies = APIDependencies(
                readiness: AlwaysReady(), version: "test",
                authenticator: PlatformAuthenticator(users: users, sessions: sessions), queues: queues, domain: domain)
            let fixture = APIFixture(redis: redis, queues: queues, tokens: tokens, dependencies: dependencies, database: pool, storage: storage)
            try await withCleanup {
                try await body(fixture)
            } cleanup: {
                for queue in queues { try? await queue.obliterate(force: true) }
                await redis.close()
            }
        }
    }

    func headers(_ role: UserRole?) -> HTTPFields {
        guard let role, let token = tokens[role] else { return [:] }
        return [.authorization: "Bearer \(token)"]
    }
}

func json(_ response: TestResponse) throws -> JSONValue {
    try JSONValue(jsonText: String(buffer: response.body))
}

extension TestClientProtocol {
    /// Sends a request and expects `status`: the one check most steps of the API tests make.
    /// Returns the response's JSON (`null` when its body is not JSON) for the next step.
    @discardableResult
    func expect(
        _ status: HTTPResponse.Status, _ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: ByteBuffer? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSONValue {
        try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            #expect(response.status == status, sourceLocation: sourceLocation)
            return (try? json(response)) ?? .null
        }
    }
}
