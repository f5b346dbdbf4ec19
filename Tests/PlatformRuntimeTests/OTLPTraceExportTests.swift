import BlockingIO
import Foundation
import Hummingbird
import JSONSupport
import Logging
import NIOCore
import TestSupport
import Testing

/// `medicineman serve` with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at a collector inside the test:
/// one trace runs from `POST /api/servers/:id/backup` through the job attempt to the SSH steps
/// that stream the archive to disk (against the sshd test host).
@Suite struct OTLPTraceExportTests {
    /// The collector's port, from the range reserved for these tests.
    static let collectorPort = 7360
    static let traceId = "4bf92f3577b34da6a3ce929d0e0e4736"

    @Test(.exclusive) func oneTraceFromTheBackupRequestToTheArchive() async throws {
        let received = CollectedExports()
        try await Self.withCollector(received) {
            let logger = testLogger("test.otlp", level: .critical)
            try await TestEnvironment.withScratchDatabaseURL(logger: logger) { databaseURL in
                var environment = try PlatformProcess.environment(databaseURL: databaseURL)
                environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:\(Self.collectorPort)"
                environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/json"
                environment["OTEL_BSP_SCHEDULE_DELAY"] = "200"
                // The graceful stop at the end flushes the last batch of spans.
                let status = try await PlatformProcess.run(environment: environment) { try await Self.backUp(server: $0, environment: environment) }
                #expect(status == 0)
            }
        }

        let spans = await received.exports.flatMap(Self.spans(in:))
        let inTrace = spans.filter { Self.hexId($0["traceId"]) == Self.traceId }
        let names = Set(inTrace.compactMap { $0["name"]?.stringValue })
        #expect(names.contains("POST /api/servers/{id}/backup"), "spans of the trace: \(names.sorted())")
        #expect(names.contains("process backup-queue"), "spans of the trace: \(names.sorted())")
        #expect(names.contains("ssh connect"), "spans of the trace: \(names.sorted())")
        #expect(names.contains("ssh exec"), "spans of the trace: \(names.sorted())")
        // The attempt hangs under the request's span, the SSH steps under the attempt.
        let byName = Dictionary(inTrace.map { ($0["name"]?.stringValue ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        let request = byName["POST /api/servers/{id}/backup"]
        let attempt = byName["process backup-queue"]
        #expect(Self.hexId(attempt?["parentSpanId"]) == Self.hexId(request?["spanId"]))
        #expect(Self.hexId(byName["ssh exec"]?["parentSpanId"]) == Self.hexId(attempt?["spanId"]))
    }

    /// Adds the sshd test host and backs up a small directory, the request carrying our traceparent.
    static func backUp(server: PlatformProcess, environment: [String: String]) async throws {
        try await PlatformProcess.createUser("ops", role: "admin", password: "ops-password-1", environment: environment)
        let token = try await PlatformProcess.createToken(for: "ops", name: "otlp", environment: environment)
        let key = try String(contentsOfFile: try TestEnvironment.require("MM_TEST_SSH_KEYS") + "/id_ed25519", encoding: .utf8)
        let added = try await call(
            "POST", server.baseURL + "/api/servers", token: token,
            body: [
                "name": "traced", "host": .string(try TestEnvironment.require("MM_TEST_SSH_HOST")),
                "port": .int(Int64(try TestEnvironment.require("MM_TEST_SSH_PORT")) ?? 22), "username": .string(try TestEnvironment.require("MM_TEST_SSH_USER")),
                "authType": "key", "credential": .string(key),
            ])
        let serverId = try #require(added["data"]?["id"]?.stringValue)
        let tree = "/tmp/" + TestEnvironment.uniqueName("mm-otlp-data")
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: tree) }
        _ = FileManager.default.createFile(atPath: tree + "/hello.txt", contents: Data("traced\n".utf8), attributes: [.posixPermissions: 0o644])
        let started = try await call(
            "POST", server.baseURL + "/api/servers/\(serverId)/backup", token: token, body: ["paths": [.string(tree)]],
            traceparent: "00-\(traceId)-00f067aa0ba902b7-01")
        let backupId = try #require(started["data"]?["recordId"]?.stringValue)
        let status = try await eventualValue(timeout: .seconds(60), every: .milliseconds(200)) {
            let status = try await call("GET", server.baseURL + "/api/backups/\(backupId)", token: token)["data"]?["status"]?.stringValue
            return status == "completed" || status == "failed" ? status : nil
        }
        #expect(status == "completed")
    }

    static func call(_ method: String, _ url: String, token: String, body: JSONValue? = nil, traceparent: String? = nil) async throws -> JSONValue {
        var arguments = ["-sS", "-X", method, url, "-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json"]
        if let traceparent { arguments += ["-H", "traceparent: \(traceparent)"] }
        if let body { arguments += ["--data-binary", body.jsonText] }
        return try JSONValue(jsonText: try await ChildProcess.run("/usr/bin/curl", arguments, timeout: .seconds(30)))
    }

    /// An OTLP/HTTP collector (JSON encoding) on the reserved port while `body` runs.
    static func withCollector(_ received: CollectedExports, _ body: () async throws -> Void) async throws {
        let router = Router()
        router.post("/v1/traces") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 16 << 20)
            if let export = try? JSONValue(jsonText: String(buffer: bytes)) { await received.add(export) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
        let (listening, announce) = AsyncStream<Void>.makeStream()
        let logger = testLogger("test.otlp.collector", level: .critical)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: collectorPort)),
            onServerRunning: { _ in announce.yield() }, logger: logger)
        let serving = Task { try await app.runService(gracefulShutdownSignals: []) }
        for await _ in listening { break }
        try await withCleanup {
            try await body()
        } cleanup: {
            serving.cancel()
            _ = try? await serving.value
        }
    }

    /// The spans of one OTLP export request (`resourceSpans[].scopeSpans[].spans[]`).
    static func spans(in export: JSONValue) -> [JSONValue] {
        guard case .array(let resources)? = export["resourceSpans"] else { return [] }
        return resources.flatMap { resource -> [JSONValue] in
            guard case .array(let scopes)? = resource["scopeSpans"] else { return [] }
            return scopes.flatMap { scope -> [JSONValue] in
                guard case .array(let spans)? = scope["spans"] else { return [] }
                return spans
            }
        }
    }

    /// OTLP/JSON writes ids in hex; a protobuf JSON mapping would write base64. Either way, hex.
    static func hexId(_ value: JSONValue?) -> String? {
        guard let text = value?.stringValue, !text.isEmpty else { return nil }
        if text.count % 2 == 0, text.allSatisfy(\.isHexDigit) { return text.lowercased() }
        guard let data = Data(base64Encoded: text) else { return nil }
        return data.map { String(format: "%02x", $0) }.joined()
    }
}

/// What the test collector was sent: one OTLP export request each.
actor CollectedExports {
    private(set) var exports: [JSONValue] = []

    func add(_ export: JSONValue) {
        exports.append(export)
    }
}
