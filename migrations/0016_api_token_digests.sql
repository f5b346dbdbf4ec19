-- The API keeps the digests of live tokens in memory and reads those made since its last read
-- (at most a few times a second while made-up tokens arrive): this index keeps that read small.
CREATE INDEX api_tokens__created_at__idx ON api_tokens (created_at) WHERE revoked_at IS NULL;
