-- Restore drills: a backup's chain restored into a private scratch directory on its server (or on
-- a designated drill host), compared with the backup's file list, and the scratch removed.
-- A schedule asks for one every N completed backups and/or every N days.
ALTER TABLE backup_schedules
    ADD COLUMN drill_every_backups integer
        CONSTRAINT backup_schedules__drill_every_backups__range CHECK (drill_every_backups IS NULL OR drill_every_backups BETWEEN 1 AND 1000),
    ADD COLUMN drill_every_days integer
        CONSTRAINT backup_schedules__drill_every_days__range CHECK (drill_every_days IS NULL OR drill_every_days BETWEEN 1 AND 366),
    ADD COLUMN drill_server_id uuid CONSTRAINT backup_schedules__drill_server_id__fk REFERENCES servers (id) ON DELETE SET NULL;

-- A drill outlives the backup it restored (retention may delete that backup; the history and the
-- last-drill metric stay), so backup_id is set to NULL rather than the row deleted.
CREATE TABLE restore_drills (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    server_id uuid NOT NULL CONSTRAINT restore_drills__server_id__fk REFERENCES servers (id) ON DELETE CASCADE,
    backup_id uuid CONSTRAINT restore_drills__backup_id__fk REFERENCES backups (id) ON DELETE SET NULL,
    schedule_id uuid CONSTRAINT restore_drills__schedule_id__fk REFERENCES backup_schedules (id) ON DELETE SET NULL,
    -- A drill never falls back to the backup's own server when its drill host is deleted.
    drill_server_id uuid CONSTRAINT restore_drills__drill_server_id__fk REFERENCES servers (id) ON DELETE CASCADE,
    status text NOT NULL DEFAULT 'queued'
        CONSTRAINT restore_drills__status__valid CHECK (status IN ('queued', 'running', 'passed', 'failed')),
    job_id text,
    entries_expected integer,
    entries_matched integer,
    entries_missing integer,
    entries_changed integer,
    entries_extra integer,
    files_hashed integer,
    problems jsonb NOT NULL DEFAULT '[]'::jsonb,
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT restore_drills__finished__consistent CHECK ((status IN ('passed', 'failed')) = (finished_at IS NOT NULL))
);
-- A schedule drills each backup at most once (the planner may run in several processes).
CREATE UNIQUE INDEX restore_drills__schedule_backup__unique ON restore_drills (schedule_id, backup_id)
    WHERE schedule_id IS NOT NULL AND backup_id IS NOT NULL;
-- One drill of a backup at a time.
CREATE UNIQUE INDEX restore_drills__backup_active__unique ON restore_drills (backup_id) WHERE status IN ('queued', 'running');
CREATE INDEX restore_drills__server_created__idx ON restore_drills (server_id, created_at DESC);
CREATE INDEX restore_drills__schedule_created__idx ON restore_drills (schedule_id, created_at DESC) WHERE schedule_id IS NOT NULL;
CREATE INDEX restore_drills__unfinished__idx ON restore_drills (created_at) WHERE status IN ('queued', 'running');
