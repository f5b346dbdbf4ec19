-- The cleanup duty removes settled deliveries past their retention, oldest settled first
-- (updated_at is set by every change of status); without this index each of its batches would
-- read the whole table.
CREATE INDEX webhook_deliveries__settled__idx ON webhook_deliveries (updated_at) WHERE status IN ('delivered', 'failed', 'refused');
