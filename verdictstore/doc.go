// Package verdictstore holds the durable verdict sinks: a JSON-lines file for
// the demo and ClickHouse for production, plus the actions audit log.
//
// A Sink's Write returns only once its verdicts are durable (fsync'd, or
// acknowledged by ClickHouse). It retries with jittered exponential backoff
// until it succeeds or its context is done: a failing output makes the
// pipeline wait and never drops verdicts, so Kafka offsets are committed only
// for verdicts that are stored.
//
// The ClickHouse schema keeps to what ClickHouse 18.16 (Debian's package)
// and current releases both accept: MergeTree engines, DateTime plus a
// millisecond column instead of DateTime64, String for IP addresses and
// labels, UInt8 for booleans, no TTL, CODEC, LowCardinality, Map or Tuple.
// Migrations are embedded SQL files applied by ClickHouse.Migrate.
//
// account_verdicts keeps each account's latest verdict by event time
// (version = event time in Unix ms, so redelivered or late batches never
// replace newer state) and carries first_flagged forward from an in-memory
// set of flagged accounts, loaded on the first write and refreshed each
// minute.
//
// The pipeline's writer stage already batches and can call Write directly,
// committing offsets when it returns. BatchWriter coalesces many small writes
// with a bounded queue and a Completion per batch, for callers that do not.
//
// Metrics, registered on the injected prometheus.Registerer:
//
//   - sharewatch_clickhouse_batch_duration_seconds (histogram): time for one
//     ClickHouse.Write or WriteActions call to be acknowledged, retries
//     included.
//   - sharewatch_clickhouse_rows_written_total{table}: rows acknowledged,
//     per table (verdicts, account_verdicts, actions).
//   - sharewatch_clickhouse_write_failures_total{table}: failed insert
//     attempts, per table.
//   - sharewatch_clickhouse_retries_total: insert attempts retried after a
//     failure.
package verdictstore
