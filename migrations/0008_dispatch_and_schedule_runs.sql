-- A record's job is enqueued after the record commits; enqueued_at marks that it reached Redis,
-- so the reconciler can enqueue the rows a crash left behind (and only those).
ALTER TABLE backups ADD COLUMN enqueued_at timestamptz;
ALTER TABLE scans ADD COLUMN enqueued_at timestamptz;
ALTER TABLE updates ADD COLUMN enqueued_at timestamptz;
UPDATE backups SET enqueued_at = created_at;
UPDATE scans SET enqueued_at = created_at;
UPDATE updates SET enqueued_at = created_at;
CREATE INDEX backups__not_enqueued__idx ON backups (created_at) WHERE enqueued_at IS NULL;
CREATE INDEX scans__not_enqueued__idx ON scans (created_at) WHERE enqueued_at IS NULL;
CREATE INDEX updates__not_enqueued__idx ON updates (created_at) WHERE enqueued_at IS NULL;
CREATE INDEX backups__unfinished__idx ON backups (status) WHERE status IN ('pending', 'running');
CREATE INDEX scans__unfinished__idx ON scans (status) WHERE status IN ('pending', 'running');
CREATE INDEX updates__unfinished__idx ON updates (status) WHERE status IN ('pending', 'running');

-- The schedule occurrence a scheduled backup runs for: one backup per schedule and due time.
ALTER TABLE backups ADD COLUMN due_at timestamptz;
CREATE UNIQUE INDEX backups__schedule_due__unique ON backups (schedule_id, due_at) WHERE schedule_id IS NOT NULL AND due_at IS NOT NULL;

-- Occurrences missed while no scheduler ran (only the latest of a gap runs).
ALTER TABLE backup_schedules ADD COLUMN skipped_runs bigint NOT NULL DEFAULT 0
    CONSTRAINT backup_schedules__skipped_runs__range CHECK (skipped_runs >= 0);
ALTER TABLE backup_schedules ADD COLUMN last_skipped_at timestamptz;
