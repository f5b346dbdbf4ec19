import Notifications
import ServerJobs

extension MetricsRegistry {
    /// Counts one webhook delivery attempt's result.
    public func recordWebhookDelivery(event: String, result: WebhookDeliveryResult) {
        increment("medicineman_webhook_deliveries_total", [event, result.rawValue])
    }

    /// Every event × result starts at zero.
    func seedWebhookSeries() {
        for event in NotificationEventName.allCases {
            for result in WebhookDeliveryResult.allCases { increment("medicineman_webhook_deliveries_total", [event.rawValue, result.rawValue], by: 0) }
        }
    }
}
