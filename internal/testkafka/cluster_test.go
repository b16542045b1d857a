package testkafka

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func produce(t *testing.T, addr, topic string, n int) {
	t.Helper()
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: topic, Transport: tr, RequiredAcks: kafka.RequireAll,
		Balancer: kafka.CRC32Balancer{Consistent: true}, BatchTimeout: 5 * time.Millisecond}
	defer w.Close()
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i] = kafka.Message{Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "v%d", i)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
}

func TestNewClusterProduceAndRead(t *testing.T) {
	c := New(t, map[string]int{"a": 3, "b": 1})
	addr := c.Addrs()[0]
	produce(t, addr, "a", 30)

	ends, err := c.EndOffsets("a")
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, e := range ends {
		total += e
	}
	if len(ends) != 3 || total != 30 {
		t.Fatalf("end offsets %v, want 3 partitions totalling 30", ends)
	}

	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: "b", Partition: 0, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	produce(t, addr, "b", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := r.FetchMessage(ctx)
	if err != nil || string(m.Value) != "v0" {
		t.Fatalf("FetchMessage = %q, %v; want v0", m.Value, err)
	}
	if _, err := c.EndOffsets("nope"); !errors.Is(err, ErrNoTopic) {
		t.Fatalf("EndOffsets(nope) error = %v, want ErrNoTopic", err)
	}
	if got := c.CommittedOffsets("no-group", "a"); len(got) != 0 {
		t.Fatalf("CommittedOffsets of unknown group = %v", got)
	}
}

func TestStartPersistsInDataDir(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	c, err := Start(ctx, Options{Partitions: 2, Topics: []string{"logins"}, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	produce(t, c.Addrs()[0], "logins", 10)
	c.Close()
	c.Close() // idempotent

	c, err = Start(ctx, Options{Partitions: 2, Topics: []string{"logins"}, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ends, err := c.EndOffsets("logins")
	if err != nil {
		t.Fatal(err)
	}
	if ends[0]+ends[1] != 10 {
		t.Fatalf("after restart end offsets = %v, want 10 records", ends)
	}
}

func TestStartCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Start(ctx, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Start with cancelled ctx = %v", err)
	}
}
