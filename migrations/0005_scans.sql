CREATE TABLE scans (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    server_id uuid NOT NULL CONSTRAINT scans__server_id__fk REFERENCES servers (id) ON DELETE CASCADE,
    scan_type text NOT NULL CONSTRAINT scans__scan_type__valid CHECK (scan_type IN ('quick', 'full', 'services', 'filesystems')),
    status text NOT NULL DEFAULT 'pending' CONSTRAINT scans__status__valid CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    job_id text,
    attempts integer NOT NULL DEFAULT 0,
    started_at timestamptz,
    completed_at timestamptz,
    duration_ms bigint CONSTRAINT scans__duration_ms__range CHECK (duration_ms IS NULL OR duration_ms >= 0),
    -- OS, kernel, uptime and counts: what a list view shows without the findings.
    summary jsonb NOT NULL DEFAULT '{}',
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT scans__completed_at__order CHECK (completed_at IS NULL OR started_at IS NULL OR completed_at >= started_at)
);
CREATE INDEX scans__server_id__idx ON scans (server_id, created_at DESC);
CREATE INDEX scans__status__idx ON scans (status, created_at DESC);
CREATE INDEX scans__created_at__idx ON scans (created_at DESC, id);
CREATE UNIQUE INDEX scans__job_id__unique ON scans (job_id) WHERE job_id IS NOT NULL;

CREATE TABLE scan_services (
    id bigserial PRIMARY KEY,
    scan_id uuid NOT NULL CONSTRAINT scan_services__scan_id__fk REFERENCES scans (id) ON DELETE CASCADE,
    name text NOT NULL,
    service_type text NOT NULL DEFAULT 'unknown',
    status text NOT NULL DEFAULT 'unknown',
    process_id integer,
    ports integer[] NOT NULL DEFAULT '{}',
    config_paths text[] NOT NULL DEFAULT '{}',
    data_paths text[] NOT NULL DEFAULT '{}',
    log_paths text[] NOT NULL DEFAULT '{}',
    version text,
    backup_priority integer NOT NULL DEFAULT 5 CONSTRAINT scan_services__backup_priority__range CHECK (backup_priority BETWEEN 1 AND 10),
    details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX scan_services__scan_id__idx ON scan_services (scan_id);

-- Sizes are bytes (df -B1), never KiB.
CREATE TABLE scan_filesystems (
    id bigserial PRIMARY KEY,
    scan_id uuid NOT NULL CONSTRAINT scan_filesystems__scan_id__fk REFERENCES scans (id) ON DELETE CASCADE,
    mount_point text NOT NULL,
    device text NOT NULL,
    filesystem_type text NOT NULL,
    total_bytes bigint NOT NULL CONSTRAINT scan_filesystems__total_bytes__range CHECK (total_bytes >= 0),
    used_bytes bigint NOT NULL CONSTRAINT scan_filesystems__used_bytes__range CHECK (used_bytes >= 0),
    available_bytes bigint NOT NULL CONSTRAINT scan_filesystems__available_bytes__range CHECK (available_bytes >= 0),
    is_system boolean NOT NULL DEFAULT false,
    backup_recommended boolean NOT NULL DEFAULT false,
    exclusions text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX scan_filesystems__scan_id__idx ON scan_filesystems (scan_id);

CREATE TABLE scan_containers (
    id bigserial PRIMARY KEY,
    scan_id uuid NOT NULL CONSTRAINT scan_containers__scan_id__fk REFERENCES scans (id) ON DELETE CASCADE,
    container_id text NOT NULL,
    name text NOT NULL,
    image text NOT NULL,
    state text NOT NULL,
    -- Host-side bindings ("0.0.0.0:8080->80/tcp" becomes 8080).
    host_ports integer[] NOT NULL DEFAULT '{}',
    volumes text[] NOT NULL DEFAULT '{}',
    details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX scan_containers__scan_id__idx ON scan_containers (scan_id);

-- A per-manager summary; the full package list would dwarf everything else.
CREATE TABLE scan_packages (
    id bigserial PRIMARY KEY,
    scan_id uuid NOT NULL CONSTRAINT scan_packages__scan_id__fk REFERENCES scans (id) ON DELETE CASCADE,
    manager text NOT NULL,
    installed_count integer NOT NULL DEFAULT 0,
    upgradable_count integer NOT NULL DEFAULT 0,
    upgradable jsonb NOT NULL DEFAULT '[]',
    CONSTRAINT scan_packages__manager__unique UNIQUE (scan_id, manager)
);

CREATE TABLE backup_recommendations (
    id bigserial PRIMARY KEY,
    scan_id uuid NOT NULL CONSTRAINT backup_recommendations__scan_id__fk REFERENCES scans (id) ON DELETE CASCADE,
    kind text NOT NULL CONSTRAINT backup_recommendations__kind__valid CHECK (kind IN ('service', 'database', 'filesystem', 'application', 'container')),
    priority text NOT NULL CONSTRAINT backup_recommendations__priority__valid CHECK (priority IN ('critical', 'high', 'medium', 'low')),
    title text NOT NULL,
    description text NOT NULL DEFAULT '',
    paths text[] NOT NULL DEFAULT '{}',
    exclusions text[] NOT NULL DEFAULT '{}',
    estimated_bytes bigint CONSTRAINT backup_recommendations__estimated_bytes__range CHECK (estimated_bytes IS NULL OR estimated_bytes >= 0)
);
CREATE INDEX backup_recommendations__scan_id__idx ON backup_recommendations (scan_id);
