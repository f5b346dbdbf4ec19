import BlockingIO
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import Logging
import PlatformRuntime
import PostgresClient
import Records
import RedisClient
import TestSupport
import Testing

@Suite struct HealthEndpointTests {
    private func logger() -> Logger {
        var logger = Logger(label: "test.platform")
        logger.logLevel = .warning
        return logger
    }

    private func configuration(postgres: PostgresConfiguration, redisURL: String? = nil) throws -> PlatformConfiguration {
        var configuration = PlatformConfiguration()
        configuration.redis = try RedisConfiguration(url: redisURL ?? TestEnvironment.require("MM_TEST_REDIS_URL"))
        configuration.postgres = postgres
        configuration.migrationsDirectory = try TestEnvironment.require("MM_TEST_ROOT") + "/migrations"
        configuration.readinessTimeout = .seconds(5)
        // /ready shows its details (hosts, reasons) to callers with a token only.
        configuration.metricsToken = Self.probeToken
        return configuration
    }

    static let probeToken = "health-test-probe-token"
    static let probeHeaders: HTTPFields = [.authorization: "Bearer \(probeToken)"]

    private func readiness(_ response: TestResponse) throws -> ReadinessReport {
        try JSONDecoder().decode(ReadinessReport.self, from: Data(String(buffer: response.body).utf8))
    }

