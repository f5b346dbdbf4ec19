-- Where a backup's archive lives: `dir` (under BACKUP_DIR, every row before this migration) or
-- `s3` (the object store of BACKUP_STORAGE=s3, key S3_PREFIX + file_path). A process reads and
-- deletes each archive where its row says, so switching BACKUP_STORAGE leaves older archives
-- reachable.
ALTER TABLE backups ADD COLUMN storage text NOT NULL DEFAULT 'dir';
ALTER TABLE backups ADD CONSTRAINT backups__storage__valid CHECK (storage IN ('dir', 's3'));
