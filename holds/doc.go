// Package holds publishes account hold and release commands and guards
// them with a blast-radius brake.
//
// # Contract
//
// Each command is one JSON object (schema.json is its JSON Schema) on the
// Kafka topic account-holds, keyed by account_id, so one account's
// commands stay in order on one partition. Keys are partitioned like
// librdkafka (CRC32). Messages also carry the headers command_id and
// command.
//
//		{"command":"hold","account_id":"a-1","command_id":"5f0c…","time":"2026-11-21T20:00:01Z",
//		 "reason":"3 separate households … [concurrent_households, many_households]",
//		 "score":0.93,"verdict":"sharing","model_version":"m-2026-11","ticket_ref":"rt:12",
//		 "event_id":"e-981","event_time":"2026-11-21T19:58:40Z","actor":"sharewatch"}
//
//	  - command: hold or release.
//	  - command_id: hex SHA-256 (first 128 bits) of account_id, event_id and
//	    command; for a release, of account_id, the hold's command_id and
//	    "release". Publishing is at least once: a command may be published
//	    again (retry, crash, redelivery) and always with the same id, so a
//	    consumer that applies each command_id once is idempotent.
//	  - time: when sharewatch issued it; event_time: the triggering event's.
//	  - reason: the verdict's explanation and reason codes for a hold; the
//	    analyst's or operator's written reason for a release.
//	  - ticket_ref: the helpdesk ticket when known (often empty on a first
//	    hold, since the ticket is created asynchronously).
//	  - actor: "sharewatch" for automatic holds; who released, for releases.
//
// An optional webhook receives the same JSON, one POST per command, with
// an Idempotency-Key header set to command_id.
//
// # Holder
//
// The Holder is the pipeline's hold actor. An account is held once; later
// hold verdicts for a held account publish nothing. Act returns once every
// sink has acknowledged (Kafka with RequireAll) and the held set is fsync'd
// in StateDir/held.json; on a sink failure it retries with backoff until
// its context ends. Every hold, release and suppressed hold is written to
// the actions audit log (suppressed ones as dry runs), at least once: rows
// wait in held.json until the audit log acknowledges them.
//
// # Blast-radius brake
//
// When the automatic holds within a sliding window of event time (default
// 1h) would exceed min(max_holds, max(min_holds, max_fraction × active
// accounts)) (defaults 50, 10, 0.5%), the brake engages: automatic holds
// stop, cases get review tickets only (see tickets.ManagerOptions
// HoldPlaced), sharewatch_holds_brake_engaged is 1 and an error log line
// says why. It stays engaged, across restarts (StateDir/brake.json), until
// an operator resets it: Holder.Reset in process, or ResetBrake from
// another process. Releases are never braked. See brake.go for why the
// window is in event time.
//
// # Metrics
//
// Registered on the injected prometheus.Registerer:
//
//   - sharewatch_holds_placed_total: automatic holds published.
//   - sharewatch_holds_released_total: holds released.
//   - sharewatch_holds_suppressed_total: holds the brake stopped (per
//     account and engagement).
//   - sharewatch_holds_brake_engaged: 1 while the brake is engaged.
//   - sharewatch_holds_publish_errors_total: failed publish attempts.
//   - sharewatch_holds_held: accounts currently held.
package holds
