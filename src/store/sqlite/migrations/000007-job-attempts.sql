-- Retries with backoff (SPEC §8). A process's policy gains a backoff type, a cap and jitter;
-- retry_backoff_seconds stays as the backoff's delaySeconds. A process stored before keeps
-- what it did: exponential doubling of retry_backoff_seconds, capped only at a year, no jitter.
ALTER TABLE processes ADD COLUMN retry_backoff_type TEXT NOT NULL DEFAULT 'Exponential';
ALTER TABLE processes ADD COLUMN retry_max_delay_seconds INTEGER NOT NULL DEFAULT 31536000;
ALTER TABLE processes ADD COLUMN retry_jitter INTEGER NOT NULL DEFAULT 0;

-- The attempts of a job that did not end it (failed and retried, lost, handed back), one row
-- each, written in the transaction that sends the job back to Pending. The current or last
-- attempt is the job row itself, so a job that succeeds at once writes nothing here.
CREATE TABLE job_attempts (
  job_key TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  robot TEXT,
  session_id TEXT,
  started_at TEXT,
  ended_at TEXT NOT NULL,
  outcome TEXT NOT NULL,
  error TEXT,
  PRIMARY KEY (job_key, attempt)
);
