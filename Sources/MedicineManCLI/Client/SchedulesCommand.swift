import APIClient
import ArgumentParser
import Foundation
import JSONSupport

/// `medicineman schedules list|add|show|run|remove`.
struct SchedulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedules", abstract: "List, add, show, run and remove backup schedules.",
        subcommands: [List.self, Add.self, ShowCommand<ScheduleRecords>.self, Run.self, RemoveCommand<ScheduleRecords>.self], defaultSubcommand: List.self)

    static func table(_ schedules: [JSONValue]) -> TextTable {
        TextTable(
            headers: ["ID", "SERVER", "CRON", "TIME ZONE", "ENABLED", "NEXT RUN", "LAST", "PATHS"],
            rows: schedules.map { schedule in
                [
                    schedule.cell("id"), schedule.cell("serverId"), schedule.cell("cron"), schedule.cell("timezone"), schedule.cell("enabled"),
                    schedule.cell("nextRunAt"), schedule.cell("lastStatus"), schedule.cell("paths"),
                ]
            })
    }

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List schedules.")
        @OptionGroup var options: ClientOptions
        @Option(help: "Only this server's (name or id).") var server: String?

        func execute(_ client: PlatformClient) async throws(ClientError) {
            let serverId = try await ServerName.resolveIfGiven(server, client: client)
            let page = try await client.call(.get, "/api/schedules" + PlatformClient.query([("serverId", serverId), ("limit", "200")]))
            options.show(page) { SchedulesCommand.table($0.items) }
        }
    }

    struct Add: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Add a backup schedule; prints its next runs.")
        @OptionGroup var options: ClientOptions
        @Option(help: "The server's name or id.") var server: String
        @Option(help: "Five-field cron or @hourly/@daily/@weekly/@monthly.") var cron: String
        @Option(help: "IANA time zone, e.g. Europe/Berlin.") var timezone = "UTC"
        @Option(name: .customLong("path"), help: "An absolute path to back up (repeatable).") var paths: [String] = []
        @Option(name: .customLong("exclude"), help: "A pattern to leave out (repeatable).") var exclusions: [String] = []
        @Option(help: "gzip, zstd or none.") var compression: String?
        @Option(help: "Keep the newest N backups.") var keepLast: Int?
        @Option(help: "Keep one backup for each of the last N days.") var keepDaily: Int?
        @Option(help: "Keep one backup for each of the last N weeks.") var keepWeekly: Int?
        @Option(help: "Keep one backup for each of the last N months.") var keepMonthly: Int?
        @Flag(help: "Create it disabled.") var disabled = false

        func execute(_ client: PlatformClient) async throws(ClientError) {
            let serverId = try await ServerName.resolve(server, client: client)
            var retention: [String: JSONValue] = [:]
            for (key, value) in [("keepLast", keepLast), ("daily", keepDaily), ("weekly", keepWeekly), ("monthly", keepMonthly)] {
                if let value { retention[key] = .int(Int64(value)) }
            }
            var body: [String: JSONValue] = [
                "serverId": .string(serverId), "cron": .string(cron), "timezone": .string(timezone),
                "paths": .array(paths.map(JSONValue.string)), "exclusions": .array(exclusions.map(JSONValue.string)),
                "enabled": .bool(!disabled),
            ]
            if let compression { body["compression"] = .string(compression) }
            if !retention.isEmpty { body["retention"] = .object(retention) }
            let schedule = try await client.call(.post, "/api/schedules", body: .object(body))
            let next =
                schedule["nextRuns"].map { value -> String in
                    guard case .array(let runs) = value else { return "" }
                    return runs.compactMap(\.stringValue).joined(separator: ", ")
                } ?? ""
            options.show(schedule, line: "schedule \(schedule.cell("id")) added; next runs: \(next)")
        }
    }

    struct Run: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Run one of the schedule's backups now.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The schedule's id.") var id: String
        @Flag(help: "Follow the job until it ends; exit status 1 when it fails.") var follow = false

        func execute(_ client: PlatformClient) async throws(ClientError) {
            try await startJob("backup", "/api/schedules/\(PlatformClient.pathComponent(id))/run", body: .object([:]), follow: follow, client: client)
        }
    }

}
