-- Archive paths become relative to BACKUP_DIR: `<server id>/<yyyy>/<mm>/<backup id>.tar.gz`.
-- Absolute paths compared as text broke as soon as BACKUP_DIR was spelled differently (a trailing
-- slash, `./`, a symlink) or the volume moved: every archive looked orphaned to the janitor.
--
-- SQL cannot know BACKUP_DIR, and need not: every archive was written at `<BACKUP_DIR>/<tail>`,
-- so the four-part tail of the stored path is exactly the relative path, whatever the directory
-- was called then. Nothing is dropped: rows whose path does not end in such a tail stay as they
-- are; the code resolves no file for them (nothing outside BACKUP_DIR is read or deleted) and the
-- janitor keeps files by backup id. The code also keeps accepting absolute paths (by the same
-- tail), for a worker of the previous version that completes a backup during an upgrade.
UPDATE backups
SET file_path = substring(file_path FROM '([0-9A-Fa-f-]{36}/[0-9]{4}/[0-9]{2}/[0-9A-Fa-f-]{36}\.tar(\.gz|\.zst)?)$')
WHERE file_path ~ '/[0-9A-Fa-f-]{36}/[0-9]{4}/[0-9]{2}/[0-9A-Fa-f-]{36}\.tar(\.gz|\.zst)?$';
