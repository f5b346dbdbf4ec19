import BlockingIO
import ErrorCodes
package import ArchiveFormat
package import Crypto
package import Foundation
package import Records
package import SSHClient

/// A restore drill on one SSH session: the chain restored into a fresh private directory
/// (`~/.medicineman-restore/drill-<id>.XXXXXXXXXX`, mode 0700), the restored tree listed and
/// hashed on the server and compared with `expected`, then the directory removed whatever
/// happened. A failed restore is an error; differences are the check's counts. Scratch
/// directories an interrupted drill left (a day old or more) are removed first.
package struct RestoreDrillRunner: Sendable {
    let storage: BackupStorage

    package init(storage: BackupStorage) {
        self.storage = storage
    }

    package func run(
        _ chain: [Backup], dataKeys: [UUID: SymmetricKey], expected: BackupTree, drillId: UUID,
        on session: SSHSession
    ) async throws(ServerJobError) -> RestoredTreeCheck {
        let label = RestoreTarget.drillLabelPrefix + drillId.lowercasedString
        try await Self.removeLeftovers(on: session)
        let directory = try await RestoreTarget.prepare(target: nil, allowRoot: false, label: label, on: session)
        return try await withCleanup { () async throws(ServerJobError) -> RestoredTreeCheck in
            try await RestoreRunner(storage: storage).run(chain, dataKeys: dataKeys, target: directory, exactModes: true, scratch: true, on: session)
            return try await Self.check(directory, against: expected, on: session)
        } cleanup: { () async throws(ServerJobError) in
            try await Self.remove(directory, on: session)
        }
    }

    static func check(_ directory: String, against expected: BackupTree, on session: SSHSession) async throws(ServerJobError) -> RestoredTreeCheck {
        let command = RestoreTarget.command(RestoreTarget.listScript, [directory])
        // Hashing prints nothing until a file is done: a long idle allowance, and a whole-command
        // limit from the tree's size (at 10 MB/s, plus 10 minutes), so a trickling server cannot
        // hold the worker for ever.
        let bytes = expected.entries.reduce(Int64(0)) { $0 &+ max(0, $1.size) }
        let options = SSHExecOptions(timeout: .seconds(600 + bytes / 10_000_000), idleTimeout: .seconds(1800))
        return try await ServerJobError.mapping(doing: "listing the restored tree") {
            try await session.perform { session in
                var listing = RestoredTreeListing(check: RestoredTreeCheck(expected: expected, differenceLimit: RestoreDrill.problemLimit))
                let result = try session.exec(command, options: options) { bytes in try listing.consume(bytes) }
                guard result.exitStatus == 0 else {
                    throw ServerJobError(
                        .remoteCommand, "listing the restored tree failed with status \(result.exitStatus.map(String.init) ?? "?"): \(result.stderrText.visiblePrefix(1000))",
                        retryable: false)
                }
                return try listing.finish()
            }
        }
    }

    static func remove(_ directory: String, on session: SSHSession) async throws(ServerJobError) {
        try await runCleanup(RestoreTarget.command(RestoreTarget.removeScript, [directory]), what: "the drill's directory \(directory)", on: session)
    }

    /// Removes the user's `drill-*` scratch directories a day old or more.
    static func removeLeftovers(on session: SSHSession) async throws(ServerJobError) {
        try await runCleanup(RestoreTarget.command(RestoreTarget.leftoversScript, []), what: "earlier drills' directories", on: session)
    }

    private static func runCleanup(_ command: String, what: String, on session: SSHSession) async throws(ServerJobError) {
        let output = try await RestoreTarget.run(command, timeout: .seconds(600), doing: "removing \(what)", on: session)
        guard output.exitStatus == 0 else {
            throw ServerJobError(.remoteCommand, "removing \(what) failed: \(output.stderr.visiblePrefix(1000))", retryable: false)
        }
    }
}
