import ErrorCodes
import Foundation
import Records
import SSHClient

/// Where a restore unpacks, decided on the server, where the paths are. Each step is a fixed `sh`
/// script run as `sh -c <script> medicineman-restore <arguments…>`: what varies arrives as
/// positional arguments, each quoted with `ShellArgument.quote`, never as script text.
///
/// - No target: a fresh directory made by `mktemp -d` (mode 0700) in `~/.medicineman-restore`
///   (mode 0700, owned by the SSH user, not a symlink), a place only that user can write, so no
///   other local user can pre-create or redirect it.
/// - A target: resolved with `realpath -m` on the server before it is compared with `/`
///   (`/proc/self/root`, `/./`, `//`, `/tmp/..` are all `/`); refused when it is a symlink, when
///   a symlink on its way belongs to another user (not root), or when it exists and is not a
///   directory of the SSH user. Otherwise created.
/// - Unpacking `cd`s into the canonical directory, checks it is still that directory and still
///   the user's, then runs `tar` there: the directory never goes through `tar --directory`, whose
///   argument GNU tar unescapes (a `\` in the name would be lost).
enum RestoreTarget {
    static let marker = "medicineman-target:"
    /// Exit statuses the scripts use to refuse a target; anything else is a failed command.
    static let refusals: ClosedRange<Int32> = 90...99

    static let fail = #"fail() { s=$1; shift; printf "medicineman: %s\n" "$*" >&2; exit "$s"; }"#

    /// `$1`: a label for the directory's name.
    static let freshScript =
        fail + #"""

