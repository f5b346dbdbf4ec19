package import CoreMetrics
import ServerJobs

/// Webhook delivery attempts by event and result; every event × result starts at zero.
package struct WebhookMetrics: Sendable {
    let factory: any MetricsFactory

    package init(factory: any MetricsFactory) {
        self.factory = factory
        for event in NotificationEventName.allCases {
            for result in WebhookDeliveryResult.allCases { deliveries(event.rawValue, result).increment(by: 0) }
        }
    }

    /// Counts one webhook delivery attempt's result.
    package func recordDelivery(event: String, result: WebhookDeliveryResult) {
        deliveries(event, result).increment()
    }

    private func deliveries(_ event: String, _ result: WebhookDeliveryResult) -> Counter {
        Counter(label: "medicineman_webhook_deliveries_total", dimensions: [("event", event), ("result", result.rawValue)], factory: factory)
    }
}
