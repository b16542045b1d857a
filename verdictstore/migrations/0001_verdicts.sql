-- One row per scored event: every field of the verdict contract.
-- Sub-second time is time_ms (0-999), since 18.16 has no DateTime64.
-- ReplacingMergeTree(ingested_at) keeps one row per (account_id, event_id)
-- after merges or FINAL; partitions are by event time, so a redelivered
-- event always lands in the partition of its first delivery.
CREATE TABLE IF NOT EXISTS ${db}.verdicts (
    event_id      String,
    time          DateTime,
    time_ms       UInt16,
    account_id    String,
    session_id    String,
    device_id     String,
    type          String,
    ip            String,
    country       String,
    city          String,
    lat           Float64,
    lon           Float64,
    accuracy_km   Int32,
    asn           UInt32,
    score         Float64,
    verdict       String,
    reasons       Array(String),
    explanation   String,
    action        String,
    model_version String,
    ingested_at   DateTime
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(time)
ORDER BY (account_id, event_id)
