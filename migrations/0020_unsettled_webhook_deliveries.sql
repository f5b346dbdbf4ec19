-- The notification service settles deliveries whose job reached Redis but that no attempt has
-- changed for longer than the retries can wait (their job ended without its outcome recorded, or
-- was removed): it looks them up by `updated_at` among the few unsettled rows, every pass.
CREATE INDEX webhook_deliveries__unsettled__idx ON webhook_deliveries (updated_at)
    WHERE status IN ('pending', 'retrying') AND enqueued_at IS NOT NULL;
