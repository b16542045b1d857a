// Package ingest reads login events from Kafka, decodes and validates them
// against the event contract (schema/event.schema.json), routes bad messages
// to a dead-letter topic and commits offsets only after the events' outputs
// are durable.
//
// A Consumer is a kafka-go group reader with its own committer, shaped like
// Loki's partition consumer: one goroutine fetches and decodes messages into
// batches, one hands each batch to a Processor and, once Process returns,
// marks the batch's offsets processed, and one commits the highest processed
// offset per partition on an interval and once more on shutdown. Delivery is
// at least once: a batch that was not processed, or was processed but not yet
// committed, is delivered again after a restart or a rebalance.
//
// A message that fails Decode goes to the dead-letter topic with its key,
// value and headers unchanged, plus these headers:
//
//	sharewatch-dlq-reason     the DecodeError text
//	sharewatch-dlq-field      the contract field at fault, empty for the whole message
//	sharewatch-dlq-source     topic/partition/offset of the original message
//	sharewatch-dlq-truncated  original value size; only when the DLQ topic refused
//	                          the full value and a 64 KiB prefix was written instead
//
// The write is retried with backoff until it succeeds, and the message's
// offset is committed only after that: nothing is dropped silently, and an
// unwritable DLQ stalls the partition (watch the write-error counter).
//
// # Metrics
//
// A Consumer registers these metrics with the Registerer in its Options:
//
//	sharewatch_ingest_messages_consumed_total            counter, messages fetched
//	sharewatch_ingest_events_decoded_total{type}         counter, valid events by type
//	sharewatch_ingest_dead_letters_total{reason}         counter, messages written to the DLQ, by DecodeError.Reason
//	sharewatch_ingest_dead_letter_write_errors_total     counter, failed DLQ writes (each is retried)
//	sharewatch_ingest_dead_letters_truncated_total       counter, dead letters whose value was too large for the DLQ topic
//	sharewatch_ingest_key_mismatch_total                 counter, valid events whose message key is not the account_id
//	sharewatch_ingest_fetch_errors_total                 counter, errors from the Kafka reader
//	sharewatch_ingest_commits_total                      counter, successful offset commits
//	sharewatch_ingest_commit_errors_total                counter, failed offset commits
//	sharewatch_ingest_batch_size                         histogram, events per Process call
//	sharewatch_ingest_process_duration_seconds           histogram, time spent in Process
//	sharewatch_ingest_consumer_lag_messages{partition}   gauge, high watermark minus next offset to process
package ingest
