import Foundation
import JobQueue
import JSONSupport
import Logging
import RedisClient
import TestSupport
import Testing

/// The command-line client against a live `medicineman serve` and the sshd test host: every
/// command, JSON and table output, clear one-line errors, and the live progress line drawn in a
/// pseudo-terminal.
@Suite struct CLIClientTests {
    struct Outcome {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs `medicineman <arguments>` as a client of `server`.
    static func cli(_ arguments: [String], _ environment: [String: String]) async throws -> Outcome {
        let child = try ChildProcess(try TestEnvironment.require("MM_TEST_MEDICINEMAN"), arguments, environment: environment)
        let status = try await child.wait(timeout: .seconds(300))
        return Outcome(status: status, output: child.output, error: child.errorOutput)
    }

    /// A directory the SSH test user can read, with `megabytes` of random data.
    static func sampleTree(megabytes: Int) throws -> String {
        let directory = "/tmp/" + TestEnvironment.uniqueName("mm-cli-data")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        var generator = SystemRandomNumberGenerator()
        for index in 0..<megabytes {
            let bytes = (0..<(1 << 20) / 8).map { _ in generator.next() as UInt64 }
            let data = bytes.withUnsafeBytes { Data($0) }
            _ = FileManager.default.createFile(atPath: "\(directory)/part-\(index).bin", contents: data, attributes: [.posixPermissions: 0o644])
        }
        return directory
    }

    @Test(.exclusive) func everyCommandAgainstALiveServer() async throws {
        let logger = testLogger("test.cli", level: .critical)
        try await TestEnvironment.withScratchDatabaseURL(logger: logger) { databaseURL in
            let platform = try PlatformProcess.environment(databaseURL: databaseURL)
            try await PlatformProcess.run(environment: platform) { try await Self.exercise(server: $0, platform: platform) }
        }
    }

