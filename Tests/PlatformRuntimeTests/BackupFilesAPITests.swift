import Crypto
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSONSupport
import NIOCore
import Records
import ServerJobs
import TestSupport
import Testing

/// Backups made here from local GNU tar archives (a full and an incremental of one tree),
/// verified so their manifests are written, for the file listing, diff and download routes.
struct BrowseFixture {
    let api: APIFixture
    let server: Server
    let other: Server
    let work: String
    /// The archived tree: `src/...`.
    var source: String { work + "/src" }

    static func run(_ body: (BrowseFixture) async throws -> Void) async throws {
        try await APIFixture.run { api in
            let domain = try #require(api.dependencies.domain)
            let server = try await domain.servers.create(NewServer(name: "browse", host: "files.example.com", username: "u", authType: .password, credential: "pw"))
            let other = try await domain.servers.create(NewServer(name: "browse-other", host: "other.example.com", username: "u", authType: .password, credential: "pw"))
            let work = NSTemporaryDirectory() + TestEnvironment.uniqueName("mm-browse")
            try FileManager.default.createDirectory(atPath: work + "/src/docs", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: work) }
            try await body(BrowseFixture(api: api, server: server, other: other, work: work))
        }
    }

    /// Archives `src` (GNU incremental against `snap`), stores it as a completed backup of
    /// `server` after `base`, and verifies it unless `verify` is false.
    func backUp(on server: Server? = nil, after base: Backup? = nil, verify: Bool = true) async throws -> Backup {
        let domain = try #require(api.dependencies.domain)
        let record = try await domain.backups.create(serverId: (server ?? self.server).id, kind: .manual, paths: [source], compression: .gzip)
        let storage = BackupStorage(root: api.storage)
        let location = try storage.location(for: BackupRequest(record))
        try FileManager.default.createDirectory(atPath: (location.absolute as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = try await ChildProcess.run("/bin/sh", ["-c", "cd \(ShellArgument.quote(work)) && tar --create --gzip --listed-incremental=snap --file=\(ShellArgument.quote(location.absolute)) src"])
        let attributes = try FileManager.default.attributesOfItem(atPath: location.absolute)
        let shape = ArchiveShape(type: base == nil ? .full : .incremental, base: base?.id, chainPosition: base.map { $0.chainPosition + 1 } ?? 0)
        let done = try await domain.backups.markCompleted(
            id: record.id, filePath: location.relative, size: (attributes[.size] as? NSNumber)?.int64Value ?? 0,
            sha256: try ArchiveVerifier.sha256(of: location.absolute), shape: shape)
        if verify { #expect(await ArchiveVerifier.verify(done, in: storage).verified) }
        return done
    }

    func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: work + "/" + path))
    }
}

func jsonHeaders(_ headers: HTTPFields) -> HTTPFields {
    var fields = headers
    fields[.contentType] = "application/json"
    return fields
}

extension JSONValue {
    /// An array's elements.
    var elements: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }
}

func sha256Hex(_ bytes: some Sequence<UInt8>) -> String {
    SHA256.hash(data: Array(bytes)).map { String(format: "%02x", $0) }.joined()
}

