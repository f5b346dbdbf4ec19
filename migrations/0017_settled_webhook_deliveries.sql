-- The cleanup duty removes settled deliveries past their retention, oldest first; without this
-- index each of its batches would read the whole table.
CREATE INDEX webhook_deliveries__settled__idx ON webhook_deliveries (created_at) WHERE status IN ('delivered', 'failed', 'refused');