    @Test func healthAnswersWithoutDependencies() async throws {
        var configuration = PlatformConfiguration()
        configuration.redis = RedisConfiguration(port: 1)
        configuration.postgres = PostgresConfiguration(url: "postgres://nobody@127.0.0.1:1/none")
        configuration.migrationsDirectory = try TestEnvironment.require("MM_TEST_ROOT") + "/migrations"
        let resources = try PlatformResources(configuration: configuration, logger: logger())
        let app = try PlatformServer(configuration: configuration, logger: logger()).makeApplication(resources: resources)
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"status\":\"ok\""))
            }
        }
        await resources.close()
    }

    @Test func readyFollowsMigrationsAndRedis() async throws {
        try await TestEnvironment.withScratchDatabase(logger: logger()) { postgres in
            let configuration = try configuration(postgres: postgres)
            let resources = try PlatformResources(configuration: configuration, logger: logger())
            let app = try PlatformServer(configuration: configuration, logger: logger()).makeApplication(resources: resources)
            try await app.test(.router) { client in
                // Empty database: reachable, but the schema is missing.
                try await client.execute(uri: "/ready", method: .get, headers: Self.probeHeaders) { response in
                    #expect(response.status == .serviceUnavailable)
                    let report = try readiness(response)
                    #expect(report.checks["redis"]?.ok == true)
                    #expect(report.checks["postgres"]?.ok == true)
                    #expect(report.checks["migrations"]?.ok == false)
                    #expect(report.reasons.contains { $0.contains("medicineman migrate") })
                }
                try await resources.migrate(logger: logger())
                // The last report answers for up to a second (probes share one check).
                let ready = try await eventually {
                    try await client.execute(uri: "/ready", method: .get, headers: Self.probeHeaders) { response in
                        try response.status == .ok && readiness(response).status == "ready"
                    }
                }
                #expect(ready)
            }
            await resources.close()
        }
    }

    /// An anonymous flood of probes costs one check of the dependencies at a time, not one per
    /// request: every probe answers, and the answers are the reports of at most one check per
    /// second of the flood (a report is shared verbatim, latencies included).
    @Test func aFloodOfAnonymousProbesSharesOneCheck() async throws {
        let configuration = try configuration(postgres: PostgresConfiguration(url: TestEnvironment.require("MM_TEST_DATABASE_URL")))
        let resources = try PlatformResources(configuration: configuration, logger: logger())
        try await resources.migrate(logger: logger())
        let app = try PlatformServer(configuration: configuration, logger: logger()).makeApplication(resources: resources)
        let clock = ContinuousClock()
        let start = clock.now
        let answers = try await app.test(.router) { client in
            try await withThrowingTaskGroup(of: (HTTPResponse.Status, String).self) { group in
                for _ in 0..<400 {
                    group.addTask { try await client.execute(uri: "/ready", method: .get) { ($0.status, String(buffer: $0.body)) } }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        let seconds = Int((clock.now - start).components.seconds)
        await resources.close()
        #expect(answers.count == 400)
        #expect(answers.allSatisfy { $0.0 == .ok })
        let reports = Set(answers.map(\.1))
        #expect(reports.count <= seconds + 2, "\(reports.count) distinct reports in \(seconds) s: the probes did not share their checks")
    }

    /// On a worker's probe server only `METRICS_TOKEN` unlocks the details: an API token is not
    /// looked up (an anonymous caller could otherwise make every request a PostgreSQL query).
    @Test func aWorkersProbesShowDetailsForTheMetricsTokenOnly() async throws {
        try await TestEnvironment.withScratchDatabase(logger: logger()) { postgres in
            let configuration = try configuration(postgres: postgres)
            let resources = try PlatformResources(configuration: configuration, logger: logger())
            try await withCleanup {
                try await resources.migrate(logger: logger())
                let users = UserRepository(database: resources.postgres)
                let user = try await users.create(username: "probe-admin", password: "probe-admin-password", role: .admin)
                let apiToken = try await users.createToken(userId: user.id, name: "probe").token
                let app = try PlatformServer(configuration: configuration, logger: logger())
                    .makeProbeApplication(resources: resources, metrics: MetricsRegistry())
                try await app.test(.router) { client in
                    let withAPIToken = try await client.execute(uri: "/ready", method: .get, headers: [.authorization: "Bearer \(apiToken)"]) {
                        String(buffer: $0.body)
                    }
                    #expect(!withAPIToken.contains("127.0.0.1") && withAPIToken.contains("\"detail\":\"ok\""), "\(withAPIToken)")
                    let withMetricsToken = try await client.execute(uri: "/ready", method: .get, headers: Self.probeHeaders) { String(buffer: $0.body) }
                    #expect(withMetricsToken.contains("127.0.0.1"), "\(withMetricsToken)")
                    // The shared report holds the details; an anonymous caller still gets them redacted.
                    let anonymous = try await client.execute(uri: "/ready", method: .get) { String(buffer: $0.body) }
                    #expect(!anonymous.contains("127.0.0.1") && anonymous.contains("\"detail\":\"ok\""), "\(anonymous)")
                }
            } cleanup: {
                await resources.close()
            }
        }
    }

    @Test func readyIs503WithAReasonWhenRedisIsDown() async throws {
        var configuration = try configuration(postgres: PostgresConfiguration(url: TestEnvironment.require("MM_TEST_DATABASE_URL")))
        configuration.redis = RedisConfiguration(port: 1)
        let resources = try PlatformResources(configuration: configuration, logger: logger())
        let app = try PlatformServer(configuration: configuration, logger: logger()).makeApplication(resources: resources)
        try await resources.migrate(logger: logger())
        try await app.test(.router) { client in
            try await client.execute(uri: "/ready", method: .get, headers: Self.probeHeaders) { response in
                #expect(response.status == .serviceUnavailable)
                let report = try readiness(response)
                #expect(report.checks["redis"]?.ok == false)
                #expect(report.checks["postgres"]?.ok == true)
                #expect(report.reasons.first?.hasPrefix("redis:") == true)
                #expect(report.reasons.first?.contains("refused") == true)
            }
        }
        await resources.close()
    }

    @Test func readyIs503WhenPostgresIsDown() async throws {
        var configuration = try configuration(postgres: PostgresConfiguration(url: "postgres://mm:secret@127.0.0.1:1/none"))
        configuration.readinessTimeout = .seconds(5)
        let resources = try PlatformResources(configuration: configuration, logger: logger())
        let app = try PlatformServer(configuration: configuration, logger: logger()).makeApplication(resources: resources)
        try await app.test(.router) { client in
            try await client.execute(uri: "/ready", method: .get, headers: Self.probeHeaders) { response in
                #expect(response.status == .serviceUnavailable)
                let body = String(buffer: response.body)
                #expect(!body.contains("secret"))
                let report = try readiness(response)
                #expect(report.checks["postgres"]?.ok == false)
                #expect(report.checks["redis"]?.ok == true)
            }
        }
        await resources.close()
    }
}
