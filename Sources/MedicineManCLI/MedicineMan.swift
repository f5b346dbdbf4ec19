import ArgumentParser

/// `medicineman`: the platform's command line.
@main
struct MedicineMan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "medicineman",
        abstract: "Back up, scan and update Linux servers through durable job queues.",
        discussion: "Settings come from the environment; see README.md (Configuration).",
        version: "0.1.0",
        subcommands: [
            Serve.self, APICommand.self, WorkerCommand.self, Migrate.self, UserCommand.self, TokenCommand.self, CredentialsCommand.self,
            // The client: talks to a running platform over the HTTP API.
            LoginCommand.self, ServersCommand.self, BackupCommand.self, BackupsCommand.self, ScanCommand.self, UpdateCommand.self,
            JobsCommand.self, QueuesCommand.self, SchedulesCommand.self,
        ],
        defaultSubcommand: Serve.self
    )
}
