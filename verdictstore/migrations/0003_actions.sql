-- Audit log of actions taken on accounts: tickets, holds, releases,
-- analyst decisions and comments. dry_run is 0 or 1.
CREATE TABLE IF NOT EXISTS ${db}.actions (
    account_id String,
    time       DateTime,
    time_ms    UInt16,
    action     String,
    actor      String,
    reason     String,
    ticket_ref String,
    event_id   String,
    verdict    String,
    score      Float64,
    dry_run    UInt8
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(time)
ORDER BY (account_id, time)
