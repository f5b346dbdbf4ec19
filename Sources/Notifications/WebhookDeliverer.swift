package import AsyncHTTPClient
import BlockingIO
import Foundation
package import JobQueue
package import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
package import Records

/// The `notify-queue` processor: loads the delivery and its webhook, checks where the URL leads
/// (after DNS), signs the body and POSTs it once, without following redirects, and records the
/// attempt. A failure goes back to the queue for its backoff; a refused target does not.
/// Deliveries are at least once: a receiver deduplicates by `X-MedicineMan-Delivery`.
package struct WebhookDeliverer: Sendable {
    let webhooks: WebhookRepository
    let deliveries: WebhookDeliveryRepository
    let addressGuard: WebhookAddressGuard
    let settings: WebhookDeliverySettings
    /// Each delivery's client starts from this (`client(pinning:to:)`).
    let configuration: HTTPClient.Configuration
    let requestTimeout: TimeAmount
    /// Told of each attempt's result, by event (for metrics).
    let onResult: @Sendable (String, WebhookDeliveryResult) -> Void
    let logger: Logger

    package init(
        webhooks: WebhookRepository, deliveries: WebhookDeliveryRepository, settings: WebhookDeliverySettings,
        onResult: @escaping @Sendable (String, WebhookDeliveryResult) -> Void = { _, _ in }, logger: Logger
    ) {
        self.webhooks = webhooks
        self.deliveries = deliveries
        self.settings = settings
        self.onResult = onResult
        self.logger = logger
        addressGuard = WebhookAddressGuard(allowPrivate: settings.allowPrivateTargets)
        let timeout = TimeAmount.nanoseconds(settings.requestTimeout.wholeNanoseconds)
        // No redirects: a 3xx is the receiver's answer (a redirect could lead past the address check).
        requestTimeout = timeout
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: timeout, read: timeout))
        // The client's own spans would record the full URL (a Slack URL's path is a credential).
        configuration.tracing.tracer = nil
        self.configuration = configuration
    }

    /// A client for one delivery that connects to `address`, the one just checked, whatever the
    /// name resolves to by then: no DNS-rebinding window between the check and the connection.
    /// The request still names the host (`Host`, and for https SNI and the certificate check).
    func client(pinning target: WebhookTarget, to address: IPAddress) -> HTTPClient {
        var configuration = self.configuration
        if target.literalAddress == nil { configuration.dnsOverride = [target.host: address.description] }
        // A refused address gives way to the next one at once (the client would retry it until the deadline).
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    package func process(_ context: JobContext) async throws -> JSONValue {
        guard let job = try? context.job.data?.decode(as: WebhookDeliveryJob.self), let deliveryId = UUID(uuidString: job.deliveryId),
            let webhookId = UUID(uuidString: job.webhookId)
        else {
            throw UnrecoverableError("job data must be {\"deliveryId\", \"webhookId\"}")
        }
        guard let delivery = try await deliveries.find(id: deliveryId), let webhook = try await webhooks.find(id: webhookId) else {
            return ["skipped": "the webhook or its delivery was deleted"]
        }
        if delivery.status == .delivered { return ["alreadyDelivered": true] }
        guard webhook.enabled else {
            try await deliveries.markFailed(id: deliveryId, error: "the webhook was disabled before this delivery was sent")
            onResult(delivery.event, .failed)
            return ["skipped": "the webhook is disabled"]
        }
        let final = context.job.attemptsMade + 1 >= context.job.options.maxAttempts
        // URL and secret in one read; each is opened where it is needed.
        let url: String
        let endpoint: WebhookEndpoint
        do {
            endpoint = try await webhooks.endpoint(for: webhookId)
            url = try endpoint.url.get()
        } catch {
            // Like a secret that will not open (below): a failed attempt, so the last one settles the row.
            return try await failed(delivery, final: final, code: nil, "the webhook's URL cannot be opened: \(error)")
        }
        let target: WebhookTarget
        let addresses: [IPAddress]
        do {
            target = try WebhookTarget(parsing: url)
            addresses = try await addressGuard.checkedAddresses(of: target)
        } catch let refusal as WebhookRefusal {
            try await deliveries.recordAttempt(id: deliveryId, status: .refused, responseCode: nil, error: refusal.description)
            onResult(delivery.event, .refused)
            logger.warning("webhook target refused", metadata: ["webhook": "\(webhookId)", "reason": "\(refusal.restriction)"])
            throw UnrecoverableError(refusal.description)
        } catch let invalid as WebhookTargetError {
            try await deliveries.recordAttempt(id: deliveryId, status: .refused, responseCode: nil, error: invalid.message)
            onResult(delivery.event, .refused)
            throw UnrecoverableError(invalid.message)
        } catch {
            return try await failed(delivery, final: final, code: nil, "\(error)")
        }
        let secret: WebhookSecret
        do {
            secret = try endpoint.secret.get()
        } catch {
            // Recorded like any failed attempt, so the last one settles the row (a secret sealed
            // under a key since dropped from ENCRYPTION_KEY_PREVIOUS would otherwise leave it pending for ever).
            return try await failed(delivery, final: final, code: nil, "the webhook's signing secret cannot be opened: \(error)")
        }
        let body = WebhookBody.render(delivery, format: webhook.format)
        let timestamp = Int(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: target.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "MedicineMan-Webhook/1")
        request.headers.add(name: WebhookSignature.eventHeader, value: delivery.event)
        request.headers.add(name: WebhookSignature.deliveryHeader, value: deliveryId.lowercasedString)
        request.headers.add(name: WebhookSignature.timestampHeader, value: String(timestamp))
        request.headers.add(name: WebhookSignature.signatureHeader, value: WebhookSignature.sign(body: body, timestamp: timestamp, secret: secret))
        request.body = .bytes(ByteBuffer(bytes: body))
        let code: Int
        do {
            code = try await send(request, to: target, at: addresses)
        } catch let error where Self.isTimeout(error) {
            return try await failed(
                delivery, final: final, code: nil,
                "\(target.host) did not answer within \(settings.requestTimeout)")
        } catch {
            return try await failed(delivery, final: final, code: nil, "could not reach \(target.host): \(error)")
        }
        guard (200...299).contains(code) else {
            let what = (300...399).contains(code) ? "a redirect, which is not followed" : "not a success"
            return try await failed(delivery, final: final, code: code, "\(target.host) answered \(code) (\(what))")
        }
        try await deliveries.recordAttempt(id: deliveryId, status: .delivered, responseCode: code, error: nil)
        onResult(delivery.event, .delivered)
        return ["deliveryId": .string(deliveryId.lowercasedString), "responseCode": .int(Int64(code))]
    }

    /// Addresses of one name tried in one attempt, at the most.
    static let addressesTried = 3

    /// Sends `request` to the first of `addresses` (all checked) that takes the connection, as a
    /// client resolving the name itself would: the next is tried only when one cannot be
    /// connected to at all; the first answer's status counts.
    package func send(_ request: HTTPClientRequest, to target: WebhookTarget, at addresses: [IPAddress]) async throws -> Int {
        var failure: (any Error)?
        for address in addresses.prefix(Self.addressesTried) {
            let client = client(pinning: target, to: address)
            do {
                return try await withCleanup {
                    let response = try await client.execute(request, timeout: requestTimeout)
                    // The client's deadline ends with the answer's head; the body (not needed) is read
                    // only until the timeout, so a receiver that drips it cannot hold a delivery for days.
                    await Self.drain(response.body, within: settings.requestTimeout)
                    return Int(response.status.code)
                } cleanup: {
                    try? await client.shutdown()
                }
            } catch  where Self.couldNotConnect(error) {
                failure = error
            }
        }
        throw failure ?? HostResolutionError(message: "\(target.host) has no address")
    }

    /// Whether the connection itself failed (refused, unreachable, no answer to the connect), so
    /// another address of the name may serve.
    static func couldNotConnect(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError { return [.connectTimeout, .getConnectionFromPoolTimeout].contains(error) }
        if case ChannelError.connectTimeout = error { return true }
        if error is NIOConnectionError { return true }
        if let error = error as? IOError { return [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, ETIMEDOUT].contains(error.errnoCode) }
        return false
    }

    /// Reads and drops an answer's body for at most `limit` (64 KiB of it at the most); cancelled,
    /// the read ends the request, which closes the connection.
    static func drain(_ body: HTTPClientResponse.Body, within limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = try? await body.collect(upTo: 64 * 1024) }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Whether the receiver did not connect or answer in time, however the HTTP client says it: its
    /// deadline and timeouts, or, when the deadline ends a wait for a connection, the last connect
    /// failure (NIO's connect timeout).
    static func isTimeout(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return [.deadlineExceeded, .readTimeout, .connectTimeout, .getConnectionFromPoolTimeout].contains(error)
        }
        if case ChannelError.connectTimeout = error { return true }
        return false
    }

    /// Records a failed attempt and hands it back to the queue (which retries unless it was the last).
    private func failed(_ delivery: WebhookDelivery, final: Bool, code: Int?, _ message: String) async throws -> JSONValue {
        try await deliveries.recordAttempt(id: delivery.id, status: final ? .failed : .retrying, responseCode: code, error: message)
        onResult(delivery.event, final ? .failed : .retried)
        logger.notice(
            "webhook delivery attempt failed",
            metadata: [
                "delivery": "\(delivery.id)", "webhook": "\(delivery.webhookId)", "retry": "\(!final)", "error": "\(message)",
            ])
        throw WebhookDeliveryFailure(message: message)
    }
}

/// One attempt that did not deliver; the queue's backoff applies.
package struct WebhookDeliveryFailure: Error, Sendable, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}
