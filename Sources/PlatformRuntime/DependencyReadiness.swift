import BlockingIO
import ErrorCodes
package import HTTPAPI
import PostgresClient
import RedisClient

/// Answers `GET /ready`: Redis answers PING, PostgreSQL answers a query, and every migration file
/// is applied. Each probe is bounded by the readiness timeout so a hung dependency cannot hang it.
package struct DependencyReadiness: ReadinessChecking {
    let resources: PlatformResources

    package init(resources: PlatformResources) {
        self.resources = resources
    }

    package func checkReadiness() async -> ReadinessReport {
        async let redis = probe("redis") { try await pingRedis() }
        async let postgres = probe("postgres") { try await checkPostgres() }
        async let migrations = probe("migrations") { try await checkMigrations() }
        return ReadinessReport(checks: ["redis": await redis, "postgres": await postgres, "migrations": await migrations])
    }

    private func pingRedis() async throws -> String {
        // After a Redis restart the pooled connection fails once with a retryable error and
        // reconnects on the next command, so one retry tells "restarted" from "down".
        let reply: RESPValue
        do {
            reply = try await resources.redis.command("PING")
        } catch let error as RedisError where error.code == .connectionLost {
            reply = try await resources.redis.command("PING")
        }
        guard reply.string == "PONG" else { throw ProbeFailure(message: "unexpected PING reply \(reply)") }
        return "PING answered at \(resources.configuration.redis.redactedDescription)"
    }

    private func checkPostgres() async throws -> String {
        let query = { try await resources.postgres.query("SELECT 1 AS ok") }
        do {
            _ = try await query()
        } catch let error as PostgresError where error.code == .connectionLost {
            _ = try await query()
        }
        return "query answered at \(resources.configuration.postgres.redactedDescription)"
    }

    private func checkMigrations() async throws -> String {
        let status = try await resources.postgres.withConnection { try await resources.migrations.status(on: $0) }
        guard status.isCurrent else {
            let pending = status.pending.map { "\($0.version)_\($0.name)" }.joined(separator: ", ")
            throw ProbeFailure(message: "\(status.pending.count) migration(s) not applied: \(pending); run `medicineman migrate`")
        }
        return "\(status.applied.count) migration(s) applied"
    }

    private func probe(_ name: String, _ body: @escaping @Sendable () async throws -> String) async -> ReadinessReport.Check {
        let clock = ContinuousClock()
        let start = clock.now
        let timeout = resources.configuration.readinessTimeout
        let outcome = await FirstAnswer.race(timeout: timeout, body)
        let latency = Self.milliseconds(clock.now - start)
        switch outcome {
        case .success(let detail): return .init(ok: true, latencyMs: latency, detail: detail)
        case .failure(let error): return .init(ok: false, latencyMs: latency, detail: Self.describe(error))
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case let error as RedisError: return error.message
        case let error as PostgresError: return error.message
        case let error as ProbeFailure: return error.message
        default: return "\(error)"
        }
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        (duration.inMilliseconds * 10).rounded() / 10
    }

    struct ProbeFailure: Error {
        let message: String
    }
}
