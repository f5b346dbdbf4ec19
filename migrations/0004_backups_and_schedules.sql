CREATE TABLE backup_schedules (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    server_id uuid NOT NULL CONSTRAINT backup_schedules__server_id__fk REFERENCES servers (id) ON DELETE CASCADE,
    cron text NOT NULL CONSTRAINT backup_schedules__cron__length CHECK (length(cron) BETWEEN 1 AND 100),
    timezone text NOT NULL DEFAULT 'UTC' CONSTRAINT backup_schedules__timezone__format CHECK (timezone ~ '^[A-Za-z0-9_+/-]{1,64}$'),
    paths text[] NOT NULL CONSTRAINT backup_schedules__paths__count CHECK (cardinality(paths) BETWEEN 1 AND 100),
    exclusions text[] NOT NULL DEFAULT '{}',
    compression text NOT NULL DEFAULT 'gzip' CONSTRAINT backup_schedules__compression__valid CHECK (compression IN ('gzip', 'zstd', 'none')),
    keep_last integer CONSTRAINT backup_schedules__keep_last__range CHECK (keep_last IS NULL OR keep_last > 0),
    keep_daily integer CONSTRAINT backup_schedules__keep_daily__range CHECK (keep_daily IS NULL OR keep_daily > 0),
    keep_weekly integer CONSTRAINT backup_schedules__keep_weekly__range CHECK (keep_weekly IS NULL OR keep_weekly > 0),
    keep_monthly integer CONSTRAINT backup_schedules__keep_monthly__range CHECK (keep_monthly IS NULL OR keep_monthly > 0),
    enabled boolean NOT NULL DEFAULT true,
    last_run_at timestamptz,
    next_run_at timestamptz,
    last_status text CONSTRAINT backup_schedules__last_status__valid CHECK (last_status IS NULL OR last_status IN ('completed', 'failed', 'skipped')),
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX backup_schedules__server_id__idx ON backup_schedules (server_id);
CREATE INDEX backup_schedules__next_run_at__idx ON backup_schedules (next_run_at) WHERE enabled;

-- One row per backup; its attempts live in job_attempts. A retry sets started_at again and clears
-- completed_at and error, so the ordering check always holds.
CREATE TABLE backups (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    server_id uuid NOT NULL CONSTRAINT backups__server_id__fk REFERENCES servers (id) ON DELETE CASCADE,
    schedule_id uuid CONSTRAINT backups__schedule_id__fk REFERENCES backup_schedules (id) ON DELETE SET NULL,
    kind text NOT NULL CONSTRAINT backups__kind__valid CHECK (kind IN ('manual', 'scheduled')),
    status text NOT NULL DEFAULT 'pending' CONSTRAINT backups__status__valid CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    verification text NOT NULL DEFAULT 'pending'
        CONSTRAINT backups__verification__valid CHECK (verification IN ('pending', 'verified', 'failed', 'skipped')),
    paths text[] NOT NULL CONSTRAINT backups__paths__count CHECK (cardinality(paths) BETWEEN 1 AND 100),
    exclusions text[] NOT NULL DEFAULT '{}',
    compression text NOT NULL DEFAULT 'gzip' CONSTRAINT backups__compression__valid CHECK (compression IN ('gzip', 'zstd', 'none')),
    file_path text,
    size_bytes bigint CONSTRAINT backups__size_bytes__range CHECK (size_bytes IS NULL OR size_bytes >= 0),
    sha256 text CONSTRAINT backups__sha256__format CHECK (sha256 IS NULL OR sha256 ~ '^[0-9a-f]{64}$'),
    job_id text,
    attempts integer NOT NULL DEFAULT 0 CONSTRAINT backups__attempts__range CHECK (attempts >= 0),
    started_at timestamptz,
    completed_at timestamptz,
    verified_at timestamptz,
    error text,
    warning text,
    metadata jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT backups__completed_at__order CHECK (completed_at IS NULL OR started_at IS NULL OR completed_at >= started_at)
);
CREATE INDEX backups__server_id__idx ON backups (server_id, created_at DESC);
CREATE INDEX backups__status__idx ON backups (status, created_at DESC);
CREATE INDEX backups__created_at__idx ON backups (created_at DESC, id);
CREATE INDEX backups__schedule_id__idx ON backups (schedule_id, created_at DESC) WHERE schedule_id IS NOT NULL;
CREATE UNIQUE INDEX backups__job_id__unique ON backups (job_id) WHERE job_id IS NOT NULL;
