CREATE TABLE updates (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    server_id uuid NOT NULL CONSTRAINT updates__server_id__fk REFERENCES servers (id) ON DELETE CASCADE,
    mode text NOT NULL CONSTRAINT updates__mode__valid CHECK (mode IN ('check', 'apply')),
    status text NOT NULL DEFAULT 'pending' CONSTRAINT updates__status__valid CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    package_manager text,
    upgradable jsonb NOT NULL DEFAULT '[]',
    upgraded jsonb NOT NULL DEFAULT '[]',
    reboot_required boolean,
    -- The tail of the command output, bounded so one noisy upgrade cannot bloat the table.
    log text NOT NULL DEFAULT '' CONSTRAINT updates__log__length CHECK (length(log) <= 262144),
    job_id text,
    attempts integer NOT NULL DEFAULT 0,
    started_at timestamptz,
    completed_at timestamptz,
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT updates__completed_at__order CHECK (completed_at IS NULL OR started_at IS NULL OR completed_at >= started_at)
);
CREATE INDEX updates__server_id__idx ON updates (server_id, created_at DESC);
CREATE INDEX updates__status__idx ON updates (status, created_at DESC);
CREATE INDEX updates__created_at__idx ON updates (created_at DESC, id);
CREATE UNIQUE INDEX updates__job_id__unique ON updates (job_id) WHERE job_id IS NOT NULL;
