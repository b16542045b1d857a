-- Latest verdict per account. version is the latest event's time in Unix
-- milliseconds, so the newest event wins after FINAL whatever order batches
-- arrive in, and a redelivered batch rewrites the same row.
-- first_flagged is carried forward by the writer (earliest flagged event).
CREATE TABLE IF NOT EXISTS ${db}.account_verdicts (
    account_id         String,
    updated_at         DateTime,
    version            UInt64,
    verdict            String,
    score              Float64,
    reasons            Array(String),
    explanation        String,
    first_flagged      Nullable(DateTime),
    last_event_id      String,
    last_event_time    DateTime,
    last_event_time_ms UInt16,
    action             String,
    model_version      String
) ENGINE = ReplacingMergeTree(version)
ORDER BY account_id
