-- People and programs that use the API. Constraint names follow <table>__<field>__<rule> so
-- errors can name the field at fault.
CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username text NOT NULL CONSTRAINT users__username__format CHECK (username ~ '^[A-Za-z0-9._-]{3,64}$'),
    email text CONSTRAINT users__email__format CHECK (email IS NULL OR (length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$')),
    password_hash text NOT NULL CONSTRAINT users__password_hash__format CHECK (password_hash LIKE '$2%'),
    role text NOT NULL CONSTRAINT users__role__valid CHECK (role IN ('admin', 'operator', 'viewer')),
    active boolean NOT NULL DEFAULT true,
    failed_logins integer NOT NULL DEFAULT 0 CONSTRAINT users__failed_logins__range CHECK (failed_logins >= 0),
    locked_until timestamptz,
    last_login_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users__username__unique ON users (lower(username));
CREATE UNIQUE INDEX users__email__unique ON users (lower(email)) WHERE email IS NOT NULL;

-- Bearer tokens: only a SHA-256 of the token is stored; the token itself is shown once.
CREATE TABLE api_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL CONSTRAINT api_tokens__user_id__fk REFERENCES users (id) ON DELETE CASCADE,
    name text NOT NULL CONSTRAINT api_tokens__name__format CHECK (length(name) BETWEEN 1 AND 100),
    token_hash text NOT NULL CONSTRAINT api_tokens__token_hash__format CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    display_prefix text NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz,
    last_used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT api_tokens__name__unique UNIQUE (user_id, name)
);
CREATE UNIQUE INDEX api_tokens__token_hash__unique ON api_tokens (token_hash);
