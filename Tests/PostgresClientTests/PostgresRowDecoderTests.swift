import Foundation
import PostgresClient
import Testing

@Suite struct PostgresRowDecoderTests {
    enum Kind: String, Codable { case manual, scheduled }
    struct Limits: Codable, Equatable {
        var keepLast: Int?
        var daily: Int?
    }
    struct Record: Decodable, Equatable {
        var id: UUID
        var serverName: String
        var kind: Kind
        var paths: [String]
        var lastError: String?
        var limits: Limits
        var sizeBytes: Int64?
    }

    private func row(_ select: String) async throws -> PostgresRow {
        let db = try makeConnection()
        let first = try await db.query(select).first
        await db.close()
        return try #require(first)
    }

    @Test func columnsAreTheKeysInSnakeCaseWithEnumsArraysNullsAndJSON() async throws {
        let id = UUID()
        let decoded: Record = try await row(
            """
            SELECT '\(id.lowercasedText)'::uuid AS id, 'web-1' AS server_name, 'scheduled' AS kind, ARRAY['/etc', '/srv'] AS paths,
                   NULL::text AS last_error, json_build_object('keepLast', 3, 'daily', NULL) AS limits, 42::bigint AS size_bytes
            """
        ).decodeRecord()
        #expect(decoded == Record(id: id, serverName: "web-1", kind: .scheduled, paths: ["/etc", "/srv"], lastError: nil, limits: Limits(keepLast: 3), sizeBytes: 42))
    }

    @Test func aMissingColumnAnUnknownEnumValueAndANullInARequiredFieldNameTheColumn() async throws {
        let base = "'\(UUID().lowercasedText)'::uuid AS id, 'web-1' AS server_name, ARRAY[]::text[] AS paths, NULL::text AS last_error"
        let limits = "json_build_object() AS limits, NULL::bigint AS size_bytes"
        let cases: [(select: String, mentions: String)] = [
            ("SELECT \(base), 'manual' AS kind", "limits"),
            ("SELECT \(base), 'sideways' AS kind, \(limits)", "sideways"),
            ("SELECT \(base), NULL::text AS kind, \(limits)", "kind"),
            ("SELECT \(base), 'manual' AS kind, '[1]'::jsonb AS limits, NULL::bigint AS size_bytes", "Limits"),
        ]
        for (select, mentions) in cases {
            let decoding = try await row(select)
            let error = try #require(throws: PostgresError.self) { try decoding.decodeRecord(Record.self) }
            #expect(error.code == .decodingFailed)
            #expect("\(error)".contains(mentions), "\(error)")
            #expect("\(error)".contains("column"), "\(error)")
        }
    }

    struct Named: Decodable, Equatable {
        var serverName: String
        var count: Int?
    }

    /// Two columns that read as one key are refused rather than one silently winning; a string
    /// property of a json column reads the JSON string; `allKeys` lists the columns.
    @Test func ambiguousColumnsAreRefusedAndJSONStringsAreUnquoted() async throws {
        let twice = try await row("SELECT 'a' AS server_name, 'b' AS \"serverName\", 1 AS count")
        let error = try #require(throws: PostgresError.self) { try twice.decodeRecord(Named.self) }
        #expect("\(error)".contains("two columns"), "\(error)")
        let json = try await row("SELECT to_json('web-1'::text) AS server_name, NULL::int AS count")
        #expect(try json.decodeRecord(Named.self) == Named(serverName: "web-1"))
        let keys = try await row("SELECT 'x' AS server_name, 'y' AS last_error")
        #expect(try keys.decodeRecord([String: String].self) == ["serverName": "x", "lastError": "y"])
    }
}

extension UUID {
    fileprivate var lowercasedText: String { uuidString.lowercased() }
}
