-- Retries with backoff (SPEC §8). A process's policy gains a backoff type, a cap and jitter;
-- retry_backoff_seconds stays as the backoff's delaySeconds. A process stored before keeps
-- what it did: exponential doubling of retry_backoff_seconds, capped only at a year, no jitter.
ALTER TABLE processes ADD COLUMN retry_backoff_type text NOT NULL DEFAULT 'Exponential';
ALTER TABLE processes ADD COLUMN retry_max_delay_seconds integer NOT NULL DEFAULT 31536000;
ALTER TABLE processes ADD COLUMN retry_jitter boolean NOT NULL DEFAULT false;

-- The attempts of a job that did not end it (failed and retried, lost, handed back), one row
-- each, written in the transaction that sends the job back to Pending. The current or last
-- attempt is the job row itself, so a job that succeeds at once writes nothing here.
CREATE TABLE job_attempts (
  job_key text NOT NULL,
  attempt integer NOT NULL,
  robot text,
  session_id text,
  started_at timestamptz,
  ended_at timestamptz NOT NULL,
  outcome text NOT NULL,
  error json,
  PRIMARY KEY (job_key, attempt)
);
