import Foundation
package import JobQueue
package import JSONSupport

/// A job as the API shows it (camelCase; times in ms since the epoch, as BullMQ keeps them).
package struct JobResource: Codable, Sendable, Equatable {
    package var id: String
    package var queue: String
    package var name: String
    package var data: JSONValue
    package var state: String
    package var progress: JSONValue?
    package var attemptsMade: Int
    package var attemptsAllowed: Int
    package var priority: Int
    package var delay: Int
    package var timestamp: Int
    package var processedOn: Int?
    package var finishedOn: Int?
    package var returnValue: JSONValue?
    package var failedReason: String?

    package init(_ job: Job, state: JobState) {
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
package struct JobList: Codable, Sendable {
    package var jobs: [JobResource]
    /// Jobs on this page.
    package var count: Int
    /// Jobs matching the queue and state filters (before the name/server filters).
    package var total: Int
    package var limit: Int
    package var offset: Int
}

/// Per-queue counts for dashboards.
package struct QueueMetrics: Codable, Sendable {
    package var queue: String
    package var waiting: Int
    package var active: Int
    package var completed: Int
    package var failed: Int
    package var delayed: Int
    package var prioritized: Int
    package var paused: Int
    package var total: Int
    package var isPaused: Bool
    /// Worker connections (ours and BullMQ's) serving the queue now.
    package var workers: Int
    package var health: QueueHealth
}
