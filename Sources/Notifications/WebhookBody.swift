package import Foundation
package import JSONSupport
package import Records

/// What a delivery sends: the event as JSON (`{id, event, occurredAt, summary, data}`) or, for
/// Slack-compatible receivers, `{"text": summary}`.
package enum WebhookBody {
    /// What the deliveries table keeps of an event (the body is rendered from it at each attempt).
    package static func storedPayload(summary: String, data: JSONValue, occurredAt: Date) -> JSONValue {
        ["summary": .string(summary), "data": data, "occurredAt": .string(occurredAt.ISO8601Format())]
    }

    package static func render(_ delivery: WebhookDelivery, format: WebhookFormat) -> [UInt8] {
        let summary = delivery.payload["summary"]?.stringValue ?? delivery.event
        let body: JSONValue
        switch format {
        case .slack:
            body = ["text": .string("MedicineMan: " + slackEscaped(summary))]
        case .json:
            body = [
                "id": .string(delivery.id.lowercasedString), "event": .string(delivery.event),
                "occurredAt": delivery.payload["occurredAt"] ?? .null, "summary": .string(summary),
                "data": delivery.payload["data"] ?? .object([:]),
            ]
        }
        return Array(body.jsonText.utf8)
    }

    /// Slack reads `<…>` as links and mentions (`<!channel>`): text that came from a server (an
    /// error message) must not ping a channel, so `&`, `<` and `>` are escaped as Slack asks.
    static func slackEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
