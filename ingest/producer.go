package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// Producer writes events to a topic keyed by account_id, so that one
// account's events share a partition and keep their order. It partitions
// keys like librdkafka (kcat) does. The demo loads simulated events with it.
type Producer struct {
	w *kafka.Writer
}

// NewProducer returns a Producer for topic on brokers, without TLS or SASL.
// The topic must exist.
func NewProducer(brokers []string, topic string) (*Producer, error) {
	if len(brokers) == 0 {
		return nil, fmt.Errorf("producer: %w", ErrMissingBrokers)
	}
	if topic == "" {
		return nil, fmt.Errorf("producer: %w", ErrMissingTopic)
	}
	return &Producer{w: &kafka.Writer{
		Addr:         kafka.TCP(brokers...),
		Topic:        topic,
		Balancer:     kafka.CRC32Balancer{Consistent: true},
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: 10 * time.Millisecond,
		BatchSize:    1000,
		Transport:    security{}.transport(),
	}}, nil
}

// Produce writes events, in order, and returns once all are acknowledged by
// every in-sync replica.
func (p *Producer) Produce(ctx context.Context, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	msgs := make([]kafka.Message, len(events))
	for i, ev := range events {
		v, err := ev.MarshalJSON()
		if err != nil {
			return fmt.Errorf("encoding event %q: %w", ev.EventID, err)
		}
		msgs[i] = kafka.Message{Key: []byte(ev.AccountID), Value: v}
	}
	if err := p.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("producing %d events: %w", len(events), err)
	}
	return nil
}

// Close flushes and releases connections.
func (p *Producer) Close() error {
	err := p.w.Close()
	if t, ok := p.w.Transport.(*kafka.Transport); ok {
		t.CloseIdleConnections()
	}
	return err
}

// ProduceRaw writes pre-encoded messages as they are (the demo uses it for
// fast encoding and to inject malformed messages).
func (p *Producer) ProduceRaw(ctx context.Context, msgs ...kafka.Message) error {
	if err := p.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("producing %d messages: %w", len(msgs), err)
	}
	return nil
}
