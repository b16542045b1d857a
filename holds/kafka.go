package holds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// KafkaOptions configure a KafkaPublisher.
type KafkaOptions struct {
	// Brokers are the bootstrap brokers, host:port.
	Brokers []string
	// Topic receives the commands; it must exist.
	// Default: account-holds
	Topic string
	// Transport carries TLS and SASL settings.
	// Default: a plain kafka.Transport
	Transport kafka.RoundTripper
	// BatchTimeout is how long the writer waits to fill a batch.
	// Default: 10ms
	BatchTimeout time.Duration
}

// ErrNoBrokers is returned by NewKafkaPublisher without brokers.
var ErrNoBrokers = errors.New("holds: at least one broker is required")

// KafkaPublisher writes commands to a topic keyed by account, partitioned
// like librdkafka (kafka-go's CRC32Balancer{Consistent: true}), so one
// account's commands keep their order. Writes wait for every in-sync
// replica (RequireAll).
type KafkaPublisher struct {
	w   *kafka.Writer
	own *kafka.Transport
}

// NewKafkaPublisher builds a publisher. It does not connect until Publish.
func NewKafkaPublisher(o KafkaOptions) (*KafkaPublisher, error) {
	if len(o.Brokers) == 0 {
		return nil, ErrNoBrokers
	}
	if o.Topic == "" {
		o.Topic = DefaultTopic
	}
	if o.BatchTimeout == 0 {
		o.BatchTimeout = 10 * time.Millisecond
	}
	p := &KafkaPublisher{}
	if o.Transport == nil {
		p.own = &kafka.Transport{ClientID: "sharewatch-holds"}
		o.Transport = p.own
	}
	p.w = &kafka.Writer{
		Addr:         kafka.TCP(o.Brokers...),
		Topic:        o.Topic,
		Balancer:     kafka.CRC32Balancer{Consistent: true},
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: o.BatchTimeout,
		MaxAttempts:  3,
		Transport:    o.Transport,
	}
	return p, nil
}

// Publish implements Publisher.
func (p *KafkaPublisher) Publish(ctx context.Context, cmds []Command) error {
	if len(cmds) == 0 {
		return nil
	}
	msgs := make([]kafka.Message, len(cmds))
	for i := range cmds {
		b, err := json.Marshal(&cmds[i])
		if err != nil {
			return fmt.Errorf("encoding %s command for %s: %w", cmds[i].Command, cmds[i].AccountID, err)
		}
		msgs[i] = kafka.Message{
			Key:   []byte(cmds[i].AccountID),
			Value: b,
			Headers: []kafka.Header{
				{Key: "command_id", Value: []byte(cmds[i].CommandID)},
				{Key: "command", Value: []byte(cmds[i].Command)},
			},
		}
	}
	if err := p.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("publishing %d hold commands to %s: %w", len(cmds), p.w.Topic, err)
	}
	return nil
}

// Close flushes and releases connections.
func (p *KafkaPublisher) Close() error {
	err := p.w.Close()
	if p.own != nil {
		p.own.CloseIdleConnections()
	}
	return err
}
