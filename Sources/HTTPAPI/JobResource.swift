import Foundation
import JobQueue
import JSONSupport

/// A job as the API shows it (camelCase; times in ms since the epoch, as BullMQ keeps them).
public struct JobResource: Codable, Sendable, Equatable {
    public var id: String
    public var queue: String
    public var name: String
    public var data: JSONValue
    public var state: String
    public var progress: JSONValue?
    public var attemptsMade: Int
    public var attemptsAllowed: Int
    public var priority: Int
    public var delay: Int
    public var timestamp: Int
    public var processedOn: Int?
    public var finishedOn: Int?
    public var returnValue: JSONValue?
    public var failedReason: String?

    public init(_ job: Job, state: JobState) {
        id = job.id
        queue = job.queueName
        name = job.name
        data = job.data ?? .string(job.rawData)
        self.state = state.rawValue
        progress = job.progress
        attemptsMade = job.attemptsMade
        attemptsAllowed = job.options.maxAttempts
        priority = job.priority
        delay = job.delay
        timestamp = job.timestamp
        processedOn = job.processedOn
        finishedOn = job.finishedOn
        returnValue = job.returnValue
        failedReason = job.failedReason
    }
}

/// One page of jobs.
public struct JobList: Codable, Sendable {
    public var jobs: [JobResource]
    /// Jobs on this page.
    public var count: Int
    /// Jobs matching the queue and state filters (before the name/server filters).
    public var total: Int
    public var limit: Int
    public var offset: Int
}

/// Per-queue counts for dashboards.
public struct QueueMetrics: Codable, Sendable {
    public var queue: String
    public var waiting: Int
    public var active: Int
    public var completed: Int
    public var failed: Int
    public var delayed: Int
    public var prioritized: Int
    public var paused: Int
    public var total: Int
    public var isPaused: Bool
    /// Worker connections (ours and BullMQ's) serving the queue now.
    public var workers: Int
    public var health: QueueHealth
}
