package import Foundation
package import JSONSupport

/// Where the code that writes an outcome reports it, so people hear about it (webhooks). The
/// emitting code only says what happened; who wants it and how it travels is the notifier's.
package protocol Notifier: Sendable {
    /// Hands the event over for delivery. Never throws: a notification must not fail the work it
    /// reports on; a notifier logs its own failures.
    func notify(_ event: NotificationEvent) async
}

/// The events a webhook may subscribe to.
package enum NotificationEventName: String, Sendable, Codable, CaseIterable {
    case backupCompleted = "backup.completed"
    case backupFailed = "backup.failed"
    /// A schedule has had no successful backup within its period plus slack (once per episode).
    case backupOverdue = "backup.overdue"
    /// Occurrences of a schedule were missed while no scheduler ran; only the latest ran.
    case scheduleSkipped = "schedule.skipped"
    /// A scan completed; it lists what it found that the server's previous scan did not.
    case scanCompleted = "scan.completed"
    case updateApplied = "update.applied"
    case updateFailed = "update.failed"
    /// A restore drill found differences, or could not restore the backup.
    case drillFailed = "drill.failed"
    /// A queue's health (as `GET /api/metrics/queues` computes it) went from ok to degraded.
    case queueUnhealthy = "queue.unhealthy"
    case queueRecovered = "queue.recovered"
}

/// Something that happened: a one-line summary for people (a Slack message) and data for programs
/// (ids, names, figures; never a secret).
package struct NotificationEvent: Sendable, Equatable {
    package var name: NotificationEventName
    package var summary: String
    package var data: JSONValue
    package var occurredAt: Date

    package init(_ name: NotificationEventName, summary: String, data: JSONValue, occurredAt: Date = Date()) {
        self.name = name
        self.summary = summary
        self.data = data
        self.occurredAt = occurredAt
    }
}

/// Drops every event: for processes and tests without notifications.
package struct SilentNotifier: Notifier {
    package init() {}
    package func notify(_ event: NotificationEvent) async {}
}
