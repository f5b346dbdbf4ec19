import Foundation
import JSONSupport
import Records

/// The events the processor reports once an outcome is written. Each names the server (by name
/// when it can still be read) and carries ids and figures, never credentials.
extension ServerJobProcessor {
    func announceBackupCompleted(_ record: Backup, result: JSONValue) async {
        let server = await serverName(record.serverId)
        var data = backupData(record, server: server)
        for key in ["size", "sha256", "verified"] { data[key] = result[key] }
        let size = result["size"]?.intValue.map { Self.megabytes(Int64($0)) } ?? "?"
        await dependencies.notifier.notify(
            NotificationEvent(
                .backupCompleted, summary: "Backup of \(server) completed (\(size))", data: .object(data)))
    }

    func announceBackupFailed(_ record: Backup, error: String) async {
        let server = await serverName(record.serverId)
        var data = backupData(record, server: server)
        data["error"] = .string(error)
        await dependencies.notifier.notify(NotificationEvent(.backupFailed, summary: "Backup of \(server) failed: \(error)", data: .object(data)))
    }

    /// The server's last completed scan other than `scan`, and its findings (nil when there is
    /// none, or it cannot be read: then every finding counts as new).
    func previousInventory(before scan: Scan) async -> (scan: Scan, findings: ScanFindings)? {
        guard let previous = try? await dependencies.scans.previousCompleted(before: scan),
            let findings = try? await dependencies.scans.findings(scanId: previous.id)
        else { return nil }
        return (previous, findings)
    }

    /// `scan.completed` with what this scan found that the server's previous completed scan did not.
    func announceScanCompleted(_ scan: Scan, findings: ScanFindings, previous: (scan: Scan, findings: ScanFindings)?) async {
        let server = await serverName(scan.serverId)
        let fresh = findings.newLines(since: previous?.findings)
        let shown = Array(fresh.prefix(100))
        let summary =
            fresh.isEmpty
            ? "Scan of \(server) completed: nothing new"
            : "Scan of \(server) completed: \(fresh.count) new finding(s): " + shown.prefix(5).joined(separator: "; ") + (fresh.count > 5 ? "; …" : "")
        await dependencies.notifier.notify(
            NotificationEvent(
                .scanCompleted, summary: summary,
                data: [
                    "scanId": .string(scan.id.lowercasedString), "serverId": .string(scan.serverId.lowercasedString),
                    "server": .string(server), "scanType": .string(scan.scanType.rawValue),
                    "previousScanId": previous.map { .string($0.scan.id.lowercasedString) } ?? .null,
                    "newFindingCount": .int(Int64(fresh.count)), "newFindings": .array(shown.map { .string($0) }),
                ]))
    }

    func announceUpdateApplied(_ record: Update, outcome: UpdateOutcome) async {
        let server = await serverName(record.serverId)
        let reboot = outcome.rebootRequired == true ? "; a reboot is required" : ""
        await dependencies.notifier.notify(
            NotificationEvent(
                .updateApplied, summary: "Updates applied on \(server): \(outcome.upgraded.count) package(s) upgraded\(reboot)",
                data: [
                    "updateId": .string(record.id.lowercasedString), "serverId": .string(record.serverId.lowercasedString),
                    "server": .string(server), "packageManager": .string(outcome.packageManager),
                    "upgradedCount": .int(Int64(outcome.upgraded.count)), "upgraded": .array(outcome.upgraded.prefix(100).map { .string($0) }),
                    "rebootRequired": outcome.rebootRequired.map { .bool($0) } ?? .null,
                ]))
    }

    func announceUpdateFailed(_ record: Update, error: String) async {
        let server = await serverName(record.serverId)
        await dependencies.notifier.notify(
            NotificationEvent(
                .updateFailed, summary: "Update \(record.mode.rawValue) on \(server) failed: \(error)",
                data: [
                    "updateId": .string(record.id.lowercasedString), "serverId": .string(record.serverId.lowercasedString),
                    "server": .string(server), "mode": .string(record.mode.rawValue), "error": .string(error),
                ]))
    }

    func announceDrillFailed(_ drill: RestoreDrill) async {
        let server = await serverName(drill.serverId)
        let why = drill.error ?? drill.counts.map { "\($0.missing) missing, \($0.changed) changed, \($0.extra) extra of \($0.expected)" } ?? "unknown"
        await dependencies.notifier.notify(
            NotificationEvent(
                .drillFailed, summary: "Restore drill of \(server) failed: \(why)",
                data: [
                    "drillId": .string(drill.id.lowercasedString), "serverId": .string(drill.serverId.lowercasedString),
                    "server": .string(server), "backupId": drill.backupId.map { .string($0.lowercasedString) } ?? .null,
                    "scheduleId": drill.scheduleId.map { .string($0.lowercasedString) } ?? .null,
                    "missing": .int(Int64(drill.counts?.missing ?? 0)), "changed": .int(Int64(drill.counts?.changed ?? 0)),
                    "extra": .int(Int64(drill.counts?.extra ?? 0)), "error": drill.error.map { .string($0) } ?? .null,
                ]))
    }

    private func backupData(_ record: Backup, server: String) -> [String: JSONValue] {
        [
            "backupId": .string(record.id.lowercasedString), "serverId": .string(record.serverId.lowercasedString),
            "server": .string(server), "kind": .string(record.kind.rawValue),
            "scheduleId": record.scheduleId.map { .string($0.lowercasedString) } ?? .null,
        ]
    }

    /// The server's name, or its id when the row is gone or unreadable.
    private func serverName(_ id: UUID) async -> String {
        (try? await dependencies.servers.find(id: id))?.name ?? id.lowercasedString
    }
}
