-- The cleanup duty removes a finished scan or update once a newer one supersedes it: it looks up
-- the server's completed records that completed later (for updates, of the same mode), which
-- without these indexes walks every newer row of the server for each candidate.
CREATE INDEX scans__completed__idx ON scans (server_id, completed_at) WHERE status = 'completed';
CREATE INDEX updates__completed__idx ON updates (server_id, mode, completed_at) WHERE status = 'completed';
