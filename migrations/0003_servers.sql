-- The machines the platform reaches over SSH. The credential is AES-256-GCM ciphertext from the
-- vault (the server id is its associated data); `credential_key_id` names the key it is under.
CREATE TABLE servers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CONSTRAINT servers__name__format CHECK (length(name) BETWEEN 1 AND 100),
    -- A hostname, IPv4 or IPv6 address (`::1` included); fully validated by the API.
    host text NOT NULL CONSTRAINT servers__host__format CHECK (host ~ '^[A-Za-z0-9.:-]{1,253}$' AND host !~ '^-'),
    port integer NOT NULL DEFAULT 22 CONSTRAINT servers__port__range CHECK (port BETWEEN 1 AND 65535),
    username text NOT NULL CONSTRAINT servers__username__format CHECK (username ~ '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$'),
    auth_type text NOT NULL CONSTRAINT servers__auth_type__valid CHECK (auth_type IN ('password', 'key')),
    credential_ciphertext text NOT NULL,
    credential_key_id text NOT NULL CONSTRAINT servers__credential_key_id__format CHECK (credential_key_id ~ '^[0-9a-f]{16}$'),
    host_key_fingerprint text CONSTRAINT servers__host_key_fingerprint__format
        CHECK (host_key_fingerprint IS NULL OR host_key_fingerprint ~ '^SHA256:[A-Za-z0-9+/]{43}$'),
    tags text[] NOT NULL DEFAULT '{}',
    description text NOT NULL DEFAULT '' CONSTRAINT servers__description__length CHECK (length(description) <= 2000),
    online boolean,
    last_checked_at timestamptz,
    last_check_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX servers__name__unique ON servers (lower(name));
CREATE INDEX servers__created_at__idx ON servers (created_at DESC, id);
