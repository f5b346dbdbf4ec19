import ArchiveFormat
import Foundation
import Hummingbird
import JSONSupport
import Logging
import Records
import ServerJobs

/// `/api/backups/:id/files`, `/diff`, `/download`: a backup's files as a restore of its chain
/// would leave them, composed from the manifests verification wrote beside the archives.
struct BackupFilesController: Sendable {
    let domain: DomainDependencies
    static let listLimit = 1...1000
    /// Each list of a diff holds at most this many entries (`truncated` says when more differ).
    static let diffCap = 1000

    func addRoutes(to group: RouterGroup<APIRequestContext>) {
        group.get("backups/:id/files", use: listFiles)
        group.get("backups/:id/diff", use: diff)
        group.get("backups/:id/download", use: download)
    }

    struct FileEntry: Encodable, Sendable {
        var path: String
        var type: String
        var mode: UInt32
        var size: Int64
        /// Seconds since 1970.
        var mtime: Int64
        var linkTarget: String?
        var sha256: String?

        init(_ entry: TarEntry) {
            path = entry.path
            type = entry.kind.rawValue
            mode = entry.mode
            size = entry.size
            mtime = entry.mtime
            linkTarget = entry.linkTarget.isEmpty ? nil : entry.linkTarget
            sha256 = entry.sha256
        }
    }

    struct FileListing: Encodable, Sendable {
        var backupId: String
        var prefix: String
        var items: [FileEntry]
        /// Pass as `after` for the next page; absent on the last page.
        var nextAfter: String?
    }

    struct BackupDiff: Encodable, Sendable {
        var backupId: String
        var against: String
        var added: [FileEntry]
        var removed: [FileEntry]
        var changed: [FileEntry]
        var truncated: Bool
    }

    @Sendable func listFiles(_ request: Request, context: APIRequestContext) async throws -> APISuccess<FileListing> {
        _ = try context.require(.viewer)
        let backup = try await completedBackup(context)
        let parameters = request.uri.queryParameters
        let prefix = parameters["prefix"].map(String.init) ?? ""
        let after = parameters["after"].map(String.init)
        try Self.checkText(prefix, field: "prefix")
        if let after { try Self.checkText(after, field: "after") }
        let limit = try JobsController.integer(parameters["limit"].map(String.init), name: "limit", default: 100, range: Self.listLimit)
        let tree = try await self.tree(of: backup).tree
        let page = tree.listing(prefix: prefix, after: after, limit: limit + 1)
        let items = page.prefix(limit).map(FileEntry.init)
        let listing = FileListing(
            backupId: backup.id.lowercasedString, prefix: prefix, items: Array(items),
            nextAfter: page.count > limit ? items.last?.path : nil)
        return APISuccess("\(items.count) file(s)", listing)
    }

    @Sendable func diff(_ request: Request, context: APIRequestContext) async throws -> APISuccess<BackupDiff> {
        _ = try context.require(.viewer)
        let backup = try await completedBackup(context)
        guard let againstId = try Paging.queryUUID(request, "against") else { throw APIError.validation("against", "against (a backup id) is required") }
        guard let against = try await domain.backups.find(id: againstId), against.status == .completed else {
            throw APIError.notFound("backup \(againstId.lowercasedString)")
        }
        guard against.serverId == backup.serverId else {
            throw APIError.validation("against", "backup \(againstId.lowercasedString) is of another server; a diff compares backups of one server")
        }
        let old = try await tree(of: against).tree
        let new = try await tree(of: backup).tree
        let difference = ManifestDiff(old: old.manifest, new: new.manifest)
        let truncated = [difference.added, difference.removed, difference.changed].contains { $0.count > Self.diffCap }
        func capped(_ entries: [TarEntry]) -> [FileEntry] { entries.prefix(Self.diffCap).map(FileEntry.init) }
        let result = BackupDiff(
            backupId: backup.id.lowercasedString, against: againstId.lowercasedString, added: capped(difference.added),
            removed: capped(difference.removed), changed: capped(difference.changed), truncated: truncated)
        return APISuccess("\(difference.added.count) added, \(difference.removed.count) removed, \(difference.changed.count) changed", result)
    }

