import Foundation
import JSONSupport
import Logging
import TestSupport
import Testing

/// The shipped Prometheus configuration, alert rules and Grafana dashboard work against a live
/// server: promtool checks and unit-tests the rules, and a real Prometheus scrapes a real
/// `medicineman serve` and evaluates every expression without error.
@Suite struct MonitoringTests {
    static var deploy: String { get throws { try TestEnvironment.require("MM_TEST_ROOT") + "/deploy" } }
    static let promtool = "/usr/bin/promtool"
    static let prometheus = "/usr/bin/prometheus"

    static func requireTool(_ path: String) throws {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ChildProcess.Failure(description: "\(path) is missing: install Debian's `prometheus` package (scripts/test.sh does)")
        }
    }

    @Test func promtoolChecksTheConfigurationAndUnitTestsEveryAlert() async throws {
        try Self.requireTool(Self.promtool)
        let deploy = try Self.deploy
        _ = try await ChildProcess.run(Self.promtool, ["check", "rules", deploy + "/prometheus/alerts.yml"])
        let unit = try await ChildProcess.run(Self.promtool, ["test", "rules", deploy + "/prometheus/alerts_test.yml"])
        #expect(unit.contains("SUCCESS"))
        // Every alert has a unit test.
        let rules = try String(contentsOfFile: deploy + "/prometheus/alerts.yml", encoding: .utf8)
        let tests = try String(contentsOfFile: deploy + "/prometheus/alerts_test.yml", encoding: .utf8)
        for line in rules.split(separator: "\n") where line.contains("- alert:") {
            let name = line.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            #expect(tests.contains("alertname: \(name)"), "alert \(name) has no unit test")
        }
        // Both scrape configurations parse (with a token file beside them).
        let directory = try Self.scratchDirectory()
        for config in ["prometheus.yml", "prometheus.docker.yml"] {
            let text = try String(contentsOfFile: deploy + "/prometheus/" + config, encoding: .utf8)
                .replacingOccurrences(of: "/etc/prometheus/metrics_token", with: directory + "/metrics_token")
            try text.write(toFile: directory + "/" + config, atomically: true, encoding: .utf8)
        }
        try "token".write(toFile: directory + "/metrics_token", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: deploy + "/prometheus/alerts.yml", toPath: directory + "/alerts.yml")
        for config in ["prometheus.yml", "prometheus.docker.yml"] {
            _ = try await ChildProcess.run(Self.promtool, ["check", "config", directory + "/" + config])
        }
    }

    @Test(.exclusive) func prometheusScrapesALiveServerAndEveryExpressionEvaluates() async throws {
        try Self.requireTool(Self.prometheus)
        let logger = testLogger("test.monitoring", level: .critical)
        let deploy = try Self.deploy
        try await TestEnvironment.withScratchDatabaseURL(logger: logger) { databaseURL in
            var environment = try PlatformProcess.environment(databaseURL: databaseURL)
            environment["METRICS_TOKEN"] = "monitoring-test-token-0123456789"
            let server = try await PlatformProcess(["serve"], environment: environment)
            let directory = try Self.scratchDirectory()
            // The shipped configuration, pointed at the test server and scraping every second.
            let config = try String(contentsOfFile: deploy + "/prometheus/prometheus.yml", encoding: .utf8)
                .replacingOccurrences(of: "127.0.0.1:3000", with: "127.0.0.1:\(server.port)")
                .replacingOccurrences(of: "scrape_interval: 15s", with: "scrape_interval: 1s")
                .replacingOccurrences(of: "evaluation_interval: 15s", with: "evaluation_interval: 1s")
            try config.write(toFile: directory + "/prometheus.yml", atomically: true, encoding: .utf8)
            try "monitoring-test-token-0123456789".write(toFile: directory + "/metrics_token", atomically: true, encoding: .utf8)
            try FileManager.default.copyItem(atPath: deploy + "/prometheus/alerts.yml", toPath: directory + "/alerts.yml")
            let port = try TestEnvironment.freePort()
            let prometheus = try ChildProcess(
                Self.prometheus,
                [
                    "--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/data",
                    "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
                ])
            defer { prometheus.signal(SIGKILL) }
            let api = "http://127.0.0.1:\(port)/api/v1"
            do {
                // Some traffic for the HTTP panels, then wait for two scrapes of a healthy target.
                for _ in 0..<5 { _ = try? await ChildProcess.run("/usr/bin/curl", ["-fsS", server.baseURL + "/health"]) }
                try await Self.waitFor(within: .seconds(60)) {
                    let targets = try? await Self.get(api + "/targets")
                    guard case .array(let active)? = targets?["data"]?["activeTargets"] else { return false }
                    return active.contains { $0["health"] == "up" }
                }
                try await Self.waitFor(within: .seconds(30)) {
                    let memory = try? await Self.query(api, "count_over_time(process_resident_memory_bytes[1m])")
                    return (memory?.first?["value"]?.arrayElement(1)?.stringValue).flatMap(Double.init) ?? 0 >= 2
                }
                // Every rule is loaded and evaluates without error.
                try await Self.waitFor(within: .seconds(30)) {
                    let rules = try? await Self.get(api + "/rules")
                    guard case .array(let groups)? = rules?["data"]?["groups"], case .array(let loaded)? = groups.first?["rules"] else { return false }
                    return loaded.count == 9 && loaded.allSatisfy { $0["health"] == "ok" }
                }
                // Every dashboard expression parses and evaluates; the core panels have series.
                let dashboard = try JSONValue(jsonText: String(contentsOfFile: deploy + "/grafana/dashboards/medicineman.json", encoding: .utf8))
                guard case .array(let panels)? = dashboard["panels"] else { Issue.record("the dashboard has no panels"); return }
                let core: Set<String> = [
                    "Jobs per queue and state", "Workers and oldest waiting job", "HTTP requests by route", "Process memory",
                    "Dependencies up",
                ]
                var seen: Set<String> = []
                for panel in panels {
                    guard let title = panel["title"]?.stringValue, case .array(let targets)? = panel["targets"] else { continue }
                    for target in targets {
                        guard let expression = target["expr"]?.stringValue else { continue }
                        let result = try await Self.query(api, expression)  // throws on a parse or evaluation error
                        if core.contains(title) {
                            #expect(!result.isEmpty, "core panel \(title) has no series for \(expression)")
                            seen.insert(title)
                        }
                    }
                }
                #expect(seen == core)
            } catch {
                Issue.record("prometheus log: \(prometheus.errorOutput.suffix(3000))")
                try? await server.kill()
                throw error
            }
            try await server.stop()
        }
    }

    static func scratchDirectory() throws -> String {
        let directory = NSTemporaryDirectory() + "/" + TestEnvironment.uniqueName("prometheus")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    static func get(_ url: String) async throws -> JSONValue {
        try JSONValue(jsonText: try await ChildProcess.run("/usr/bin/curl", ["-fsS", url]))
    }

    /// An instant query's result vector; throws when Prometheus refuses the expression.
    static func query(_ api: String, _ expression: String) async throws -> [JSONValue] {
        let answer = try JSONValue(
            jsonText: try await ChildProcess.run(
                "/usr/bin/curl",
                [
                    "-sS", "--data-urlencode", "query=\(expression)", api + "/query",
                ]))
        guard answer["status"] == "success" else {
            throw ChildProcess.Failure(description: "Prometheus refused \(expression): \(answer.jsonText)")
        }
        guard case .array(let result)? = answer["data"]?["result"] else { return [] }
        return result
    }

    static func waitFor(within limit: Duration, _ condition: () async -> Bool) async throws {
        guard try await eventually(timeout: limit, every: .milliseconds(250), condition) else {
            throw ChildProcess.Failure(description: "condition not met within \(limit)")
        }
    }
}

extension JSONValue {
    func arrayElement(_ index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }
}
