-- Key/value settings the platform keeps about itself (e.g. the id of the active encryption key).
-- Later migrations add the domain tables.
CREATE TABLE platform_settings (
    key text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_.]*$'),
    value jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