            case ${HOME:-} in /?*) ;; *) fail 96 "the SSH user has no absolute HOME";; esac
            umask 077
            b=$HOME/.medicineman-restore
            [ -L "$b" ] && fail 96 "$b is a symlink"
            [ -e "$b" ] || mkdir -- "$b" || fail 95 "cannot create $b"
            [ -d "$b" ] && [ ! -L "$b" ] && [ -O "$b" ] || fail 96 "$b is not a directory of $(id -un)"
            chmod 700 -- "$b" || fail 95 "cannot make $b private"
            d=$(mktemp -d "$b/$1.XXXXXXXXXX") || fail 95 "cannot create a directory in $b"
            cd -- "$d" || fail 95 "cannot enter $d"
            printf "medicineman-target:%s\n" "$(pwd -P)"
            """#

    /// `$1`: the target as given (trailing `/` and `/.` removed); `$2`: 1 when `/` is allowed.
    static let givenScript =
        fail + #"""

            t=$1
            r=$(realpath -m -- "$t") || fail 91 "cannot resolve $t"
            case $r in /*) ;; *) fail 91 "cannot resolve $t";; esac
            if [ "$r" = / ] && [ "$2" != 1 ]; then fail 92 "$t is / once resolved; restoring over / must be asked for explicitly"; fi
            me=$(id -u) || fail 99 "cannot tell who I am"
            p=
            set -f
            IFS=/
            for c in $t; do
              [ -n "$c" ] || continue
              p=$p/$c
              if [ -L "$p" ]; then
                o=$(stat -c %u -- "$p") || fail 93 "cannot inspect $p"
                [ "$o" = 0 ] || [ "$o" = "$me" ] || fail 93 "$p is a symlink of another user (uid $o)"
              fi
            done
            unset IFS
            set +f
            [ -L "$t" ] && fail 93 "$t is a symlink; give the directory itself"
            if [ -e "$r" ]; then
              [ -d "$r" ] || fail 94 "$r exists and is not a directory"
              [ -O "$r" ] || fail 94 "$r exists and belongs to another user, not $(id -un)"
            else
              mkdir -p -- "$r" || fail 95 "cannot create $r"
            fi
            cd -- "$r" || fail 95 "cannot enter $r"
            printf "medicineman-target:%s\n" "$(pwd -P)"
            """#

    /// `$1`: the canonical directory; `$2`: `open` when an earlier archive of a chain was unpacked
    /// into a directory the platform made for this restore (its read-only directories are opened
    /// to the user, on its own filesystem only, so this archive can delete in them; the archive
    /// sets every directory's mode again, since an incremental archive has them all); the rest:
    /// tar's options.
    static let extractScript =
        fail + #"""

            d=$1
            o=$2
            shift 2
            cd -- "$d" || fail 95 "cannot enter $d"
            [ "$(pwd -P)" = "$d" ] || fail 93 "$d changed since it was checked"
            [ -O . ] || fail 94 "$d belongs to another user"
            if [ "$o" = open ]; then
              find . -xdev -type d ! -perm -u=rwx -exec chmod u+rwx -- {} \; || fail 95 "cannot open the directories in $d to the next archive"
            fi
            # The file list was checked as GNU tar reads names without options and in bytes: no
            # TAR_OPTIONS, and the C locale (another would convert pax names to its charset).
            exec env -u TAR_OPTIONS LC_ALL=C tar --extract --file=- --no-same-owner "$@"
            """#

    static func command(_ script: String, _ arguments: [String]) -> String {
        (["sh", "-c", ShellArgument.quote(script), "medicineman-restore"] + arguments.map(ShellArgument.quote)).joined(separator: " ")
    }

    /// The command that creates or checks the target and prints its canonical path.
    static func prepareCommand(target: String?, allowRoot: Bool, label: String) throws(ServerJobError) -> String {
        guard let target else {
            let safeLabel = String(label.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "-" }.prefix(64))
            return command(freshScript, [safeLabel.isEmpty ? "restore" : safeLabel])
        }
        try ShellArgument.validatePath(target, field: "target")
        return command(givenScript, [trimmed(target), allowRoot ? "1" : "0"])
    }

    /// `incremental` replays an archive of a chain (GNU tar removes what the backup saw deleted).
    /// `members` extracts exactly those entries (no recursion into a named directory, no wildcards).
    /// `exactModes` sets the archived permission bits, not masked by the user's umask.
    static func extractCommand(
        directory: String, compression: Compression, incremental: Bool = false, afterEarlierArchive: Bool = false,
        members: [String]? = nil, exactModes: Bool = false
    ) throws(ServerJobError) -> String {
        try ShellArgument.validatePath(directory, field: "target")
        var options: [String] = []
        switch compression {
        case .gzip: options.append("--gzip")
        case .zstd: options.append("--zstd")
        case .none: break
        }
        if incremental { options.append("--listed-incremental=/dev/null") }
        if exactModes { options.append("--preserve-permissions") }
        if let members { options += ["--no-recursion", "--no-wildcards", "--"] + members }
        return command(extractScript, [directory, incremental && afterEarlierArchive ? "open" : "keep"] + options)
    }

    /// Without trailing `/` or `/.`, so the symlink check sees the last name itself (`link/`
    /// would otherwise be followed).
    static func trimmed(_ target: String) -> String {
        var path = Substring(target)
        while path.count > 1 {
            if path.hasSuffix("/") { path = path.dropLast() } else if path.hasSuffix("/.") { path = path.dropLast(2) } else { break }
        }
        return path.isEmpty ? "/" : String(path)
    }

    /// Runs one of these scripts (output capped at 64 KiB); an SSH failure says what was `doing`.
    static func run(_ command: String, timeout: Duration, doing: String, on session: SSHSession) async throws(ServerJobError) -> SSHCommandOutput {
        try await ServerJobError.mapping(doing: doing) { try await session.run(command, timeout: timeout, maxOutputBytes: 64 * 1024) }
    }

    /// Runs the preparation on the server; returns the directory to unpack into.
    static func prepare(target: String?, allowRoot: Bool, label: String, on session: SSHSession) async throws(ServerJobError) -> String {
        let command = try prepareCommand(target: target, allowRoot: allowRoot, label: label)
        let output = try await run(command, timeout: .seconds(60), doing: "preparing the restore target", on: session)
        let stderr = output.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        if let status = output.exitStatus, refusals.contains(status) {
            throw ServerJobError(
                .invalidRequest, "restore target refused: \(stderr.replacingOccurrences(of: "medicineman: ", with: "").visiblePrefix(1000))",
                retryable: false)
        }
        guard output.exitStatus == 0,
            let line = output.stdout.split(separator: "\n").last(where: { $0.hasPrefix(marker) })
        else {
            throw ServerJobError(
                .remoteCommand, "preparing the restore target failed with status \(output.exitStatus.map(String.init) ?? "?"): \(stderr.visiblePrefix(1000))",
                retryable: false)
        }
        let directory = String(line.dropFirst(marker.count))
        try ShellArgument.validatePath(directory, field: "target")
        return directory
    }
}
