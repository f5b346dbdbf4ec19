import APIClient
import ArgumentParser
import Foundation
import JSONSupport

/// `medicineman servers list|add|show|test|remove`.
struct ServersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "servers", abstract: "List, add, show, test and remove servers (over the HTTP API).",
        subcommands: [List.self, Add.self, ShowCommand<ServerRecords>.self, Test.self, Pin.self, RemoveCommand<ServerRecords>.self], defaultSubcommand: List.self)

    static func table(_ servers: [JSONValue]) -> TextTable {
        TextTable(
            headers: ["NAME", "HOST", "PORT", "USER", "AUTH", "ONLINE", "TAGS", "ID"],
            rows: servers.map { server in
                [
                    server.cell("name"), server.cell("host"), server.cell("port"), server.cell("username"), server.cell("authType"),
                    server["online"].map { $0 == .bool(true) ? "yes" : $0 == .bool(false) ? "no" : "?" } ?? "?", server.cell("tags"), server.cell("id"),
                ]
            })
    }

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List servers.")
        @OptionGroup var options: ClientOptions

        func execute(_ client: PlatformClient) async throws(ClientError) {
            let page = try await client.call(.get, "/api/servers" + PlatformClient.query([("limit", "200")]))
            options.show(page) { ServersCommand.table($0.items) }
        }
    }

    struct Add: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a server; its key or password is read from a file or standard input, never from the command line.")
        @OptionGroup var options: ClientOptions
        @Option(help: "A name for the server.") var name: String
        @Option(help: "Hostname or IP address.") var host: String
        @Option(help: "SSH port.") var port: Int = 22
        @Option(help: "SSH user.") var user: String
        @Option(help: "A private key file (OpenSSH format).") var keyFile: String?
        @Flag(help: "Read the SSH password from standard input.") var passwordStdin = false
        @Option(help: "Pin this host key (SHA256:…); without it a key login's key is pinned on first contact, and a password server gets no password until one is pinned (servers pin).")
        var fingerprint: String?
        @Option(help: "A tag (repeatable).") var tag: [String] = []
        @Option(help: "A description.") var description: String?

        func execute(_ client: PlatformClient) async throws(ClientError) {
            let authType: String
            let credential: String
            if let keyFile {
                guard let key = try? String(contentsOfFile: keyFile, encoding: .utf8) else { throw ClientError("cannot read the key file \(keyFile)") }
                (authType, credential) = ("key", key)
            } else if passwordStdin {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ClientError("no password on standard input") }
                (authType, credential) = ("password", line)
            } else {
                throw ClientError("give --key-file FILE or --password-stdin")
            }
            var body: [String: JSONValue] = [
                "name": .string(name), "host": .string(host), "port": .int(Int64(port)), "username": .string(user),
                "authType": .string(authType), "credential": .string(credential), "tags": .array(tag.map(JSONValue.string)),
            ]
            if let fingerprint { body["hostKeyFingerprint"] = .string(fingerprint) }
            if let description { body["description"] = .string(description) }
            let server = try await client.call(.post, "/api/servers", body: .object(body))
            options.show(server, line: "added \(server.cell("name")) (\(server.cell("id")))")
        }
    }

    struct Test: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Connect to a server over SSH; exit status 1 when it is not reachable.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The server's name or id.") var server: String

        func execute(_ client: PlatformClient) async throws(ClientError) {
            let id = try await ServerName.resolve(server, client: client)
            let result = try await client.call(.post, "/api/servers/\(id)/test", timeout: .seconds(120))
            let reachable = result["reachable"] == .bool(true)
            options.show(
                result,
                line: reachable
                    ? "reachable; host key \(result.cell("hostKeyFingerprint"))\(result["pinned"] == .bool(true) ? " (pinned now)" : "")"
                    : "not reachable (\(result.cell("outcome"))): \(result.cell("message"))")
            if !reachable { throw ClientError(code: "job_failed", "not reachable") }
        }
    }

    struct Pin: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pin a server's host key (admin): after checking it on the server (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The server's name or id.") var server: String
        @Argument(help: "The host key's fingerprint, SHA256:… as ssh-keygen -lf prints it.") var fingerprint: String

        func execute(_ client: PlatformClient) async throws(ClientError) {
            let id = try await ServerName.resolve(server, client: client)
            let updated = try await client.call(.patch, "/api/servers/\(id)", body: ["hostKeyFingerprint": .string(fingerprint)])
            options.show(updated, line: "pinned \(updated.cell("hostKeyFingerprint")) for \(updated.cell("name"))")
        }
    }

}
