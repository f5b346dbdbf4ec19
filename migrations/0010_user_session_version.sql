-- Sessions (login JWTs) carry the user's session version; changing the password or deactivating
-- the account bumps it, so every session issued before ends at once.
ALTER TABLE users ADD COLUMN session_version integer NOT NULL DEFAULT 1
    CONSTRAINT users__session_version__range CHECK (session_version >= 1);
