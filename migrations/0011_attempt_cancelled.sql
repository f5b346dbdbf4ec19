-- An attempt whose job was cancelled (its lock was lost, or the process stopped past its grace
-- period) is recorded as `cancelled`: it wrote no outcome and its job runs again elsewhere.
ALTER TABLE job_attempts DROP CONSTRAINT job_attempts__state__valid;
ALTER TABLE job_attempts ADD CONSTRAINT job_attempts__state__valid
    CHECK (state IN ('running', 'completed', 'failed', 'abandoned', 'cancelled'));
