@testable import Dashboard
import Foundation
import JSONSupport
import Records
import TestSupport
import Testing

/// The dashboard's own judgements: when a server's backups are stale, what changed between two
/// scans, how values read, and where sign-in may send a browser.
@Suite struct DashboardLogicTests {
    @Test func aServerIsFlaggedWhenItsLastSuccessIsOlderThanItsSchedulesPeriod() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let fresh = UUID(), stale = UUID(), never = UUID(), young = UUID()
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        func schedule(_ server: UUID, cron: String, created: Date) throws -> BackupSchedule {
            let json = """
                {"id":"\(UUID().uuidString)","serverId":"\(server.uuidString)","cron":"\(cron)","timezone":"UTC","paths":["/etc"],"exclusions":[],
                 "compression":"gzip","backupType":"full","retention":{},"drill":{},"enabled":true,"skippedRuns":0,
                 "createdAt":"\(ISO8601DateFormatter().string(from: created))","updatedAt":"\(ISO8601DateFormatter().string(from: created))"}
                """
            return try decoder.decode(BackupSchedule.self, from: Data(json.utf8))
        }
        let weekAgo = now.addingTimeInterval(-7 * 86_400)
        let schedules = [
            try schedule(fresh, cron: "0 * * * *", created: weekAgo), try schedule(stale, cron: "0 * * * *", created: weekAgo),
            try schedule(stale, cron: "0 3 * * *", created: weekAgo), try schedule(never, cron: "@daily", created: weekAgo),
            try schedule(young, cron: "@daily", created: now.addingTimeInterval(-600)),
        ]
        let warnings = BackupFreshness.warnings(
            schedules: schedules, lastSuccess: [fresh: now.addingTimeInterval(-1800), stale: now.addingTimeInterval(-7200)],
            serverNames: [fresh: "fresh", stale: "stale", never: "never", young: "young"], now: now)
        #expect(warnings.map(\.serverName) == ["never", "stale"])
        #expect(warnings.last?.message.contains("every 1 h") == true, "the shortest period of the server's schedules counts")
        #expect(warnings.first?.message.contains("no successful backup yet") == true)
    }

    @Test func scanChangesNameWhatAppearedWentAndChanged() {
        let before = ScanFindings(
            services: [.init(name: "nginx", status: "running", ports: [80], version: "1.22"), .init(name: "redis", ports: [6379])],
            filesystems: [.init(mountPoint: "/", device: "sda1", filesystemType: "ext4", totalBytes: 1, usedBytes: 1, availableBytes: 0)],
            packages: [.init(manager: "apt", installedCount: 400, upgradableCount: 3)])
        let after = ScanFindings(
            services: [.init(name: "nginx", status: "running", ports: [80, 443], version: "1.24"), .init(name: "postgresql", ports: [5432])],
            filesystems: [
                .init(mountPoint: "/", device: "sda1", filesystemType: "ext4", totalBytes: 1, usedBytes: 1, availableBytes: 0),
                .init(mountPoint: "/data", device: "sdb1", filesystemType: "xfs", totalBytes: 1, usedBytes: 0, availableBytes: 1),
            ],
            containers: [.init(containerId: "c1", name: "web", image: "nginx", state: "running", hostPorts: [8080])],
            packages: [.init(manager: "apt", installedCount: 401, upgradableCount: 0)])
        let lines = ScanChanges(previous: before, current: after).lines.map { "\($0.kind): \($0.text)" }
        #expect(
            lines == [
                "added: service postgresql appeared", "removed: service redis is gone", "changed: service nginx: version 1.22 → 1.24",
                "added: port 443 opened", "added: port 5432 opened", "added: port 8080 opened", "removed: port 6379 closed",
                "added: container web appeared", "added: filesystem /data mounted", "changed: apt: 3 → 0 upgradable packages",
            ])
        #expect(ScanChanges(previous: after, current: after).lines.isEmpty)
    }

    @Test func valuesReadAtAGlance() {
        #expect(Format.bytes(512) == "512 B" && Format.bytes(4_195_835) == "4.0 MiB" && Format.bytes(nil) == "—")
        #expect(Format.duration(42) == "42 s" && Format.duration(600) == "10 min" && Format.duration(7200) == "2 h" && Format.duration(3 * 86_400) == "3 d")
        #expect(Format.percent(["phase": "verify", "percent": 95]) == 95 && Format.percent(["phase": "transfer", "bytes": 10]) == nil)
        #expect(Format.tone("completed") == "ok" && Format.tone("failed") == "bad" && Format.tone("active") == "info")
        // A hostile host's df may report any sizes; the page's percentage stays 0 to 100.
        #expect(ScanPages.percent(25, of: 100) == 25 && ScanPages.percent(1, of: 0) == 0 && ScanPages.percent(-5, of: 10) == 0)
        #expect(ScanPages.percent(.max, of: 1) == 100 && ScanPages.percent(1, of: .max) == 0)
        let bars = OverviewPage.bars(completed: [0, 2, 4], failed: [0, 2, 0])
        #expect(bars.count == 3 && bars[2]["okHeight"] as? String == "44.0" && bars[1]["badHeight"] as? String == "22.0")
    }

    /// The CSP forbids inline code; the templates must not need it, and must never skip escaping.
    @Test func templatesEscapeEverythingAndHoldNoInlineCode() throws {
        let directory = try TestEnvironment.require("MM_TEST_ROOT") + "/Sources/Dashboard/Resources/templates"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".mustache") }
        #expect(files.count >= 15)
        let inline = try NSRegularExpression(pattern: #"\son[a-z]+\s*=|\sstyle\s*=|<script(?![^>]*\ssrc=)|<style|javascript:"#, options: [.caseInsensitive])
        for file in files {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            #expect(!text.contains("{{{") && !text.contains("{{&"), "\(file) renders a value unescaped")
            #expect(inline.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil, "\(file) holds inline code or style")
        }
        let script = try String(contentsOfFile: directory + "/../assets/app.js", encoding: .utf8)
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "new Function", "document.write"] {
            #expect(!script.contains(sink), "app.js uses \(sink)")
        }
    }

    @Test func signInSendsBrowsersOnlyToLocalPaths() {
        for bad in [nil, "", "https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)", "/a b", "/\u{0}x"] {
            #expect(SignInRoutes.safeNext(bad) == "/", "\(String(describing: bad))")
        }
        #expect(SignInRoutes.safeNext("/jobs?state=failed") == "/jobs?state=failed")
        #expect(FormBody.parse("csrf=a%2Bb&next=%2Fjobs&name=ada+lovelace&name=second&flag") == ["csrf": "a+b", "next": "/jobs", "name": "ada lovelace", "flag": ""])
    }

    @Test func formFieldsWithNulOrControlCharactersAreRefused() {
        #expect(FormBody.fieldWithControlCharacters(FormBody.parse("username=adm%00in&password=x")) == "username")
        #expect(FormBody.fieldWithControlCharacters(FormBody.parse("username=admin&password=%00secret")) == "password")
        #expect(FormBody.fieldWithControlCharacters(FormBody.parse("username=ada%0D%0AX-Injected%3A+1")) == "username")
        #expect(FormBody.fieldWithControlCharacters(FormBody.parse("username=ada+lovelace&password=p%C3%A4ss")) == nil)
    }
}
