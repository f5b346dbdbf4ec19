import HTTPAPI
import JobQueue
import Logging
import Records
import ServerJobs
import ServiceLifecycle

/// The workers of the backup, scan and update queues, wired to the records and SSH.
enum ServerJobWorkers {
    static func make(resources: PlatformResources, vault: CredentialVault, queues: [ServerJobQueue], metrics: MetricsRegistry,
                     logger: Logger) throws -> [Worker] {
        let configuration = resources.configuration
        let servers = ServerRepository(database: resources.postgres, vault: vault)
        let dependencies = ServerJobProcessor.Dependencies(
            servers: servers, backups: BackupRepository(database: resources.postgres), scans: ScanRepository(database: resources.postgres),
            updates: UpdateRepository(database: resources.postgres), attempts: JobAttemptRepository(database: resources.postgres),
            lease: ServerLease(redis: resources.redis), storage: BackupStorage(root: configuration.backupDirectory),
            connector: ServerConnector(servers: servers, logger: logger, onOutcome: { metrics.recordSSHConnection($0) }))
        let processor = ServerJobProcessor(dependencies: dependencies, logger: logger)
        return try queues.map { definition in
            let queue = try Queue(name: definition.name, prefix: configuration.queuePrefix, redis: resources.redis)
            let recorder = WorkerMetrics(registry: metrics, queue: definition.name, concurrency: definition.concurrency)
            return Worker(queue: queue, options: WorkerOptions(concurrency: definition.concurrency, lockDuration: definition.lockDuration,
                                                               onEvent: { recorder.record($0) }),
                          logger: logger, processor: { try await processor.process($0) })
        }
    }
}
