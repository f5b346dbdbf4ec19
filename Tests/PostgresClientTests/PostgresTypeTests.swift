import Foundation
import PostgresClient
import Testing

@Suite struct PostgresTypeTests {
    struct Payload: Codable, Equatable, Sendable {
        var name: String
        var sizes: [Int]
    }

    @Test func everyTypeRoundTrips() async throws {
        let db = try makeConnection()
        let id = UUID()
        let now = Date(timeIntervalSince1970: 1_790_000_000.123456)
        let row = try #require(
            try await db.query(
                """
                SELECT $1::text AS t, $2::int AS i, $3::bigint AS b, $4::bool AS flag, $5::uuid AS id,
                       $6::timestamptz AS at, $7::jsonb AS doc, $8::text[] AS list, $9::bytea AS raw,
                       $10::float8 AS ratio, $11::text AS missing
                """,
                [
                    "héllo \"wörld\"", Int32(-42), Int64.max, true, id, now,
                    PostgresJSON(Payload(name: "backup", sizes: [1, 2, 3])), ["a", "b c", "quote\"d", "back\\slash", ""],
                    PostgresBytes([0, 1, 2, 255, 0]), 0.25, nil,
                ]
            ).first)
        #expect(try row.decode("t", as: String.self) == "héllo \"wörld\"")
        #expect(try row.decode("i", as: Int32.self) == -42)
        #expect(try row.decode("b", as: Int64.self) == Int64.max)
        #expect(try row.decode("flag", as: Bool.self))
        #expect(try row.decode("id", as: UUID.self) == id)
        let decodedDate = try row.decode("at", as: Date.self)
        #expect(abs(decodedDate.timeIntervalSince(now)) < 0.000_001)
        #expect(try row.decode("doc", as: PostgresJSON<Payload>.self).value == Payload(name: "backup", sizes: [1, 2, 3]))
        #expect(try row.decode("list", as: [String].self) == ["a", "b c", "quote\"d", "back\\slash", ""])
        #expect(try row.decode("raw", as: PostgresBytes.self) == PostgresBytes([0, 1, 2, 255, 0]))
        #expect(try row.decode("ratio", as: Double.self) == 0.25)
        #expect(try row.decodeIfPresent("missing", as: String.self) == nil)
        #expect(throws: PostgresError.self) { try row.decode("missing", as: String.self) }
    }

    @Test func parametersAreNeverSQL() async throws {
        let db = try makeConnection()
        let hostile = "'); DROP TABLE pg_class; --"
        let unicode = "日本語 🚀 Ünïcødé"
        let row = try #require(try await db.query("SELECT $1::text AS a, $2::text AS b, length($2) AS n", [hostile, unicode]).first)
        #expect(try row.decode("a", as: String.self) == hostile)
        #expect(try row.decode("b", as: String.self) == unicode)
        #expect(try row.decode("n", as: Int.self) == unicode.unicodeScalars.count)
    }

    @Test func decodingTheWrongTypeIsAClearError() async throws {
        let db = try makeConnection()
        let row = try #require(try await db.query("SELECT 'abc'::text AS word").first)
        let error = try #require(throws: PostgresError.self, "decoding text as Int should fail") {
            _ = try row.decode("word", as: Int.self)
        }
        #expect(error.code == .decodingFailed)
        #expect(error.message.contains("word"))
        #expect(throws: PostgresError.self) { try row.decode("nope", as: String.self) }
    }
}
