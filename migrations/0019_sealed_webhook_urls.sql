-- A webhook's URL is often its credential (Slack's and Discord's carry a token in the path), so it
-- is sealed by the vault like the signing secret: AES-256-GCM, the webhook id as associated data,
-- the key's id beside it. Only its origin (scheme, host, port) stays readable, to show and audit.
-- Rows written before this keep their plain `url` until the server's start-up seals them (it
-- holds the key; this migration does not): a row is either plain or sealed, never both.
ALTER TABLE webhooks
    ALTER COLUMN url DROP NOT NULL,
    ADD COLUMN url_origin text CONSTRAINT webhooks__url_origin__format CHECK (url_origin ~ '^https?://[^/?#@[:space:]]+$'),
    ADD COLUMN url_ciphertext text,
    ADD COLUMN url_key_id text CONSTRAINT webhooks__url_key_id__format CHECK (url_key_id ~ '^[0-9a-f]{16}$'),
    ADD CONSTRAINT webhooks__url__plain_or_sealed CHECK (
        (url IS NOT NULL AND url_ciphertext IS NULL AND url_key_id IS NULL AND url_origin IS NULL)
        OR (url IS NULL AND url_ciphertext IS NOT NULL AND url_key_id IS NOT NULL AND url_origin IS NOT NULL)
    );
