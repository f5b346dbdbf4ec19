import ErrorCodes
import Foundation
import JSONSupport
package import Records
package import SSHClient

/// What an update run found or did.
package struct UpdateOutcome: Sendable {
    package var packageManager: String
    package var upgradable: [String]
    package var upgraded: [String]
    package var rebootRequired: Bool?
    package var log: String
}

/// Lists or applies OS package updates with apt, dnf or yum. Applying uses `sudo -n` when not
/// root, so a password prompt is an immediate, clear failure instead of a hang.
package struct UpdateRunner: Sendable {
    package init() {}

    /// Longest an upgrade may run, in hours.
    static let applyTimeoutHours = 6

    package func run(_ mode: UpdateMode, on session: SSHSession, progress: @escaping @Sendable (Int) async -> Void) async throws(ServerJobError) -> UpdateOutcome {
        try await ServerJobError.mapping(doing: "the update") { try await update(mode, on: session, progress: progress) }
    }

    private func update(_ mode: UpdateMode, on session: SSHSession, progress: @escaping @Sendable (Int) async -> Void) async throws -> UpdateOutcome {
        let probe = try await session.run("id -u; for t in apt-get dnf yum sudo; do command -v $t >/dev/null 2>&1 && echo $t; done; true", timeout: .seconds(20))
        let lines = probe.stdout.split(separator: "\n").map(String.init)
        let isRoot = lines.first == "0"
        guard let manager = ["apt-get", "dnf", "yum"].first(where: lines.contains) else {
            throw ServerJobError(.invalidRequest, "no supported package manager (apt-get, dnf or yum) on the server", retryable: false)
        }
        let upgradable = try await listUpgradable(manager, on: session)
        await progress(30)
        guard mode == .apply else {
            return UpdateOutcome(
                packageManager: manager, upgradable: upgradable, upgraded: [], rebootRequired: try await rebootRequired(manager, on: session),
                log: "")
        }
        if !isRoot && !lines.contains("sudo") {
            throw ServerJobError(
                .sudoNeedsPassword, "updates need root: connect as root or install sudo with a passwordless rule for the update command",
                retryable: false)
        }
        let sudo = isRoot ? "" : "sudo -n "
        let command: String
        switch manager {
        case "apt-get":
            command = sudo + "env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold upgrade"
        default:
            command = sudo + manager + " -y -q upgrade"
        }
        let result: (SSHExecResult, LogTail)
        do {
            result = try await session.perform { session in
                var tail = LogTail(limit: Update.maximumLogLength)
                // The queue runs one update at a time: one that never ends would hold every server's.
                let options = SSHExecOptions(timeout: .seconds(Self.applyTimeoutHours * 3600), idleTimeout: .seconds(900))
                let result = try session.exec(command + " 2>&1", options: options) { chunk in tail.append(chunk) }
                return (result, tail)
            }
        } catch let error as SSHError where error.code == .commandTimedOut {
            throw ServerJobError(
                .remoteCommand, "\(manager) ran longer than \(Self.applyTimeoutHours) hours and was stopped; check the server's package state (dpkg --audit)",
                retryable: false)
        }
        let log = result.1
        if log.text.contains("a password is required") || log.text.contains("sudo: a terminal is required") {
            throw ServerJobError(
                .sudoNeedsPassword, "sudo asked for a password on the server; add a NOPASSWD rule for the update command or connect as root",
                retryable: false)
        }
        guard result.0.exitStatus == 0 else {
            throw ServerJobError(
                .remoteCommand, "\(manager) exited with status \(result.0.exitStatus.map(String.init) ?? "?"): \(log.text.suffix(800))",
                retryable: false)
        }
        await progress(90)
        let remaining = Set(try await listUpgradable(manager, on: session))
        return UpdateOutcome(
            packageManager: manager, upgradable: upgradable, upgraded: upgradable.filter { !remaining.contains($0) },
            rebootRequired: try await rebootRequired(manager, on: session), log: log.text)
    }

    private func listUpgradable(_ manager: String, on session: SSHSession) async throws -> [String] {
        if manager == "apt-get" {
            return ScanProbes.aptListUpgradable(try await session.run("apt list --upgradable", timeout: .seconds(120), maxOutputBytes: ScanProbes.outputLimit).stdout)
        }
        let result = try await session.run(manager + " -q check-update", timeout: .seconds(300), maxOutputBytes: ScanProbes.outputLimit)
        return ScanProbes.dnfUpgradable(result.stdout)
    }

    private func rebootRequired(_ manager: String, on session: SSHSession) async throws -> Bool? {
        if manager == "apt-get" {
            return try await session.run("test -f /var/run/reboot-required", timeout: .seconds(10)).exitStatus == 0
        }
        let result = try await session.run("needs-restarting -r", timeout: .seconds(60))
        switch result.exitStatus {
        case 0: return false
        case 1: return true
        default: return nil
        }
    }
}

/// The last `limit` bytes of a command's output, as text with its control characters escaped
/// (the host's output goes to a record, an error and a log; a NUL would not even reach PostgreSQL).
struct LogTail: Sendable {
    let limit: Int
    private(set) var bytes: [UInt8] = []

    init(limit: Int) { self.limit = limit }

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: chunk)
        if bytes.count > limit * 2 { bytes.removeFirst(bytes.count - limit) }
    }

    var text: String { String(decoding: bytes.suffix(limit), as: UTF8.self).withVisibleControls(keepingLineBreaks: true) }
}
