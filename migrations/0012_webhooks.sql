-- Webhooks: where notifications of events go. The signing secret (32 random bytes) is sealed by
-- the vault like server credentials (AES-256-GCM, the webhook id as associated data, the key's id
-- beside it), so it survives restarts and key rotations; the API shows it once, at creation.
CREATE TABLE webhooks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    url text NOT NULL CONSTRAINT webhooks__url__format CHECK (length(url) BETWEEN 10 AND 2048 AND url ~ '^https?://'),
    events text[] NOT NULL CONSTRAINT webhooks__events__count CHECK (cardinality(events) BETWEEN 1 AND 20),
    format text NOT NULL DEFAULT 'json' CONSTRAINT webhooks__format__valid CHECK (format IN ('json', 'slack')),
    enabled boolean NOT NULL DEFAULT true,
    secret_ciphertext text NOT NULL,
    secret_key_id text NOT NULL CONSTRAINT webhooks__secret_key_id__format CHECK (secret_key_id ~ '^[0-9a-f]{16}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks__created_at__idx ON webhooks (created_at DESC, id);
-- Which enabled webhooks want an event.
CREATE INDEX webhooks__events__idx ON webhooks USING gin (events) WHERE enabled;

-- One row per event and webhook; every attempt updates it (attempts, status, last response).
-- The job in notify-queue has the row's id as its id and carries only ids.
CREATE TABLE webhook_deliveries (
    id uuid PRIMARY KEY,
    webhook_id uuid NOT NULL CONSTRAINT webhook_deliveries__webhook_id__fk REFERENCES webhooks (id) ON DELETE CASCADE,
    event text NOT NULL CONSTRAINT webhook_deliveries__event__format CHECK (event ~ '^[a-z]+\.[a-z]+$'),
    -- The event as sent (name, time, summary, data); never the secret.
    payload jsonb NOT NULL,
    status text NOT NULL DEFAULT 'pending'
        CONSTRAINT webhook_deliveries__status__valid CHECK (status IN ('pending', 'retrying', 'delivered', 'failed', 'refused')),
    attempts integer NOT NULL DEFAULT 0 CONSTRAINT webhook_deliveries__attempts__range CHECK (attempts >= 0),
    response_code integer CONSTRAINT webhook_deliveries__response_code__range CHECK (response_code IS NULL OR response_code BETWEEN 100 AND 599),
    error text,
    enqueued_at timestamptz,
    last_attempt_at timestamptz,
    delivered_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries__webhook_id__idx ON webhook_deliveries (webhook_id, created_at DESC, id);
CREATE INDEX webhook_deliveries__not_enqueued__idx ON webhook_deliveries (created_at) WHERE enqueued_at IS NULL;
