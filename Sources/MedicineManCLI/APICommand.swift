import ArgumentParser
import Foundation
import Logging
import PlatformRuntime
import ServerJobs

/// `medicineman api`: the HTTP API alone (workers run elsewhere against the same Redis and PostgreSQL).
struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "api", abstract: "Migrate, then serve the HTTP API without workers.")

    func run() async throws {
        try await PlatformCommand.run(PlatformServer.Roles(api: true, workerQueues: []))
    }
}

/// `medicineman worker`: workers only, for scaling out on other machines.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Migrate, then run queue workers without the HTTP API.")

    @Option(help: "Comma-separated queues: backup, scan, update (default: all).") var queues = "backup,scan,update"

    func run() async throws {
        let byName: [String: ServerJobQueue] = ["backup": .backup, "scan": .scan, "update": .update]
        var selected: [ServerJobQueue] = []
        for name in queues.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let queue = byName[name] ?? ServerJobQueue.all.first(where: { $0.name == name }) else {
                throw ValidationError("unknown queue '\(name)'; use backup, scan and/or update")
            }
            if !selected.contains(queue) { selected.append(queue) }
        }
        try await PlatformCommand.run(PlatformServer.Roles(api: false, workerQueues: selected))
    }
}

enum PlatformCommand {
    static func run(_ roles: PlatformServer.Roles) async throws {
        let (configuration, logger) = try CommandEnvironment.load(label: "medicineman")
        do {
            try await PlatformServer(configuration: configuration, logger: logger).run(roles)
        } catch {
            logger.critical("medicineman stopped", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }
}
