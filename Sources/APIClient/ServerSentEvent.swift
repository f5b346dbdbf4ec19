import Foundation
package import JSONSupport

/// One Server-Sent Event: its name and its `data` (JSON for the platform's streams).
package struct ServerSentEvent: Sendable, Equatable {
    package var name: String
    package var data: String

    package var json: JSONValue? { try? JSONValue(jsonText: data) }
}

/// Splits a `text/event-stream` into events as chunks arrive (comments and keep-alives dropped).
package struct ServerSentEventParser: Sendable {
    private var pending = ""
    private var name = "message"
    private var data: [String] = []

    package init() {}

    package mutating func feed(_ chunk: String) -> [ServerSentEvent] {
        pending += chunk
        var events: [ServerSentEvent] = []
        while let newline = pending.firstIndex(where: { $0 == "\n" || $0 == "\r\n" }) {
            let line = String(pending[..<newline])
            pending.removeSubrange(...newline)
            if line.isEmpty {
                if !data.isEmpty { events.append(ServerSentEvent(name: name, data: data.joined(separator: "\n"))) }
                name = "message"
                data = []
            } else if line.hasPrefix(":") {
                continue
            } else if line.hasPrefix("event:") {
                name = line.dropFirst(6).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("data:") {
                data.append(String(line.dropFirst(5).drop { $0 == " " }))
            }
        }
        return events
    }
}
