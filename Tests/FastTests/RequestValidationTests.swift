import Foundation
@testable import HTTPAPI
import JobQueue

import JSONSupport
import Records
import Testing

/// The API's request validation, without a server: each bad field is named with a message a
/// person can act on; a PATCH keeps what it does not mention.
@Suite struct RequestValidationTests {
    func rejectedField(_ body: () throws -> Any) -> String? {
        do {
            _ = try body()
            return nil
        } catch let error as APIError {
            #expect(error.code == "validation_failed")
            guard case .array(let fields)? = error.details["fields"] else { return nil }
            return fields.first?.stringValue
        } catch {
            Issue.record("not an API error: \(error)")
            return nil
        }
    }

    @Test func aScheduleNamesTheFieldAtFault() {
        let server = UUID().uuidString
        func body(_ edit: (inout ScheduleBody) -> Void) -> ScheduleBody {
            var body = ScheduleBody(serverId: server, cron: "30 2 * * *", paths: ["/etc"])
            edit(&body)
            return body
        }
        #expect(rejectedField { try body { $0.serverId = "web-1" }.definition(over: nil) } == "serverId")
        #expect(rejectedField { try body { $0.cron = "61 * * * *" }.definition(over: nil) } == "cron")
        #expect(rejectedField { try body { $0.timezone = "Mars/Olympus" }.definition(over: nil) } == "timezone")
        #expect(rejectedField { try body { $0.paths = ["etc"] }.definition(over: nil) } == "paths")
        #expect(rejectedField { try body { $0.paths = ["/etc\u{0}/x"] }.definition(over: nil) } == "paths")
        #expect(rejectedField { try body { $0.retention = .init(keepLast: 0) }.definition(over: nil) } == "retention.keepLast")
        #expect(rejectedField { try body { $0.drill = .init(everyDays: 400) }.definition(over: nil) } == "drill.everyDays")
        #expect(rejectedField { try body { $0.drill = .init(serverId: "../../etc") }.definition(over: nil) } == "drill.serverId")
        #expect(rejectedField { try body { $0.fullEveryDays = 0 }.definition(over: nil) } == "fullEveryDays")
        #expect(rejectedField { try body { $0.backupType = "differential" }.definition(over: nil) } == "backupType")
    }

    @Test func aPatchKeepsWhatItDoesNotMention() throws {
        let current = ScheduleDefinition(
            serverId: UUID(), cron: "0 3 * * *", timezone: "Europe/Berlin", paths: ["/srv"], exclusions: ["*.log"], compression: .zstd,
            backupType: .incremental, fullEveryDays: 7, retention: RetentionPolicy(keepLast: 5), drill: RestoreDrillPolicy(everyDays: 30))
        let (patched, timing) = try ScheduleBody(cron: "@daily").definition(over: current)
        #expect(patched.cron == timing.expression && patched.cron != current.cron)
        var expected = current
        expected.cron = patched.cron
        #expect(patched == expected)
    }

    @Test func aServerNamesTheFieldAtFault() {
        func request(_ edit: (inout CreateServerRequest) -> Void) -> CreateServerRequest {
            var request = CreateServerRequest(name: "web-1", host: "192.0.2.10", username: "backup", authType: "key", credential: "PEM")
            edit(&request)
            return request
        }
        #expect(rejectedField { try request { _ in }.validated() } == nil)
        #expect(rejectedField { try request { $0.authType = "kerberos" }.validated() } == "authType")
        #expect(rejectedField { try request { $0.host = "host; rm -rf /" }.validated() } == "host")
        #expect(rejectedField { try request { $0.port = 70_000 }.validated() } == "port")
        #expect(rejectedField { try request { $0.name = "   " }.validated() } == "name")
        #expect(rejectedField { try request { $0.hostKeyFingerprint = "MD5:aa" }.validated() } == "hostKeyFingerprint")
        #expect(rejectedField { try request { $0.tags = Array(repeating: "t", count: 21) }.validated() } == "tags")
        #expect(rejectedField { try request { $0.credential = String(repeating: "k", count: 16_385) }.validated() } == "credential")
    }

    @Test func aBackupRequestRefusesWhatCouldEscapeItsCommand() {
        #expect(rejectedField { try BackupRequestBody(paths: []).validated() } == "paths")
        #expect(rejectedField { try BackupRequestBody(paths: ["/etc", "$(reboot)"]).validated() } == "paths")
        #expect(rejectedField { try BackupRequestBody(paths: ["/etc"], exclusions: ["a\nb"]).validated() } == "exclusions")
        #expect(rejectedField { try BackupRequestBody(paths: ["/etc"], compression: "rar").validated() } == "compression")
        #expect(rejectedField { try BackupRequestBody(paths: ["/etc"], type: "snapshot").requestedType() } == "type")
        #expect(rejectedField { try BackupRequestBody(paths: ["/etc", "/var/lib/app data"], exclusions: ["*.tmp"]).validated() } == nil)
    }

    @Test func controlCharactersAreRefusedWhereTheyMakeNoSense() {
        #expect(rejectedField { try BodyInspector.checkText(["name": "web\u{0}1"]) } == "name")
        #expect(rejectedField { try BodyInspector.checkText(["description": "line one\u{1B}[2J"]) } == "description")
        #expect(rejectedField { try BodyInspector.checkText(["name": "web-1", "tags": ["prod"]]) } == nil)
    }

    @Test func aFieldTheRequestDoesNotKnowIsRefusedNotIgnored() {
        // As decoded from the body: the fields it has are set.
        let known = CreateServerRequest(name: "web-1", host: "192.0.2.10", username: "backup", authType: "key", credential: "PEM", tags: ["a"])
        #expect(rejectedField { try BodyInspector.checkFields(["name": "web-1", "isAdmin": true], against: known) } == "isAdmin")
        #expect(rejectedField { try BodyInspector.checkFields(["name": "web-1", "tags": ["a"]], against: known) } == nil)
        // The refusal lists what the route takes, even when the body set none of it.
        do {
            try BodyInspector.checkFields(["isAdmin": true], against: UpdateServerRequest())
            Issue.record("an unknown field was accepted")
        } catch {
            #expect((error as? APIError)?.message.hasSuffix("accepted: authType, credential, description, host, hostKeyFingerprint, name, port, tags, username") == true, "\(error)")
        }
    }
}