    /// Streams one regular file out of the archive holding its latest version; its SHA-256 is
    /// checked as it goes, and a mismatch aborts the response (the connection closes).
    @Sendable func download(_ request: Request, context: APIRequestContext) async throws -> Response {
        let identity = try context.require(.operator)
        let backup = try await completedBackup(context)
        guard let path = request.uri.queryParameters["path"].map(String.init) else { throw APIError.validation("path", "path is required") }
        try Self.checkMemberPath(path, field: "path")
        let (tree, chain) = try await self.tree(of: backup)
        guard let entry = tree.entry(at: path), let source = tree.source(of: path), chain.indices.contains(source) else {
            throw APIError.notFound("\(path) in backup \(backup.id.lowercasedString)")
        }
        guard entry.kind == .file else {
            throw APIError(.conflict, code: "not_a_file", "\(path) is a \(entry.kind.rawValue), not a regular file")
        }
        guard entry.sha256 != nil else {
            throw APIError(.conflict, code: "not_downloadable", "\(path) is a sparse file; restore it instead")
        }
        let holder = chain[source]
        let slot = try domain.archiveReads.acquire()
        let stream: ArchiveMemberStream
        do {
            stream = try await domain.storage.streamMember(path, sha256: entry.sha256, of: holder, dataKey: try await domain.dataKey(for: holder))
        } catch let error as ServerJobError {
            throw APIError(.conflict, code: "archive_unreadable", "the archive of backup \(holder.id.lowercasedString) cannot be read: \(error.message)")
        }
        try await domain.audit.record(identity, "backup.download", resource: backup.id.lowercasedString, ["path": .string(path)])
        let logger = context.logger
        let body = ResponseBody { writer in
            defer {
                stream.cancel()
                withExtendedLifetime(slot) {}
            }
            do {
                while let chunk = try await stream.next() { try await writer.write(ByteBuffer(bytes: chunk)) }
            } catch {
                logger.error("download aborted", metadata: ["backup": "\(backup.id.lowercasedString)", "path": "\(path)", "error": "\(error)"])
                throw error
            }
            try await writer.finish(nil)
        }
        let headers: HTTPFields = [
            .contentType: "application/octet-stream", .contentLength: String(entry.size),
            .contentDisposition: Self.contentDisposition(for: path), .cacheControl: "no-store",
        ]
        return Response(status: .ok, headers: headers, body: body)
    }

    /// `attachment; filename="<ASCII stand-in>"; filename*=UTF-8''<percent-encoded name>`: the
    /// base name only, quotes, backslashes and control characters never reach the header.
    static func contentDisposition(for path: String) -> String {
        let name = String(path.split(separator: "/").last ?? "file")
        let fallback = String(
            name.unicodeScalars.map { scalar -> Character in
                scalar.isASCII && scalar.value >= 0x20 && scalar.value != 0x7f && scalar != "\"" && scalar != "\\" ? Character(scalar) : "_"
            })
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(0x7f)))
        allowed.insert(charactersIn: "-._~")
        let encoded = name.addingPercentEncoding(withAllowedCharacters: allowed) ?? fallback
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(encoded)"
    }

    /// A member path as the listing shows it: relative, no `.`/`..` components, no control characters.
    static func checkMemberPath(_ path: String, field: String) throws {
        try checkText(path, field: field)
        guard !path.isEmpty, !path.hasPrefix("/") else { throw APIError.validation(field, "\(field) must be a relative path as the file listing shows it") }
        guard !path.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == ".." || $0 == "." }) else {
            throw APIError.validation(field, "\(field) must not contain . or .. components")
        }
    }

    static func checkText(_ text: String, field: String) throws {
        guard text.unicodeScalars.count <= 4096 else { throw APIError.validation(field, "\(field) is longer than 4096 characters") }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw APIError.validation(field, "\(field) must not contain NUL or control characters")
        }
    }

}
