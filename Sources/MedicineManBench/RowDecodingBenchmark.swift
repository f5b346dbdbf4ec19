import ArgumentParser
import BlockingIO
import Foundation
import Logging
import PostgresClient

/// How fast rows become records through `PostgresRow.decodeRecord` (the Decoder every record
/// type uses) beside the same record decoded column by column by hand (the reference), over one
/// result of server-shaped rows fetched once.
struct RowDecodingBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "row-decoding",
        abstract: "Fetch --rows server-shaped rows, then time decoding them by hand and through decodeRecord.")

    @Option(help: "PostgreSQL URL.") var database: String
    @Option(help: "Rows in the result.") var rows = 20_000
    @Option(help: "Timed runs of each decoder (the median is printed).") var runs = 15

    enum AuthType: String, Decodable { case key, password }

    /// The columns and types of `Records.Server`.
    struct ServerRow: Decodable {
        var id: UUID
        var name: String
        var host: String
        var port: Int
        var username: String
        var authType: AuthType
        var hostKeyFingerprint: String?
        var tags: [String]
        var description: String
        var online: Bool?
        var lastCheckedAt: Date?
        var lastCheckError: String?
        var createdAt: Date
        var updatedAt: Date

        init(byHand row: PostgresRow) throws {
            id = try row.decode("id")
            name = try row.decode("name")
            host = try row.decode("host")
            port = try row.decode("port")
            username = try row.decode("username")
            guard let authType = AuthType(rawValue: try row.decode("auth_type")) else { throw ValidationError("auth_type") }
            self.authType = authType
            hostKeyFingerprint = try row.decodeIfPresent("host_key_fingerprint")
            tags = try row.decode("tags")
            description = try row.decode("description")
            online = try row.decodeIfPresent("online")
            lastCheckedAt = try row.decodeIfPresent("last_checked_at")
            lastCheckError = try row.decodeIfPresent("last_check_error")
            createdAt = try row.decode("created_at")
            updatedAt = try row.decode("updated_at")
        }
    }

    func run() async throws {
        let connection = PostgresConnection(configuration: PostgresConfiguration(url: database), logger: Logger(label: "bench.rows"))
        let result = try await connection.query(
            """
            SELECT gen_random_uuid() AS id, 'web-' || n AS name, '10.0.' || (n % 250) || '.' || (n % 200) AS host, 22 AS port,
                   'backup' AS username, CASE WHEN n % 2 = 0 THEN 'key' ELSE 'password' END AS auth_type,
                   CASE WHEN n % 3 = 0 THEN NULL ELSE 'SHA256:' || md5(n::text) END AS host_key_fingerprint,
                   ARRAY['prod', 'web', 'rack-' || (n % 9)] AS tags, 'a server of the benchmark' AS description,
                   CASE WHEN n % 5 = 0 THEN NULL ELSE n % 2 = 0 END AS online, now() AS last_checked_at,
                   NULL::text AS last_check_error, now() AS created_at, now() AS updated_at
            FROM generate_series(1, $1) AS n
            """, [rows])
        await connection.close()
        var byHand: [Double] = []
        var decoder: [Double] = []
        for _ in 0..<runs {
            byHand.append(try Self.time { try result.rows.map(ServerRow.init(byHand:)) })
            decoder.append(try Self.time { try result.rows.map { try $0.decodeRecord(ServerRow.self) } })
        }
        let hand = byHand.sorted()[runs / 2]
        let decoded = decoder.sorted()[runs / 2]
        print(String(format: "rows %d, runs %d (medians)", rows, runs))
        print(String(format: "by hand (reference): %.1f ms, %.0f rows/s", hand * 1000, Double(rows) / hand))
        print(String(format: "decodeRecord:        %.1f ms, %.0f rows/s (%.2f× the reference's time)", decoded * 1000, Double(rows) / decoded, decoded / hand))
    }

    private static func time<Result>(_ body: () throws -> [Result]) throws -> Double {
        let started = ContinuousClock.now
        let decoded = try body()
        let elapsed = (ContinuousClock.now - started).inSeconds
        guard !decoded.isEmpty else { throw ValidationError("the result had no rows") }
        return elapsed
    }
}
