import Foundation
import Hummingbird
import JSONSupport
import Notifications
import Records

/// `/api/webhooks` (admin): where event notifications go, and the last deliveries of each. The
/// secret is generated here and shown once, in the answer to the create; never again.
struct WebhooksController: Sendable {
    let webhooks: WebhookDependencies
    let audit: AuditLogRepository

    func addRoutes(to group: RouterGroup<APIRequestContext>) {
        group.get("webhooks", use: list)
        group.post("webhooks", use: create)
        group.get("webhooks/:id", use: show)
        group.patch("webhooks/:id", use: update)
        group.delete("webhooks/:id", use: remove)
        group.get("webhooks/:id/deliveries", use: deliveries)
    }

    @Sendable func list(_ request: Request, context: APIRequestContext) async throws -> APISuccess<PageOf<Webhook>> {
        _ = try context.require(.admin)
        let page = try await webhooks.webhooks.list(try Paging.page(request))
        return APISuccess("\(page.items.count) webhook(s)", page)
    }

    @Sendable func create(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<APISuccess<CreatedWebhookResource>> {
        let identity = try context.require(.admin)
        let body = try await request.decodeJSON(as: WebhookRequestBody.self, context: context)
            .validated(creating: true, addressGuard: webhooks.addressGuard)
        guard let url = body.url, let events = body.events else { throw APIError.validation("url", "url and events are required") }
        let created = try await webhooks.webhooks.create(url: url, events: events, format: body.format ?? .json, enabled: body.enabled ?? true)
        try await audit.record(identity, "webhook.create", resource: created.webhook.id.lowercasedString, Self.details(created.webhook))
        return EditedResponse(
            status: .created,
            response: APISuccess(
                "webhook created; keep its secret now, it is not shown again", CreatedWebhookResource(webhook: created.webhook, secret: created.secretHex)))
    }

    @Sendable func show(_ request: Request, context: APIRequestContext) async throws -> APISuccess<Webhook> {
        _ = try context.require(.admin)
        return APISuccess("webhook", try await find(context))
    }

    @Sendable func update(_ request: Request, context: APIRequestContext) async throws -> APISuccess<Webhook> {
        let identity = try context.require(.admin)
        let id = try Paging.uuid(context, "id")
        let body = try await request.decodeJSON(as: WebhookRequestBody.self, context: context)
            .validated(creating: false, addressGuard: webhooks.addressGuard)
        let updated = try await webhooks.webhooks.update(id: id, url: body.url, events: body.events, format: body.format, enabled: body.enabled)
        try await audit.record(identity, "webhook.update", resource: id.lowercasedString, Self.details(updated))
        return APISuccess("webhook updated", updated)
    }

    @Sendable func remove(_ request: Request, context: APIRequestContext) async throws -> APISuccess<JSONValue> {
        let identity = try context.require(.admin)
        let id = try Paging.uuid(context, "id")
        guard try await webhooks.webhooks.delete(id: id) else { throw APIError.notFound("webhook \(id)") }
        try await audit.record(identity, "webhook.delete", resource: id.lowercasedString)
        return APISuccess("webhook deleted with its deliveries", ["id": .string(id.lowercasedString)])
    }

    @Sendable func deliveries(_ request: Request, context: APIRequestContext) async throws -> APISuccess<PageOf<WebhookDelivery>> {
        _ = try context.require(.admin)
        let webhook = try await find(context)
        let page = try await webhooks.deliveries.list(webhookId: webhook.id, try Paging.page(request))
        return APISuccess("\(page.items.count) of \(page.total) deliveries", page)
    }

    private func find(_ context: APIRequestContext) async throws -> Webhook {
        let id = try Paging.uuid(context, "id")
        guard let webhook = try await webhooks.webhooks.find(id: id) else { throw APIError.notFound("webhook \(id)") }
        return webhook
    }

    /// What the audit log keeps: the target's host (a URL's path may hold a token), the events.
    static func details(_ webhook: Webhook) -> JSONValue {
        // The origin with a path, so a short one (`http://ab`) still parses.
        let host = (try? WebhookTarget(parsing: webhook.urlOrigin + "/"))?.host ?? "?"
        return [
            "host": .string(host), "events": .array(webhook.events.map { .string($0) }), "format": .string(webhook.format.rawValue),
            "enabled": .bool(webhook.enabled),
        ]
    }
}
