import APIClient
import ArgumentParser
import Foundation
import JSONSupport

/// `medicineman backup SERVER --path P … [--follow]`.
struct BackupCommand: ClientCommand {
    static let configuration = CommandConfiguration(commandName: "backup", abstract: "Back up paths of a server; --follow shows its progress.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "The server's name or id.") var server: String
    @Option(name: .customLong("path"), help: "An absolute path to back up (repeatable).") var paths: [String] = []
    @Option(name: .customLong("exclude"), help: "A pattern to leave out (repeatable).") var exclusions: [String] = []
    @Option(help: "gzip, zstd or none.") var compression: String?
    @Flag(help: "Follow the job until it ends; exit status 1 when it fails.") var follow = false

    func execute(_ client: PlatformClient) async throws(ClientError) {
        guard !paths.isEmpty else { throw ClientError("give at least one --path", fields: ["paths"]) }
        let id = try await ServerName.resolve(server, client: client)
        var body: [String: JSONValue] = ["paths": .array(paths.map(JSONValue.string)), "exclusions": .array(exclusions.map(JSONValue.string))]
        if let compression { body["compression"] = .string(compression) }
        try await startJob("backup", "/api/servers/\(id)/backup", body: .object(body), follow: follow, client: client)
    }
}

/// `medicineman scan SERVER [--type T] [--follow]`.
struct ScanCommand: ClientCommand {
    static let configuration = CommandConfiguration(commandName: "scan", abstract: "Scan a server; --follow shows its progress.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "The server's name or id.") var server: String
    @Option(name: .customLong("type"), help: "quick, full, services or filesystems.") var scanType = "quick"
    @Flag(help: "Follow the job until it ends; exit status 1 when it fails.") var follow = false

    func execute(_ client: PlatformClient) async throws(ClientError) {
        let id = try await ServerName.resolve(server, client: client)
        try await startJob("scan", "/api/servers/\(id)/scan", body: ["scanType": .string(scanType)], follow: follow, client: client)
    }
}

/// `medicineman update SERVER check|apply [--follow]`.
struct UpdateCommand: ClientCommand {
    static let configuration = CommandConfiguration(commandName: "update", abstract: "Check for or apply OS package updates on a server.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "The server's name or id.") var server: String
    @Argument(help: "check or apply.") var mode: String
    @Flag(help: "Follow the job until it ends; exit status 1 when it fails.") var follow = false

    func execute(_ client: PlatformClient) async throws(ClientError) {
        guard ["check", "apply"].contains(mode) else { throw ClientError("the mode is check or apply, not \(mode)", fields: ["mode"]) }
        let id = try await ServerName.resolve(server, client: client)
        try await startJob("update \(mode)", "/api/servers/\(id)/update", body: ["mode": .string(mode)], follow: follow, client: client)
    }
}

/// `medicineman backups list|show|verify|restore|delete`.
struct BackupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backups", abstract: "List, show, verify, restore and delete backups.",
        subcommands: [List.self, ShowCommand<BackupRecords>.self, Verify.self, Restore.self, RemoveCommand<BackupRecords>.self], defaultSubcommand: List.self)

    static func table(_ backups: [JSONValue]) -> TextTable {
        TextTable(
            headers: ["ID", "STATUS", "VERIFIED", "SIZE", "COMPLETED", "PATHS", "SERVER"],
            rows: backups.map { backup in
                [
                    backup.cell("id"), backup.cell("status"), backup.cell("verification"),
                    backup["size"]?.doubleValue.map(ProgressLine.size) ?? "", backup.cell("completedAt"), backup.cell("paths"), backup.cell("serverId"),
                ]
            })
    }

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List backups, newest first.")
        @OptionGroup var options: ClientOptions
        @Option(help: "Only this server's (name or id).") var server: String?
        @Option(help: "pending, running, completed or failed.") var status: String?
        @Option(help: "At most this many.") var limit = 50

        func execute(_ client: PlatformClient) async throws(ClientError) {
            let serverId = try await ServerName.resolveIfGiven(server, client: client)
            let page = try await client.call(
                .get,
                "/api/backups"
                    + PlatformClient.query([
                        ("serverId", serverId), ("status", status), ("limit", String(limit)),
                    ]))
            options.show(page) { BackupsCommand.table($0.items) }
        }
    }

    struct Verify: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Re-hash the archive and list it; exit status 1 when it does not verify.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The backup's id.") var id: String

        func execute(_ client: PlatformClient) async throws(ClientError) {
            let backup = try await client.call(.post, "/api/backups/\(PlatformClient.pathComponent(id))/verify", timeout: .seconds(3600))
            options.show(backup, line: "backup \(id): \(backup.cell("verification"))")
            if backup["verification"]?.stringValue != "verified" { throw ClientError(code: "job_failed", "not verified") }
        }
    }

    struct Restore: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Restore a backup onto its server (default: a fresh private directory).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The backup's id.") var id: String
        @Option(help: "The directory to restore into.") var target: String?
        @Flag(help: "Allow restoring over /.") var allowRootTarget = false
        @Flag(help: "Follow the job until it ends; exit status 1 when it fails.") var follow = false

        func execute(_ client: PlatformClient) async throws(ClientError) {
            var body: [String: JSONValue] = [:]
            if let target { body["target"] = .string(target) }
            if allowRootTarget { body["allowRootTarget"] = true }
            try await startJob("restore of", "/api/backups/\(PlatformClient.pathComponent(id))/restore", body: .object(body), follow: follow, client: client)
        }
    }

}
