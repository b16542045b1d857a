// Package testkafka runs an in-process Kafka-protocol broker (franz-go's
// kfake) on 127.0.0.1, for tests and for the embedded demo. It is a real
// broker as far as clients can tell: kafka-go, franz-go and kcat talk to it
// over TCP. It has no replication and enforces no quotas.
package testkafka

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Options configure Start.
type Options struct {
	// Partitions is the partition count of each topic in Topics.
	// Default: 1
	Partitions int
	// Topics are created at start unless they already exist (see DataDir).
	Topics []string
	// DataDir, when set, persists topics, records and committed offsets, and
	// reloads them on the next Start with the same directory.
	// Default: "" (in memory)
	DataDir string
	// Port to listen on at 127.0.0.1.
	// Default: 0 (a free port)
	Port int
	// Users, when non-empty, turn on SASL: every client must authenticate
	// as one of them. They bypass ACLs.
	Users []User
}

// User is a SASL user.
type User struct {
	Mechanism string // PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
	Username  string
	Password  string
}

// Cluster is a running single-broker cluster.
type Cluster struct {
	c     *kfake.Cluster
	close sync.Once
}

// Start starts a cluster and creates opts.Topics. ctx bounds only the start;
// the cluster runs until Close.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.Partitions == 0 {
		opts.Partitions = 1
	}
	if opts.Partitions < 0 {
		return nil, fmt.Errorf("testkafka: partitions must be positive, got %d", opts.Partitions)
	}
	kopts := []kfake.Opt{kfake.NumBrokers(1), kfake.Ports(opts.Port)}
	if opts.DataDir != "" {
		kopts = append(kopts, kfake.DataDir(opts.DataDir))
	}
	if len(opts.Users) > 0 {
		kopts = append(kopts, kfake.EnableSASL())
		for _, u := range opts.Users {
			kopts = append(kopts, kfake.Superuser(u.Mechanism, u.Username, u.Password))
		}
	}
	kc, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("testkafka: starting kfake: %w", err)
	}
	c := &Cluster{c: kc}
	for _, t := range opts.Topics {
		if err := c.CreateTopic(t, opts.Partitions, nil); err != nil {
			c.Close()
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// NewCluster starts a cluster for the test with the given topics (name to
// partition count), closes it when the test ends and returns its address.
func NewCluster(t testing.TB, topics map[string]int) (addr string) {
	t.Helper()
	return New(t, topics).Addrs()[0]
}

// New is NewCluster for tests that also inspect the cluster, for example its
// committed offsets.
func New(t testing.TB, topics map[string]int) *Cluster {
	t.Helper()
	c, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	// Sorted so that failures are reproducible.
	for _, name := range slices.Sorted(maps.Keys(topics)) {
		if err := c.CreateTopic(name, topics[name], nil); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// Addrs returns the brokers' host:port addresses.
func (c *Cluster) Addrs() []string { return c.c.ListenAddrs() }

// Close stops the cluster. It is safe to call more than once.
func (c *Cluster) Close() { c.close.Do(c.c.Close) }

// CreateTopic creates a topic with topic-level configs such as
// max.message.bytes. A topic that already exists is left as it is.
func (c *Cluster) CreateTopic(name string, partitions int, configs map[string]string) error {
	if name == "" || partitions < 1 {
		return fmt.Errorf("testkafka: topic %q needs a name and at least one partition, got %d", name, partitions)
	}
	if c.c.TopicInfo(name) != nil {
		return nil
	}
	if err := c.c.CreateTopic(name, int32(partitions), configs); err != nil {
		return fmt.Errorf("testkafka: creating topic %q: %w", name, err)
	}
	return nil
}

// ErrNoTopic is returned for a topic the cluster does not have.
var ErrNoTopic = errors.New("testkafka: no such topic")

// EndOffsets returns, per partition, the offset the next record will get.
func (c *Cluster) EndOffsets(topic string) (map[int]int64, error) {
	infos := c.c.PartitionInfos(topic)
	if infos == nil {
		return nil, fmt.Errorf("%w: %q", ErrNoTopic, topic)
	}
	out := make(map[int]int64, len(infos))
	for _, pi := range infos {
		out[int(pi.Partition)] = pi.HighWatermark
	}
	return out, nil
}

// CommittedOffsets returns the group's committed offsets for topic, per
// partition; a partition without a commit is absent.
func (c *Cluster) CommittedOffsets(group, topic string) map[int]int64 {
	out := make(map[int]int64)
	gi := c.c.GroupInfo(group)
	if gi == nil {
		return out
	}
	for p, gc := range gi.Commits[topic] {
		out[int(p)] = gc.Offset
	}
	return out
}
