import APIClient
import ArgumentParser
import ErrorCodes
import Foundation
import JSONSupport

/// `--url`, `--token` and `--output`, shared by every client command.
struct ClientOptions: ParsableArguments {
    @Option(help: "The platform's URL (default: MEDICINEMAN_URL, the saved login, or http://127.0.0.1:3000).")
    var url: String?

    @Option(help: "An API or session token (default: MEDICINEMAN_TOKEN or the saved login, for its own URL only). A token here shows in ps: prefer MEDICINEMAN_TOKEN.")
    var token: String?

    @Option(help: "table or json (json prints the API's data).")
    var output: OutputFormat = .table

    enum OutputFormat: String, ExpressibleByArgument, Sendable { case table, json }

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    func client() -> PlatformClient {
        let saved = ClientCredentials.load(from: ClientCredentials.path(environment: environment))
        let base = url ?? environment["MEDICINEMAN_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? saved?.url ?? "http://127.0.0.1:3000"
        let bearer = token ?? environment["MEDICINEMAN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 } ?? saved?.token(for: base)
        if bearer != nil, let plain = ClientOptions.plainRemoteHost(base) {
            Terminal.complain("warning: the token goes to \(plain) over plain http; anyone on the way can read it (use https)")
        }
        return PlatformClient(baseURL: base, token: bearer)
    }

    /// The host of an http (not https) URL that is not this machine; nil otherwise.
    static func plainRemoteHost(_ url: String) -> String? {
        guard let parts = URLComponents(string: url), parts.scheme?.lowercased() == "http", let host = parts.host?.lowercased() else { return nil }
        return ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host) || host.hasPrefix("127.") ? nil : host.withVisibleControls()
    }

    /// Prints `data` as JSON, or the table made from it.
    func show(_ data: JSONValue, table: (JSONValue) -> TextTable) {
        switch output {
        case .json: print(data.prettyJSON)
        case .table: print(table(data).render(width: Terminal.width))
        }
    }

    /// Prints `data` as JSON, or one line for people.
    func show(_ data: JSONValue, line: String) {
        switch output {
        case .json: print(data.prettyJSON)
        case .table: Terminal.say(line)
        }
    }
}

/// A client command: its work throws `ClientError`s, which end as one line on stderr and exit 2.
protocol ClientCommand: AsyncParsableCommand {
    var options: ClientOptions { get }
    func execute(_ client: PlatformClient) async throws(ClientError)
}

extension ClientCommand {
    func run() async throws {
        do {
            try await execute(options.client())
        } catch  where error.code == "job_failed" {
            throw ExitCode(1)  // the follower printed the outcome
        } catch {
            Terminal.complain("error: \(error.description)")
            throw ExitCode(2)
        }
    }
}

extension TextTable {
    /// One record as FIELD/VALUE rows, in the order given.
    static func fields(_ record: JSONValue, _ names: [String]) -> TextTable {
        TextTable(headers: ["FIELD", "VALUE"], rows: names.map { [$0, record.cell($0)] })
    }
}

extension JSONValue {
    /// Indented JSON with sorted keys, for `--output json`, with what a terminal would act on in
    /// the data (DEL, C1, reordering marks, which encoders leave raw) as `\uXXXX` escapes.
    var prettyJSON: String { indentedJSON.withVisibleControlsInJSON() }

    private var indentedJSON: String {
        guard let data = jsonText.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
            let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
        else { return jsonText }
        return String(decoding: pretty, as: UTF8.self)
    }

    /// The field as text for a table cell ("" when absent).
    func cell(_ key: String) -> String {
        switch self[key] {
        case .string(let text)?: return text
        case .int(let number)?: return String(number)
        case .double(let number)?: return String(number)
        case .bool(let flag)?: return flag ? "yes" : "no"
        case .array(let elements)?: return elements.map { $0.stringValue ?? $0.jsonText }.joined(separator: ",")
        case .null?, nil: return ""
        case .object?: return self[key]?.jsonText ?? ""
        }
    }

    var items: [JSONValue] {
        if case .array(let elements) = self["items"] ?? self { return elements }
        return []
    }
}

/// Server names or ids on the command line.
enum ServerName {
    /// The id of the server called `nameOrId` (a UUID is taken as it is).
    static func resolve(_ nameOrId: String, client: PlatformClient) async throws(ClientError) -> String {
        if UUID(uuidString: nameOrId) != nil { return nameOrId.lowercased() }
        let page = try await client.call(.get, "/api/servers" + PlatformClient.query([("limit", "200")]))
        let matches = page.items.filter { $0["name"]?.stringValue == nameOrId }
        guard let id = matches.first?["id"]?.stringValue else {
            throw ClientError("no server is named \(nameOrId); `medicineman servers list` shows them")
        }
        return id
    }

    /// The id of the server `nameOrId` names, or nil when the option was not given.
    static func resolveIfGiven(_ nameOrId: String?, client: PlatformClient) async throws(ClientError) -> String? {
        guard let nameOrId else { return nil }
        return try await resolve(nameOrId, client: client)
    }
}
