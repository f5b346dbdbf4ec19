import Foundation
import HTTPAPI
import Hummingbird
import Records

/// `/webhooks` (admin): each webhook's target, events and state with its latest deliveries
/// (event, status, attempts, response code, error). Webhooks are created and changed through
/// `/api/webhooks` (the secret is shown once, to the API caller).
enum WebhookPage {
    static let deliveriesShown = 10

    @Sendable static func build(_ dashboard: Dashboard, _ request: Request, _ context: APIRequestContext, _ viewer: Viewer) async throws -> PageView {
        guard let webhooks = dashboard.domain.webhooks else {
            return PageView(template: "webhooks", title: "Webhooks", section: "webhooks", data: ["hooks": [[String: Any]](), "empty": true, "total": 0])
        }
        let page = try await webhooks.webhooks.list(Page(limit: 100))
        var hooks: [[String: Any]] = []
        for hook in page.items {
            let deliveries = try await webhooks.deliveries.list(webhookId: hook.id, Page(limit: deliveriesShown)).items
            hooks.append([
                "id": hook.id.lowercasedString, "target": hook.urlOrigin + "/…", "events": hook.events.map { ["name": $0] },
                "format": hook.format.rawValue, "enabled": hook.enabled, "created": Format.age(hook.createdAt),
                "deliveries": deliveries.map { delivery -> [String: Any] in
                    var row: [String: Any] = [
                        "event": delivery.event, "status": delivery.status.rawValue, "statusTone": Format.tone(delivery.status.rawValue),
                        "attempts": delivery.attempts, "code": delivery.responseCode.map(String.init) ?? "—",
                        "when": Format.time(delivery.lastAttemptAt ?? delivery.createdAt), "age": Format.age(delivery.lastAttemptAt ?? delivery.createdAt),
                    ]
                    row["error"] = delivery.error.flatMap { $0.isEmpty ? nil : $0 }
                    return row
                },
                "noDeliveries": deliveries.isEmpty,
            ])
        }
        return PageView(
            template: "webhooks", title: "Webhooks", section: "webhooks",
            data: ["hooks": hooks, "empty": hooks.isEmpty, "total": page.total])
    }
}
