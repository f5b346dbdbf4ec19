import APIClient
import ArgumentParser
import Foundation
import JSONSupport

/// `medicineman jobs list|show|retry|remove|watch` and `medicineman queues`.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "List, show, retry, remove and watch jobs.",
        subcommands: [List.self, ShowCommand<JobRecords>.self, Retry.self, RemoveCommand<JobRecords>.self, Watch.self], defaultSubcommand: List.self)

    static func row(_ job: JSONValue) -> [String] {
        let progress = job["progress"].map { $0["percent"]?.doubleValue.map { "\(Int($0))%" } ?? $0.doubleValue.map { "\(Int($0))%" } ?? "" } ?? ""
        return [
            job.cell("id"), job.cell("queue"), job.cell("name"), job.cell("state"), progress,
            "\(job.cell("attemptsMade"))/\(job.cell("attemptsAllowed"))", job.cell("failedReason"),
        ]
    }

    static let headers = ["ID", "QUEUE", "NAME", "STATE", "PROGRESS", "ATTEMPTS", "FAILED REASON"]

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs of the three queues, newest first.")
        @OptionGroup var options: ClientOptions
        @Option(help: "backup-queue, scan-queue or update-queue.") var queue: String?
        @Option(help: "waiting, active, delayed, prioritized, completed or failed.") var state: String?
        @Option(help: "Only jobs of this name (e.g. backup:manual).") var name: String?
        @Option(help: "Only jobs of this server (name or id).") var server: String?
        @Option(help: "At most this many (≤ 200).") var limit = 50

        func execute(_ client: PlatformClient) async throws(ClientError) {
            let serverId = try await ServerName.resolveIfGiven(server, client: client)
            let list = try await client.call(
                .get,
                "/api/jobs"
                    + PlatformClient.query([
                        ("queue", queue), ("state", state), ("name", name), ("serverId", serverId), ("limit", String(limit)),
                    ]))
            options.show(list) { list in
                guard case .array(let jobs)? = list["jobs"] else { return TextTable(headers: JobsCommand.headers, rows: []) }
                return TextTable(headers: JobsCommand.headers, rows: jobs.map(JobsCommand.row))
            }
        }
    }

    struct Retry: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a failed job again.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The job's id.") var id: String
        @Flag(help: "Follow the job until it ends.") var follow = false

        func execute(_ client: PlatformClient) async throws(ClientError) {
            let job = try await client.call(.post, "/api/jobs/\(PlatformClient.pathComponent(id))/retry")
            options.show(job, line: "job \(id) is \(job.cell("state")) again")
            try await followIfAsked(follow, jobId: id, client: client)
        }
    }

    struct Watch: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Follow a job's progress until it ends; exit status 1 when it fails.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The job's id.") var id: String

        func execute(_ client: PlatformClient) async throws(ClientError) {
            try await followIfAsked(true, jobId: id, client: client)
        }
    }
}

/// `medicineman queues`: one table of counts, health and workers.
struct QueuesCommand: ClientCommand {
    static let configuration = CommandConfiguration(commandName: "queues", abstract: "Counts, health and workers of the job queues.")
    @OptionGroup var options: ClientOptions

    func execute(_ client: PlatformClient) async throws(ClientError) {
        let metrics = try await client.call(.get, "/api/metrics/queues")
        options.show(metrics) { metrics in
            guard case .array(let queues) = metrics else { return TextTable(headers: [], rows: []) }
            return TextTable(
                headers: ["QUEUE", "WAITING", "ACTIVE", "DELAYED", "FAILED", "COMPLETED", "PAUSED", "WORKERS", "HEALTH"],
                rows: queues.map { queue in
                    let reasons: String
                    if case .array(let list)? = queue["health"]?["reasons"], !list.isEmpty {
                        reasons = ": " + list.compactMap(\.stringValue).joined(separator: "; ")
                    } else {
                        reasons = ""
                    }
                    return [
                        queue.cell("queue"), queue.cell("waiting"), queue.cell("active"), queue.cell("delayed"), queue.cell("failed"),
                        queue.cell("completed"), queue.cell("isPaused"), queue.cell("workers"), (queue["health"]?.cell("status") ?? "") + reasons,
                    ]
                })
        }
    }
}
