import Foundation
import Logging
import TestSupport
import Testing

/// The dashboard in headless Chromium (selenium, `Tests/Browser/dashboard_flow.py`) against a live
/// `medicineman serve` on a fresh database and the sshd test host: the first-run setup link, a
/// server added and tested, a backup watched to 100 %, a schedule previewed and saved, a scan,
/// pause and resume, forged writes refused, a viewer without write controls. Screenshots go to
/// `MM_TEST_SCREENSHOTS` (default `.local/test/screenshots`; `docs/screenshots` refreshes the README's).
@Suite struct DashboardBrowserTests {
    @Test(.exclusive) func anAdminAndAViewerUseTheDashboardInARealBrowser() async throws {
        let environment = ProcessInfo.processInfo.environment
        let chromium = environment["MM_TEST_CHROMIUM"] ?? "/usr/bin/chromium"
        let chromedriver = environment["MM_TEST_CHROMEDRIVER"] ?? "/usr/bin/chromedriver"
        for program in [chromium, chromedriver] where !FileManager.default.isExecutableFile(atPath: program) {
            Issue.record("\(program) is missing: the browser test needs Debian's chromium and chromium-driver (scripts/test.sh installs them)")
            return
        }
        let python = try TestEnvironment.require("MM_TEST_PYTHON")
        let root = try TestEnvironment.require("MM_TEST_ROOT")
        _ = try await ChildProcess.run(python, ["-c", "import selenium"])  // fails with pip's hint when selenium is missing
        let screenshots = environment["MM_TEST_SCREENSHOTS"].map { $0.hasPrefix("/") ? $0 : root + "/" + $0 } ?? root + "/.local/test/screenshots"
        var logger = Logger(label: "test.dashboard.browser")
        logger.logLevel = .warning
        try await TestEnvironment.withScratchDatabaseURL(logger: logger) { databaseURL in
            var settings = try PlatformProcess.environment(databaseURL: databaseURL)
            settings["SCHEDULER_INTERVAL_SECONDS"] = "2"
            let server = try await PlatformProcess(["serve"], environment: settings)
            let link = try await setupLink(printedBy: server)
            try await PlatformProcess.createUser("viewer1", role: "viewer", password: "viewer-password-1", environment: server.environment)
            let source = try sourceDirectory()
            var flow = [
                "MM_DASHBOARD_URL": server.baseURL, "MM_DASHBOARD_SETUP_LINK": link, "MM_DASHBOARD_SOURCE": source,
                "MM_DASHBOARD_VIEWER": "viewer1", "MM_DASHBOARD_VIEWER_PASSWORD": "viewer-password-1", "MM_DASHBOARD_SCREENSHOTS": screenshots,
                "MM_TEST_CHROMIUM": chromium, "MM_TEST_CHROMEDRIVER": chromedriver,
            ]
            for name in ["MM_TEST_SSH_HOST", "MM_TEST_SSH_PORT", "MM_TEST_SSH_USER", "MM_TEST_SSH_KEYS"] {
                flow[name] = try TestEnvironment.require(name)
            }
            flow["MM_TEST_SSH_FINGERPRINT"] = environment["MM_TEST_SSH_FINGERPRINT"]
            do {
                _ = try await ChildProcess.run(python, [root + "/Tests/Browser/dashboard_flow.py"], environment: flow, timeout: .seconds(420))
            } catch {
                Issue.record("the browser flow failed: \(error)\nserver log: \(server.child.errorOutput.suffix(3000))")
            }
            try await server.stop()
            try? FileManager.default.removeItem(atPath: source)
        }
    }

    /// The one-time link `serve` prints while no admin exists.
    func setupLink(printedBy server: PlatformProcess) async throws -> String {
        let link = try await eventualValue(timeout: .seconds(30), every: .milliseconds(100)) {
            server.child.output.range(of: #"http://\S+/setup\?token=[0-9a-f]{64}"#, options: .regularExpression).map { String(server.child.output[$0]) }
        }
        if let link { return link }
        throw DashboardTestError("serve printed no setup link: \(server.child.output.suffix(2000))")
    }

    /// A directory on the sshd test host (this machine) with a few MiB to back up.
    func sourceDirectory() throws -> String {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(TestEnvironment.uniqueName("dashboard-source")).path
        try FileManager.default.createDirectory(atPath: directory + "/etc", withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        for index in 0..<4 {
            let bytes = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/data-\(index).bin"))
        }
        try Data("listen 80;\n".utf8).write(to: URL(fileURLWithPath: directory + "/etc/site.conf"))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
        return directory
    }
}
