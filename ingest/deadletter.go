package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
)

// Headers of a dead-letter record.
const (
	HeaderDLQReason    = "sharewatch-dlq-reason"    // DecodeError text
	HeaderDLQField     = "sharewatch-dlq-field"     // contract field at fault, may be empty
	HeaderDLQSource    = "sharewatch-dlq-source"    // topic/partition/offset of the original
	HeaderDLQTruncated = "sharewatch-dlq-truncated" // original value size, set only when the value was cut
)

const (
	// deadLetterBatchBytes lets kafka-go try messages bigger than its 1 MiB
	// default; the broker's max.message.bytes is the real limit.
	deadLetterBatchBytes = 16 << 20
	// truncatedValueBytes is how much of a value too large for the DLQ topic
	// is kept. Blocking the partition forever on one oversized message would
	// be worse than keeping a prefix and saying so in a header.
	truncatedValueBytes = 64 << 10
	dlqBackoffMin       = 100 * time.Millisecond
	dlqBackoffMax       = 10 * time.Second
)

// deadLetter is a message that failed Decode.
type deadLetter struct {
	msg kafka.Message
	err *DecodeError
}

// kafkaWriter is the part of *kafka.Writer the dead-letter writer uses.
type kafkaWriter interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

type deadLetterWriter struct {
	w   kafkaWriter
	log *slog.Logger
	m   *metrics
}

func newDLQWriter(cfg Config, sec security) *kafka.Writer {
	return &kafka.Writer{
		Addr:         kafka.TCP(cfg.Brokers...),
		Topic:        cfg.DLQTopic,
		Balancer:     kafka.CRC32Balancer{Consistent: true},
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: 10 * time.Millisecond,
		BatchBytes:   deadLetterBatchBytes,
		Transport:    sec.transport(),
	}
}

func deadLetterMessage(d deadLetter) kafka.Message {
	src := d.msg.Topic + "/" + strconv.Itoa(d.msg.Partition) + "/" + strconv.FormatInt(d.msg.Offset, 10)
	headers := make([]kafka.Header, 0, len(d.msg.Headers)+3)
	headers = append(headers, d.msg.Headers...)
	headers = append(headers,
		kafka.Header{Key: HeaderDLQReason, Value: []byte(d.err.Error())},
		kafka.Header{Key: HeaderDLQField, Value: []byte(d.err.Field)},
		kafka.Header{Key: HeaderDLQSource, Value: []byte(src)},
	)
	return kafka.Message{Key: d.msg.Key, Value: d.msg.Value, Headers: headers}
}

func truncate(m kafka.Message) kafka.Message {
	if len(m.Value) <= truncatedValueBytes {
		return m
	}
	m.Headers = append(m.Headers[:len(m.Headers):len(m.Headers)],
		kafka.Header{Key: HeaderDLQTruncated, Value: []byte(strconv.Itoa(len(m.Value)))})
	m.Value = m.Value[:truncatedValueBytes]
	return m
}

// write writes every dead letter, retrying with backoff until all are
// written or ctx ends. Only messages that failed are retried, so a partial
// failure does not duplicate the rest.
func (d *deadLetterWriter) write(ctx context.Context, dead []deadLetter) error {
	if len(dead) == 0 {
		return nil
	}
	todo := make([]kafka.Message, len(dead))
	for i, dl := range dead {
		todo[i] = deadLetterMessage(dl)
	}
	backoff := dlqBackoffMin
	for {
		err := d.w.WriteMessages(ctx, todo...)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return fmt.Errorf("writing %d dead letters: %w", len(todo), err)
		}
		d.m.dlqWriteErrors.Inc()
		d.log.Warn("writing dead letters failed; retrying", "messages", len(todo), "backoff", backoff, "err", err)
		todo = d.retrySet(todo, err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("writing %d dead letters: %w", len(todo), err)
		case <-t.C:
		}
		backoff = min(2*backoff, dlqBackoffMax)
	}
	for _, dl := range dead {
		d.m.deadLetter(dl.err.Reason).Inc()
	}
	return nil
}

// retrySet returns the messages to write again after err, truncating those
// the broker or client found too large.
func (d *deadLetterWriter) retrySet(msgs []kafka.Message, err error) []kafka.Message {
	tooLarge := func(m kafka.Message) kafka.Message {
		t := truncate(m)
		if len(t.Value) != len(m.Value) {
			d.m.dlqTruncated.Inc()
		}
		return t
	}
	var werrs kafka.WriteErrors
	if errors.As(err, &werrs) && len(werrs) == len(msgs) {
		var retry []kafka.Message
		for i, e := range werrs {
			switch {
			case e == nil:
			case errors.Is(e, kafka.MessageSizeTooLarge):
				retry = append(retry, tooLarge(msgs[i]))
			default:
				retry = append(retry, msgs[i])
			}
		}
		return retry
	}
	if errors.Is(err, kafka.MessageSizeTooLarge) {
		// Client-side check, before anything was sent; which message it was
		// is not reported by index, so cut every large one.
		for i := range msgs {
			msgs[i] = tooLarge(msgs[i])
		}
	}
	return msgs
}
