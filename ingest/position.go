package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// Processed returns, for each partition this consumer processed messages
// of, the offset after the last one processed with none missing before it:
// where the group resumes once that is committed. Partitions it processed
// nothing of are absent. rewound reports that some partition was read
// again from an earlier offset during the run (a rebalance, a reader
// restart): its processed work then no longer lines up with offsets.
// Call it after Run has returned.
func (c *Consumer) Processed() (offsets map[int]int64, rewound bool) {
	c.offsets.mu.Lock()
	defer c.offsets.mu.Unlock()
	offsets = make(map[int]int64, len(c.offsets.parts))
	for p, po := range c.offsets.parts {
		rewound = rewound || po.epoch > 0
		if po.done >= 0 {
			offsets[p] = po.done + 1
		}
	}
	return offsets, rewound
}

// GroupOffsets returns the consumer group's committed offset for every
// partition of the topic: the next offset the group reads, or -1 where it
// has committed none.
func GroupOffsets(ctx context.Context, cfg Config) (map[int]int64, error) {
	sec, err := newSecurity(cfg)
	if err != nil {
		return nil, err
	}
	tr := sec.transport()
	defer tr.CloseIdleConnections()
	cl := &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Transport: tr, Timeout: 10 * time.Second}
	md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{cfg.Topic}})
	if err != nil {
		return nil, fmt.Errorf("kafka metadata of %s: %w", cfg.Topic, err)
	}
	var parts []int
	for _, t := range md.Topics {
		if t.Name != cfg.Topic {
			continue
		}
		if t.Error != nil {
			return nil, fmt.Errorf("kafka metadata of %s: %w", cfg.Topic, t.Error)
		}
		for _, p := range t.Partitions {
			parts = append(parts, p.ID)
		}
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("kafka metadata of %s: no partitions", cfg.Topic)
	}
	resp, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: cfg.Group, Topics: map[string][]int{cfg.Topic: parts}})
	if err != nil {
		return nil, fmt.Errorf("kafka offsets of group %s: %w", cfg.Group, err)
	}
	out := make(map[int]int64, len(parts))
	if errors.Is(resp.Error, kafka.GroupIdNotFound) {
		// A group that never committed (some brokers say so, others
		// answer -1 for every partition).
		for _, p := range parts {
			out[p] = -1
		}
		return out, nil
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("kafka offsets of group %s: %w", cfg.Group, resp.Error)
	}
	for _, p := range resp.Topics[cfg.Topic] {
		if p.Error != nil {
			return nil, fmt.Errorf("kafka offsets of group %s, partition %d: %w", cfg.Group, p.Partition, p.Error)
		}
		out[p.Partition] = p.CommittedOffset
	}
	if len(out) != len(parts) {
		return nil, fmt.Errorf("kafka offsets of group %s: %d of %d partitions answered", cfg.Group, len(out), len(parts))
	}
	return out, nil
}
