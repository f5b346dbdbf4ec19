import Foundation
package import Notifications
package import Records
import ServerJobs

/// The records and checks `/api/webhooks` works with.
package struct WebhookDependencies: Sendable {
    package var webhooks: WebhookRepository
    package var deliveries: WebhookDeliveryRepository
    /// Refuses literal addresses in restricted ranges at creation (`WEBHOOK_ALLOW_PRIVATE`).
    package var addressGuard: WebhookAddressGuard

    package init(webhooks: WebhookRepository, deliveries: WebhookDeliveryRepository, addressGuard: WebhookAddressGuard) {
        self.webhooks = webhooks
        self.deliveries = deliveries
        self.addressGuard = addressGuard
    }
}

/// `POST /api/webhooks` and `PATCH /api/webhooks/:id` body; for PATCH every field is optional.
struct WebhookRequestBody: Decodable, Sendable {
    var url: String?
    var events: [String]?
    var format: String?
    var enabled: Bool?

    struct Validated {
        var url: String?
        var events: [String]?
        var format: WebhookFormat?
        var enabled: Bool?
    }

    /// Checks every given field; `creating` requires `url` and `events`.
    func validated(creating: Bool, addressGuard: WebhookAddressGuard) throws -> Validated {
        if creating, url == nil { throw APIError.validation("url", "url is required: the http:// or https:// address to POST events to") }
        if creating, events == nil { throw APIError.validation("events", "events is required: \(Self.eventList)") }
        var result = Validated(enabled: enabled)
        if let url {
            do {
                let target = try WebhookTarget(parsing: url)
                try addressGuard.checkLiteral(target)
            } catch let error as WebhookTargetError {
                throw APIError.validation("url", error.message)
            } catch let refusal as WebhookRefusal {
                throw APIError.validation("url", "url points at \(refusal.restriction); webhooks may call only public addresses unless WEBHOOK_ALLOW_PRIVATE=true")
            }
            result.url = url
        }
        if let events {
            guard (1...20).contains(events.count) else { throw APIError.validation("events", "give 1 to 20 events: \(Self.eventList)") }
            for event in events where NotificationEventName(rawValue: event) == nil {
                throw APIError.validation("events", "'\(event.prefix(60))' is not an event; known events: \(Self.eventList)")
            }
            var seen = Set<String>()
            result.events = events.filter { seen.insert($0).inserted }
        }
        if let format {
            guard let parsed = WebhookFormat(rawValue: format) else { throw APIError.validation("format", "format must be json or slack") }
            result.format = parsed
        }
        return result
    }

    static let eventList = NotificationEventName.allCases.map(\.rawValue).joined(separator: ", ")
}

/// What `POST /api/webhooks` answers: the webhook and, this once, its secret.
struct CreatedWebhookResource: Encodable, Sendable {
    let webhook: Webhook
    let secret: String

    enum CodingKeys: String, CodingKey { case secret }

    func encode(to encoder: any Encoder) throws {
        try webhook.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(secret, forKey: .secret)
    }
}
