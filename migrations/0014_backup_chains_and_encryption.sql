-- Incremental chains and encryption at rest.
-- A backup is full or incremental; an incremental names the backup it builds on (its base) and
-- its position in the chain (a full one is position 0). The base may not be deleted while a
-- backup depends on it (NO ACTION, so deleting a whole server's backups in one statement works).
-- tar_snapshot is GNU tar's --listed-incremental state after this backup: the next incremental
-- starts from it, so the server keeps nothing it could lose.
-- An encrypted archive's data key is stored sealed under ENCRYPTION_KEY (data_key_ciphertext,
-- data_key_key_id: the same scheme as server credentials, so a key rotation re-seals it).
ALTER TABLE backups
    ADD COLUMN backup_type text NOT NULL DEFAULT 'full'
        CONSTRAINT backups__backup_type__valid CHECK (backup_type IN ('full', 'incremental')),
    ADD COLUMN base_backup_id uuid CONSTRAINT backups__base_backup_id__fk REFERENCES backups (id),
    ADD COLUMN chain_position integer NOT NULL DEFAULT 0
        CONSTRAINT backups__chain_position__range CHECK (chain_position >= 0),
    ADD COLUMN tar_snapshot bytea,
    ADD COLUMN data_key_ciphertext text,
    ADD COLUMN data_key_key_id text,
    ADD CONSTRAINT backups__chain__consistent CHECK (
        (backup_type = 'full' AND base_backup_id IS NULL AND chain_position = 0)
        OR (backup_type = 'incremental' AND base_backup_id IS NOT NULL AND chain_position > 0)),
    ADD CONSTRAINT backups__data_key__pair CHECK ((data_key_ciphertext IS NULL) = (data_key_key_id IS NULL));
CREATE INDEX backups__base_backup_id__idx ON backups (base_backup_id) WHERE base_backup_id IS NOT NULL;

-- Schedules: "full every N days, incremental otherwise" when backup_type is incremental.
ALTER TABLE backup_schedules
    ADD COLUMN backup_type text NOT NULL DEFAULT 'full'
        CONSTRAINT backup_schedules__backup_type__valid CHECK (backup_type IN ('full', 'incremental')),
    ADD COLUMN full_every_days integer
        CONSTRAINT backup_schedules__full_every_days__range CHECK (full_every_days IS NULL OR full_every_days BETWEEN 1 AND 366);

-- Encryption at rest is on for new installs (no backups yet); an existing install keeps writing
-- plain archives until ENCRYPT_BACKUPS=true or this setting says otherwise.
INSERT INTO platform_settings (key, value)
SELECT 'encrypt_backups', 'true'::jsonb WHERE NOT EXISTS (SELECT 1 FROM backups)
ON CONFLICT (key) DO NOTHING;
INSERT INTO platform_settings (key, value) VALUES ('encrypt_backups', 'false'::jsonb) ON CONFLICT (key) DO NOTHING;
