import APIClient
import ArgumentParser

/// A kind of record the CLI shows and removes the same way: where the API keeps it, what `show`
/// lists, and how `remove` (or `delete`) describes itself.
struct ClientResource {
    /// `server`, `backup`: in help texts and messages.
    var noun: String
    /// The API's collection, e.g. `/api/backups`.
    var path: String
    /// The fields `show` lists, in order.
    var shownFields: [String]
    var showAbstract: String?
    var removeAbstract: String
    /// `remove`, or `delete` for backups (their archive goes too).
    var removeCommand = "remove"
    /// Servers are named by name or id; the others by id.
    var takesNames = false

    var idHelp: String { takesNames ? "The \(noun)'s name or id." : "The \(noun)'s id." }

    /// The id for the API path from what was typed.
    func apiId(_ given: String, client: PlatformClient) async throws(ClientError) -> String {
        PlatformClient.pathComponent(takesNames ? try await ServerName.resolve(given, client: client) : given)
    }
}

/// A type naming one `ClientResource`, for the generic commands' type parameter.
protocol ClientResourceKind {
    static var resource: ClientResource { get }
}

/// `<records> show ID`: one record's `shownFields` as FIELD/VALUE rows (or its JSON).
struct ShowCommand<Kind: ClientResourceKind>: ClientCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "show", abstract: Kind.resource.showAbstract ?? "Show one \(Kind.resource.noun).") }
    @OptionGroup var options: ClientOptions
    @Argument(help: ArgumentHelp(Kind.resource.idHelp)) var id: String

    func execute(_ client: PlatformClient) async throws(ClientError) {
        let record = try await client.call(.get, "\(Kind.resource.path)/\(try await Kind.resource.apiId(id, client: client))")
        options.show(record) { TextTable.fields($0, Kind.resource.shownFields) }
    }
}

/// `<records> remove ID`.
struct RemoveCommand<Kind: ClientResourceKind>: ClientCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: Kind.resource.removeCommand, abstract: Kind.resource.removeAbstract) }
    @OptionGroup var options: ClientOptions
    @Argument(help: ArgumentHelp(Kind.resource.idHelp)) var id: String

    func execute(_ client: PlatformClient) async throws(ClientError) {
        let removed = try await client.call(.delete, "\(Kind.resource.path)/\(try await Kind.resource.apiId(id, client: client))")
        options.show(removed, line: "\(Kind.resource.removeCommand == "delete" ? "deleted" : "removed") \(Kind.resource.noun) \(id)")
    }
}

enum JobRecords: ClientResourceKind {
    static let resource = ClientResource(
        noun: "job", path: "/api/jobs",
        shownFields: [
            "id", "queue", "name", "state", "progress", "attemptsMade", "attemptsAllowed", "priority",
            "timestamp", "processedOn", "finishedOn", "failedReason", "returnValue", "data",
        ],
        removeAbstract: "Remove a job that is not running.")
}

enum ScheduleRecords: ClientResourceKind {
    static let resource = ClientResource(
        noun: "schedule", path: "/api/schedules",
        shownFields: [
            "id", "serverId", "cron", "timezone", "enabled", "paths", "exclusions", "compression",
            "retention", "nextRuns", "lastRunAt", "lastStatus", "lastError", "skippedRuns",
        ],
        showAbstract: "Show one schedule with its next runs.", removeAbstract: "Remove a schedule (its backups stay).")
}

enum BackupRecords: ClientResourceKind {
    static let resource = ClientResource(
        noun: "backup", path: "/api/backups",
        shownFields: [
            "id", "serverId", "status", "verification", "kind", "paths", "exclusions", "compression",
            "filePath", "size", "sha256", "jobId", "attempts", "startedAt", "completedAt", "verifiedAt", "error", "warning",
        ],
        removeAbstract: "Delete a backup and its archive.", removeCommand: "delete")
}

enum ServerRecords: ClientResourceKind {
    static let resource = ClientResource(
        noun: "server", path: "/api/servers",
        shownFields: [
            "name", "id", "host", "port", "username", "authType", "hostKeyFingerprint", "tags",
            "description", "online", "lastCheckedAt", "lastCheckError", "createdAt",
        ],
        removeAbstract: "Remove a server.", takesNames: true)
}