@Suite struct BackupFilesAPITests {
    @Test func listsPagesComposesAnIncrementalDiffsAndDownloads() async throws {
        try await BrowseFixture.run { browse in
            for index in 0..<12 { try browse.write("src/docs/n\(String(format: "%02d", index))", "note \(index)\n") }
            try browse.write("src/gone", "to be deleted\n")
            try browse.write("src/changed", "before\n")
            let full = try await browse.backUp()
            try FileManager.default.removeItem(atPath: browse.work + "/src/gone")
            try await Task.sleep(for: .seconds(1))
            try browse.write("src/changed", "after, longer\n")
            try browse.write("src/added", String(repeating: "x", count: 100_000))
            let incremental = try await browse.backUp(after: full)
            let unverified = try await browse.backUp(after: incremental, verify: false)
            let headers = browse.api.headers(.viewer)
            @Sendable func id(_ backup: Backup) -> String { backup.id.uuidString.lowercased() }
            let app = Application(router: try browse.api.router)
            try await app.test(.router) { client in
                var after: String?
                var seen: [String] = []
                repeat {
                    let cursor = after.map { "&after=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") } ?? ""
                    try await client.execute(uri: "/api/backups/\(id(full))/files?prefix=src/docs/&limit=5\(cursor)", method: .get, headers: headers) { response throws in
                        #expect(response.status == .ok)
                        let data = try json(response)["data"]
                        seen += data?["items"]?.elements?.compactMap { $0["path"]?.stringValue } ?? []
                        after = data?["nextAfter"]?.stringValue
                    }
                } while after != nil && seen.count < 100
                #expect(seen == (0..<12).map { "src/docs/n" + String(format: "%02d", $0) })
                try await client.execute(uri: "/api/backups/\(id(incremental))/files?limit=1000", method: .get, headers: headers) { response throws in
                    let items = try json(response)["data"]?["items"]?.elements ?? []
                    let paths = items.compactMap { $0["path"]?.stringValue }
                    #expect(paths.contains("src/added") && paths.contains("src/docs/n00") && !paths.contains("src/gone"), "\(paths)")
                    let changed = items.first { $0["path"]?.stringValue == "src/changed" }
                    #expect(changed?["size"] == 14 && changed?["sha256"]?.stringValue == sha256Hex(Array("after, longer\n".utf8)))
                }
                try await client.execute(uri: "/api/backups/\(id(unverified))/files", method: .get, headers: headers) { response throws in
                    #expect(response.status == .conflict)
                    let body = try json(response)
                    #expect(body["error"]?["code"] == "manifest_missing" && body["message"]?.stringValue?.contains("verify the backup") == true)
                }
                try await client.execute(uri: "/api/backups/\(id(incremental))/diff?against=\(id(full))", method: .get, headers: headers) { response throws in
                    #expect(response.status == .ok)
                    let data = try json(response)["data"]
                    #expect(data?["added"]?.elements?.compactMap { $0["path"]?.stringValue } == ["src/added"])
                    #expect(data?["removed"]?.elements?.compactMap { $0["path"]?.stringValue } == ["src/gone"])
                    #expect(data?["changed"]?.elements?.compactMap { $0["path"]?.stringValue }.contains("src/changed") == true)
                    #expect(data?["truncated"] == false)
                }
                for (backup, path) in [(full, "src/docs/n03"), (incremental, "src/added"), (incremental, "src/docs/n03"), (incremental, "src/changed")] {
                    try await client.execute(uri: "/api/backups/\(id(backup))/download?path=\(path)", method: .get, headers: browse.api.headers(.operator)) { response throws in
                        #expect(response.status == .ok)
                        #expect(response.headers[.contentType] == "application/octet-stream")
                        #expect(response.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"") == true)
                        let expected = try Data(contentsOf: URL(fileURLWithPath: browse.work + "/" + path))
                        #expect(sha256Hex(response.body.readableBytesView) == sha256Hex(expected), "\(path)")
                    }
                }
                try await client.execute(uri: "/api/backups/\(id(full))/download?path=src/added", method: .get, headers: browse.api.headers(.operator)) { response throws in
                    #expect(response.status == .notFound, "added after the full backup")
                }
                try await client.execute(uri: "/api/backups/\(id(incremental))/download?path=src/docs", method: .get, headers: browse.api.headers(.operator)) { response throws in
                    #expect(response.status == .conflict, "a directory is not downloadable")
                }
                let restore = #"{"paths": ["src/added", "src/docs/n01"]}"#
                try await client.execute(
                    uri: "/api/backups/\(id(incremental))/restore", method: .post, headers: jsonHeaders(browse.api.headers(.operator)),
                    body: ByteBuffer(string: restore)
                ) { response throws in
                    #expect(response.status == .accepted)
                }
                try await client.execute(
                    uri: "/api/backups/\(id(incremental))/restore", method: .post, headers: jsonHeaders(browse.api.headers(.operator)),
                    body: ByteBuffer(string: #"{"paths": ["src/gone"]}"#)
                ) { response throws in
                    #expect(response.status == .notFound, "deleted before this backup")
                }
            }
        }
    }
}

