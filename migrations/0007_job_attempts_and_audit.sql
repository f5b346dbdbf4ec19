-- Every attempt of every job, whichever queue it ran on.
CREATE TABLE job_attempts (
    id bigserial PRIMARY KEY,
    queue text NOT NULL,
    job_id text NOT NULL,
    job_name text NOT NULL,
    attempt integer NOT NULL CONSTRAINT job_attempts__attempt__range CHECK (attempt >= 1),
    state text NOT NULL DEFAULT 'running' CONSTRAINT job_attempts__state__valid CHECK (state IN ('running', 'completed', 'failed', 'abandoned')),
    worker text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    error text,
    CONSTRAINT job_attempts__attempt__unique UNIQUE (queue, job_id, attempt),
    CONSTRAINT job_attempts__finished_at__order CHECK (finished_at IS NULL OR finished_at >= started_at)
);
CREATE INDEX job_attempts__started_at__idx ON job_attempts (started_at DESC);

-- One audit trail (the reference system had two overlapping ones).
CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    user_id uuid CONSTRAINT audit_log__user_id__fk REFERENCES users (id) ON DELETE SET NULL,
    actor text NOT NULL,
    action text NOT NULL,
    resource_type text NOT NULL,
    resource_id text,
    outcome text NOT NULL CONSTRAINT audit_log__outcome__valid CHECK (outcome IN ('success', 'failure', 'denied')),
    client_address text,
    details jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log__created_at__idx ON audit_log (created_at DESC, id);
CREATE INDEX audit_log__resource__idx ON audit_log (resource_type, resource_id, created_at DESC);
CREATE INDEX audit_log__user_id__idx ON audit_log (user_id, created_at DESC);
