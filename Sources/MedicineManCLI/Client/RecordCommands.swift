import APIClient
import ArgumentParser

/// A kind of record the CLI shows and removes the same way: where the API keeps it, what `show`
/// lists, and how `remove` (or `delete`) describes itself.
protocol ClientResource {
    /// `server`, `backup`: in help texts and messages.
    static var noun: String { get }
    /// The API's collection, e.g. `/api/backups`.
    static var path: String { get }
    /// The fields `show` lists, in order.
    static var shownFields: [String] { get }
    static var showAbstract: String { get }
    static var removeAbstract: String { get }
    /// `remove`, or `delete` for backups (their archive goes too).
    static var removeCommand: String { get }
    static var idHelp: String { get }
    /// The id for the API path from what was typed (servers take a name too).
    static func apiId(_ given: String, client: PlatformClient) async throws(ClientError) -> String
}

extension ClientResource {
    static var showAbstract: String { "Show one \(noun)." }
    static var removeCommand: String { "remove" }
    static var idHelp: String { "The \(noun)'s id." }
    static func apiId(_ given: String, client: PlatformClient) async throws(ClientError) -> String { PlatformClient.pathComponent(given) }
}

/// `<records> show ID`: one record's `shownFields` as FIELD/VALUE rows (or its JSON).
struct ShowCommand<Resource: ClientResource>: ClientCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "show", abstract: Resource.showAbstract) }
    @OptionGroup var options: ClientOptions
    @Argument(help: ArgumentHelp(Resource.idHelp)) var id: String

    func execute(_ client: PlatformClient) async throws(ClientError) {
        let record = try await client.call(.get, "\(Resource.path)/\(try await Resource.apiId(id, client: client))")
        options.show(record) { TextTable.fields($0, Resource.shownFields) }
    }
}

/// `<records> remove ID`.
struct RemoveCommand<Resource: ClientResource>: ClientCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: Resource.removeCommand, abstract: Resource.removeAbstract) }
    @OptionGroup var options: ClientOptions
    @Argument(help: ArgumentHelp(Resource.idHelp)) var id: String

    func execute(_ client: PlatformClient) async throws(ClientError) {
        let removed = try await client.call(.delete, "\(Resource.path)/\(try await Resource.apiId(id, client: client))")
        options.show(removed, line: "\(Resource.removeCommand == "delete" ? "deleted" : "removed") \(Resource.noun) \(id)")
    }
}

enum JobRecords: ClientResource {
    static let noun = "job"
    static let path = "/api/jobs"
    static let removeAbstract = "Remove a job that is not running."
    static let shownFields = [
        "id", "queue", "name", "state", "progress", "attemptsMade", "attemptsAllowed", "priority",
        "timestamp", "processedOn", "finishedOn", "failedReason", "returnValue", "data",
    ]
}

enum ScheduleRecords: ClientResource {
    static let noun = "schedule"
    static let path = "/api/schedules"
    static let showAbstract = "Show one schedule with its next runs."
    static let removeAbstract = "Remove a schedule (its backups stay)."
    static let shownFields = [
        "id", "serverId", "cron", "timezone", "enabled", "paths", "exclusions", "compression",
        "retention", "nextRuns", "lastRunAt", "lastStatus", "lastError", "skippedRuns",
    ]
}

enum BackupRecords: ClientResource {
    static let noun = "backup"
    static let path = "/api/backups"
    static let removeAbstract = "Delete a backup and its archive."
    static let removeCommand = "delete"
    static let shownFields = [
        "id", "serverId", "status", "verification", "kind", "paths", "exclusions", "compression",
        "filePath", "size", "sha256", "jobId", "attempts", "startedAt", "completedAt",
        "verifiedAt", "error", "warning",
    ]
}

enum ServerRecords: ClientResource {
    static let noun = "server"
    static let path = "/api/servers"
    static let removeAbstract = "Remove a server."
    static let idHelp = "The server's name or id."
    static let shownFields = [
        "name", "id", "host", "port", "username", "authType", "hostKeyFingerprint", "tags",
        "description", "online", "lastCheckedAt", "lastCheckError", "createdAt",
    ]

    static func apiId(_ given: String, client: PlatformClient) async throws(ClientError) -> String {
        try await ServerName.resolve(given, client: client)
    }
}