/// What a careless or hostile caller tries against the file routes.
@Suite struct AttackBackupFilesAPITests {
    @Test func pathsRolesIdsOtherServersAndLimitsAreRefused() async throws {
        try await BrowseFixture.run { browse in
            try browse.write("src/secret", "s3cret\n")
            let backup = try await browse.backUp()
            let foreign = try await browse.backUp(on: browse.other)
            let id = backup.id.uuidString.lowercased()
            let app = Application(router: try browse.api.router)
            let operatorHeaders = browse.api.headers(.operator)
            try await app.test(.router) { client in
                for path in ["../etc/passwd", "src/../src/secret", "/etc/passwd", "src/%00secret", "src/secret%0A", "", "./src/secret"] {
                    try await client.execute(uri: "/api/backups/\(id)/download?path=\(path)", method: .get, headers: operatorHeaders) { response throws in
                        #expect(response.status == .badRequest, "\(path)")
                    }
                }
                try await client.expect(.forbidden, .get, "/api/backups/\(id)/download?path=src/secret", headers: browse.api.headers(.viewer))
                try await client.expect(.unauthorized, .get, "/api/backups/\(id)/download?path=src/secret")
                for shape in ["not-a-uuid", "1", "..%2F..%2Fetc", String(repeating: "a", count: 300)] {
                    try await client.execute(uri: "/api/backups/\(shape)/files", method: .get, headers: operatorHeaders) { response throws in
                        #expect(response.status == .badRequest || response.status == .notFound, "\(shape)")
                    }
                }
                try await client.expect(.notFound, .get, "/api/backups/\(UUID().uuidString.lowercased())/files", headers: operatorHeaders)
                try await client.execute(uri: "/api/backups/\(id)/diff?against=\(foreign.id.uuidString.lowercased())", method: .get, headers: operatorHeaders) { response throws in
                    #expect(response.status == .badRequest)
                    #expect(try json(response)["error"]?["details"]?["fields"] == ["against"])
                }
                for query in ["limit=100000", "limit=0", "limit=-1", "limit=abc", "prefix=%00", "after=%01"] {
                    try await client.execute(uri: "/api/backups/\(id)/files?\(query)", method: .get, headers: operatorHeaders) { response throws in
                        #expect(response.status == .badRequest, "\(query)")
                    }
                }
                let bodies = [
                    #"{"paths": ["../etc/shadow"]}"#, #"{"paths": ["/etc/shadow"]}"#, #"{"paths": ["src/secret\u0000"]}"#,
                    #"{"paths": ["src/secret\nx"]}"#, #"{"paths": []}"#,
                    #"{"paths": [\#((0...1000).map { "\"src/\($0)\"" }.joined(separator: ","))]}"#,
                ]
                for body in bodies {
                    try await client.execute(
                        uri: "/api/backups/\(id)/restore", method: .post, headers: jsonHeaders(operatorHeaders),
                        body: ByteBuffer(string: body)
                    ) { response throws in
                        #expect(response.status == .badRequest, "\(body.prefix(60))")
                    }
                }
                // File lists composed at once are bounded: past the slots, 503 busy, not a pile of trees in memory.
                let domain = try #require(browse.api.dependencies.domain)
                var held: [ArchiveReadSlots.Slot]? = try (0..<domain.treeBuilds.limit).map { _ in try domain.treeBuilds.acquire() }
                let busy = try await client.expect(.serviceUnavailable, .get, "/api/backups/\(id)/files", headers: browse.api.headers(.viewer))
                #expect(busy["error"]?["code"] == "busy" && busy["message"]?.stringValue?.contains("file-list reads") == true)
                #expect(held?.count == 2)
                held = nil  // given back
                try await client.expect(.ok, .get, "/api/backups/\(id)/files", headers: browse.api.headers(.viewer))
            }
        }
    }
}