    static func exercise(server: PlatformProcess, platform: [String: String]) async throws {
        try await PlatformProcess.createUser("ops", role: "admin", password: "ops-password-1", environment: platform)
        try await PlatformProcess.createUser("watcher", role: "viewer", password: "watcher-password", environment: platform)
        let token = try await PlatformProcess.createToken(for: "ops", name: "cli", environment: platform)
        let viewerToken = try await PlatformProcess.createToken(for: "watcher", name: "cli", environment: platform)
        let home = NSTemporaryDirectory() + "/" + TestEnvironment.uniqueName("cli-home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        // No platform settings leak into the client: only HOME and COLUMNS.
        let bare: [String: String] = ["HOME": home, "COLUMNS": "80", "XDG_CONFIG_HOME": ""]
        var wide = bare
        wide["COLUMNS"] = "220"

        // login --token checks the token and saves it, mode 0600.
        let login = try await cli(["login", "--url", server.baseURL, "--token", token], bare)
        #expect(login.status == 0 && login.output.contains("as ops (admin)"), "\(login.error)")
        let saved = home + "/.config/medicineman/credentials"
        let mode = (try FileManager.default.attributesOfItem(atPath: saved)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)

        // Servers: add with a key file, list, show, test (by name).
        let keyFile = try TestEnvironment.require("MM_TEST_SSH_KEYS") + "/id_ed25519"
        let added = try await cli(
            [
                "servers", "add", "--name", "web", "--host", try TestEnvironment.require("MM_TEST_SSH_HOST"),
                "--port", try TestEnvironment.require("MM_TEST_SSH_PORT"), "--user", try TestEnvironment.require("MM_TEST_SSH_USER"),
                "--key-file", keyFile, "--tag", "prod",
            ], bare)
        #expect(added.status == 0 && added.output.hasPrefix("added web"), "\(added.error)")
        let listed = try await cli(["servers", "list", "--output", "json"], bare)
        let items = try JSONValue(jsonText: listed.output)["items"]
        guard case .array(let servers)? = items else { Issue.record("servers list --output json: \(listed.output)"); return }
        #expect(servers.count == 1 && servers.first?["name"] == "web" && servers.first?["credential"] == nil)
        let table = try await cli(["servers", "list"], bare)
        #expect(table.output.contains("NAME") && table.output.contains("web"))
        #expect(table.output.split(separator: "\n").allSatisfy { $0.count <= 80 }, "the table is wider than the terminal:\n\(table.output)")
        let tested = try await cli(["servers", "test", "web"], bare)
        #expect(tested.status == 0 && tested.output.contains("reachable; host key SHA256:"), "\(tested.output)\(tested.error)")
        let shown = try await cli(["servers", "show", "web"], bare)
        #expect(shown.output.contains("hostKeyFingerprint") && shown.output.contains("SHA256:"))

        // A backup followed in a pseudo-terminal: the bar advances, the last line says how it ended.
        let tree = try sampleTree(megabytes: 48)
        defer { try? FileManager.default.removeItem(atPath: tree) }
        let python = try TestEnvironment.require("MM_TEST_PYTHON")
        let script = try TestEnvironment.require("MM_TEST_ROOT") + "/Tests/CLI/follow_in_pty.py"
        let medicineman = try TestEnvironment.require("MM_TEST_MEDICINEMAN")
        let pty = try await ChildProcess.run(
            python, [script, medicineman, "backup", "web", "--path", tree, "--compression", "gzip", "--follow"],
            environment: bare, timeout: .seconds(300))
        let report = try JSONValue(jsonText: pty)
        #expect(report["exit"] == 0, "\(pty)")
        #expect(report["final"]?.stringValue?.hasPrefix("completed: job ") == true, "\(pty)")
        guard case .array(let frames)? = report["frames"] else { Issue.record("no frames: \(pty)"); return }
        let drawn = frames.compactMap(\.stringValue).filter { $0.contains("transfer") || $0.contains("verify") || $0.contains("active") }
        #expect(drawn.count >= 2, "the progress line was not redrawn: \(pty)")
        #expect(frames.compactMap(\.stringValue).contains { $0.contains("MB") }, "no byte count shown: \(pty)")

        // Backups: list, show, verify.
        let backups = try JSONValue(jsonText: try await cli(["backups", "list", "--server", "web", "--output", "json"], bare).output)
        guard case .array(let rows)? = backups["items"], let backupId = rows.first?["id"]?.stringValue else { Issue.record("no backup listed"); return }
        #expect(rows.first?["status"] == "completed")
        #expect(try await cli(["backups", "show", backupId], bare).output.contains("sha256"))
        let verified = try await cli(["backups", "verify", backupId], bare)
        #expect(verified.status == 0 && verified.output.contains("verified"), "\(verified.output)\(verified.error)")

        // A scan followed without a terminal: plain lines, exit status 0.
        let scan = try await cli(["scan", "web", "--type", "quick", "--follow"], bare)
        #expect(scan.status == 0 && scan.output.contains("completed: job"), "\(scan.output)\(scan.error)")
        #expect(!scan.output.contains("\u{1B}["), "escape codes without a terminal")
        let check = try await cli(["update", "web", "check", "--follow"], bare)
        #expect(check.status == 0, "\(check.output)\(check.error)")

        // Jobs and queues.
        let jobs = try await cli(["jobs", "list", "--queue", "backup-queue"], wide)
        #expect(jobs.output.contains("backup:manual") && jobs.output.contains("completed"))
        let queues = try await cli(["queues"], wide)
        #expect(queues.output.contains("backup-queue") && queues.output.contains("HEALTH"))
        let jobList = try JSONValue(jsonText: try await cli(["jobs", "list", "--output", "json"], bare).output)
        guard case .array(let jobItems)? = jobList["jobs"], let jobId = jobItems.first?["id"]?.stringValue else { Issue.record("no jobs"); return }
        #expect(try await cli(["jobs", "show", jobId], bare).output.contains("attemptsMade"))
        let watched = try await cli(["jobs", "watch", jobId], bare)
        #expect(watched.status == 0 && watched.output.contains("completed: job"))

        // Schedules: add (next runs shown), list, show, run, remove.
        let schedule = try await cli(
            [
                "schedules", "add", "--server", "web", "--cron", "30 2 * * *", "--timezone", "Europe/Berlin",
                "--path", tree, "--keep-last", "2", "--output", "json",
            ], bare)
        let scheduleJSON = try JSONValue(jsonText: schedule.output)
        guard let scheduleId = scheduleJSON["id"]?.stringValue else { Issue.record("schedules add: \(schedule.output)\(schedule.error)"); return }
        #expect({ if case .array(let runs)? = scheduleJSON["nextRuns"] { return runs.count == 3 } else { return false } }())
        #expect(try await cli(["schedules", "list"], wide).output.contains("30 2 * * *"))
        #expect(try await cli(["schedules", "show", scheduleId], bare).output.contains("Europe/Berlin"))
        let ran = try await cli(["schedules", "run", scheduleId, "--follow"], bare)
        #expect(ran.status == 0 && ran.output.contains("completed: job"), "\(ran.output)\(ran.error)")
        #expect(try await cli(["schedules", "remove", scheduleId], bare).status == 0)

        // Errors: one clear line each, and non-zero exit statuses.
        let unreachable = try await cli(["servers", "list", "--url", "http://127.0.0.1:\(try TestEnvironment.freePort())"], bare)
        #expect(unreachable.status == 2 && unreachable.error.contains("cannot reach") && unreachable.error.split(separator: "\n").count == 1)
        let badToken = try await cli(["servers", "list", "--token", "mm_wrong"], bare)
        #expect(badToken.status == 2 && badToken.error.contains("medicineman login"))
        let forbidden = try await cli(["servers", "remove", "web", "--token", viewerToken], bare)
        #expect(forbidden.status == 2 && forbidden.error.contains("ask an admin"))
        let invalid = try await cli(["backup", "web", "--path", "relative/path"], bare)
        #expect(invalid.status == 2 && invalid.error.contains("field: paths"), "\(invalid.error)")
        let unknown = try await cli(["backup", "nosuchserver", "--path", "/etc"], bare)
        #expect(unknown.status == 2 && unknown.error.contains("no server is named nosuchserver"))

        // Deleting works; the server goes last.
        #expect(try await cli(["backups", "delete", backupId], bare).status == 0)
        #expect(try await cli(["servers", "remove", "web"], bare).status == 0)
    }

    /// What a terminal would act on, apart from line breaks: C0, DEL, C1 and reordering marks.
    static func actsOnATerminal(_ text: String) -> Bool {
        text.unicodeScalars.contains { scalar in
            scalar != "\n" && (scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{202E}")
        }
    }

    /// A job name another BullMQ producer chose: an OSC window title, a screen clear, an 8-bit
    /// CSI and a right-to-left override. The platform's worker fails the job ("unknown job name
    /// '…'"), so the name reaches every field the client prints.
    @Test(.exclusive) func aHostileJobCannotDriveTheOperatorsTerminal() async throws {
        let logger = testLogger("test.cli.escapes", level: .critical)
        try await TestEnvironment.withScratchDatabaseURL(logger: logger) { databaseURL in
            let platform = try PlatformProcess.environment(databaseURL: databaseURL)
            try await PlatformProcess.run(environment: platform) { server in
                try await PlatformProcess.createUser("ops", role: "admin", password: "ops-password-1", environment: platform)
                let token = try await PlatformProcess.createToken(for: "ops", name: "cli", environment: platform)
                let redis = try TestEnvironment.redisPool(logger: logger)
                let queue = try Queue(name: "scan-queue", prefix: try #require(platform["QUEUE_PREFIX"]), redis: redis)
                let hostile = "scan:\u{1B}]0;owned\u{07}\u{1B}[2J\u{9B}31m\u{202E}txt.exe\ncompleted: job 1"
                let job = try await queue.add(hostile, data: ["recordId": "x"])
                #expect(try await eventually(timeout: .seconds(60)) { try await queue.getJobState(job.id) == .failed })
                await redis.close()

                let client = ["HOME": NSTemporaryDirectory(), "COLUMNS": "400", "MEDICINEMAN_URL": server.baseURL, "MEDICINEMAN_TOKEN": token]
                for arguments in [["jobs", "list", "--queue", "scan-queue"], ["jobs", "show", job.id], ["jobs", "watch", job.id]] {
                    let shown = try await Self.cli(arguments, client)
                    #expect(shown.status == (arguments[1] == "watch" ? 1 : 0), "\(arguments): \(shown.error)")
                    #expect(!Self.actsOnATerminal(shown.output) && !Self.actsOnATerminal(shown.error), "\(arguments): \(shown.output.debugDescription)")
                    #expect(shown.output.contains(#"scan:\u{1B}]0;owned\u{7}\u{1B}[2J\u{9B}31m\u{202E}txt.exe"#), "\(arguments): \(shown.output)")
                    #expect(!shown.output.split(separator: "\n").contains { $0.hasPrefix("completed:") }, "a forged line: \(shown.output)")
                }
                // The JSON output shows them as `\uXXXX` and is the same JSON.
                let json = try await Self.cli(["jobs", "show", job.id, "--output", "json"], client)
                #expect(try JSONValue(jsonText: json.output)["name"]?.stringValue == hostile)
                #expect(!Self.actsOnATerminal(json.output), "\(json.output.debugDescription)")
                #expect(!Self.actsOnATerminal(server.child.errorOutput), "the server's log: \(server.child.errorOutput.suffix(2000).debugDescription)")
            }
        }
    }
}
