import ErrorCodes
import SSHClient

/// Moves GNU tar's `--listed-incremental` state to and from the server around one backup: the
/// platform keeps it (in the backup's row), the server holds it only in a private temporary
/// file for the length of the run, so nothing the server could lose breaks a chain.
enum TarSnapshotTransfer {
    /// Snapshots hold a few dozen bytes per directory: 32 MiB is hundreds of thousands of
    /// directories. A larger one (or a server sending garbage) makes the next backup full.
    static let maxBytes = 32 * 1024 * 1024

    /// Writes `snapshot` (empty for a full backup) into a fresh 0600 file; returns its path.
    static func upload(_ snapshot: [UInt8], on session: isolated SSHSession) throws -> String {
        var pending: [UInt8]? = snapshot
        var path: [UInt8] = []
        let command = #"umask 077 && f=$(mktemp "${TMPDIR:-/tmp}/medicineman-snapshot.XXXXXXXX") && cat > "$f" && printf '%s' "$f""#
        let result = try session.exec(
            command, options: SSHExecOptions(timeout: .seconds(300)),
            stdin: {
                defer { pending = nil }
                return pending
            }
        ) { chunk in
            guard path.count + chunk.count <= 4096 else { return }
            path.append(contentsOf: chunk)
        }
        let text = String(decoding: path, as: UTF8.self)
        guard result.exitStatus == 0, text.hasPrefix("/"), text.contains("/medicineman-snapshot."),
            !text.unicodeScalars.contains(where: { $0 == "\0" || $0 == "\n" || $0 == "'" })
        else {
            throw ServerJobError(.storage, "the server could not hold the incremental snapshot (mktemp or write failed: \(result.stderrText.visiblePrefix(200)))")
        }
        return text
    }

    /// Reads the snapshot tar left after the run, then removes the file; nil when it is larger
    /// than `maxBytes` (the backup stands, the next one is full).
    static func fetch(from path: String, on session: isolated SSHSession) throws -> [UInt8]? {
        var snapshot: [UInt8] = []
        var tooLarge = false
        let quoted = ShellArgument.quote(path)
        let result = try session.exec(
            "cat -- \(quoted); status=$?; rm -f -- \(quoted); exit $status",
            options: SSHExecOptions(timeout: .seconds(300))
        ) { chunk in
            guard snapshot.count + chunk.count <= maxBytes else { tooLarge = true; return }
            snapshot.append(contentsOf: chunk)
        }
        guard result.exitStatus == 0 else {
            throw ServerJobError(.storage, "the incremental snapshot could not be read back: \(result.stderrText.visiblePrefix(200))")
        }
        return tooLarge ? nil : snapshot
    }

    /// Best effort, after a failed run.
    static func remove(_ path: String, on session: isolated SSHSession) {
        _ = try? session.exec("rm -f -- \(ShellArgument.quote(path))", options: SSHExecOptions(timeout: .seconds(30))) { _ in }
    }
}
