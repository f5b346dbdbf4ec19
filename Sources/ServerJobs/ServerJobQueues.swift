package import JobQueue

/// The platform's three queues, their job names and default options.
package struct ServerJobQueue: Sendable, Equatable {
    package let name: String
    package let concurrency: Int
    package let lockDuration: Duration

    package static let backup = ServerJobQueue(name: "backup-queue", concurrency: 2, lockDuration: .seconds(300))
    package static let scan = ServerJobQueue(name: "scan-queue", concurrency: 5, lockDuration: .seconds(120))
    package static let update = ServerJobQueue(name: "update-queue", concurrency: 1, lockDuration: .seconds(600))
    package static let all = [backup, scan, update]

    /// 3 attempts, exponential backoff from 5 s; completed jobs kept 7 days or the last 1000,
    /// failed jobs 7 days.
    package static let defaultJobOptions = JobOptions(
        attempts: 3, backoff: .exponential(5000),
        removeOnComplete: .policy(age: 7 * 86_400, count: 1000, limit: nil), removeOnFail: .policy(age: 7 * 86_400, count: nil, limit: nil))
}

/// Job names, as the reference system names them.
package enum ServerJobName: String, Sendable, CaseIterable {
    case manualBackup = "backup:manual"
    case scheduledBackup = "backup:scheduled"
    case restore = "backup:restore"
    /// A restore drill (the record is a `restore_drills` row).
    case drill = "backup:drill"
    case quickScan = "scan:quick"
    case fullScan = "scan:full"
    case update = "update:server"

    package var queue: ServerJobQueue {
        switch self {
        case .manualBackup, .scheduledBackup, .restore, .drill: return .backup
        case .quickScan, .fullScan: return .scan
        case .update: return .update
        }
    }
}

/// What a job carries: ids and options, never credentials.
package struct ServerJobPayload: Sendable, Codable, Equatable {
    /// The backup, scan or update record this job works for.
    package var recordId: String
    /// The server it works on (lets the API filter jobs by server).
    package var serverId: String?
    /// Restore only: where to unpack (default: a fresh 0700 directory under the SSH user's
    /// `~/.medicineman-restore`).
    package var target: String?
    package var allowRootTarget: Bool?
    /// Restore only: just these member paths (as the file listing shows them); nil for all.
    package var paths: [String]?

    package init(recordId: String, serverId: String? = nil, target: String? = nil, allowRootTarget: Bool? = nil, paths: [String]? = nil) {
        self.recordId = recordId
        self.serverId = serverId
        self.target = target
        self.allowRootTarget = allowRootTarget
        self.paths = paths
    }
}
