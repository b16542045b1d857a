package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/sharewatch/sharewatch/internal/testkafka"
)

const (
	testTopic = "logins"
	testDLQ   = "logins.dlq"
	testGroup = "sharewatch-test"
)

func nopProcess(context.Context, []Record) error { return nil }

var testLogger = func() *slog.Logger {
	if os.Getenv("INGEST_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}()

func testConfig(addr string) Config {
	cfg := DefaultConfig()
	cfg.Brokers = []string{addr}
	cfg.Topic, cfg.DLQTopic, cfg.Group = testTopic, testDLQ, testGroup
	cfg.MaxWait = 100 * time.Millisecond
	cfg.CommitInterval = 100 * time.Millisecond
	cfg.BatchSize = 500
	cfg.BatchTimeout = 20 * time.Millisecond
	cfg.ShutdownTimeout = 5 * time.Second
	return cfg
}

// testEvents returns events first..first+n-1 over accounts accounts; event
// i has EventID "e-<i>", so its sequence can be recovered.
func testEvents(first, n, accounts int) []Event {
	base := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	types := []Type{TypeLogin, TypeHeartbeat, TypeHeartbeat, TypeLogout}
	out := make([]Event, n)
	for j := range out {
		i := first + j
		out[j] = Event{
			EventID:   "e-" + strconv.Itoa(i),
			Type:      types[i%len(types)],
			Time:      base.Add(time.Duration(i) * time.Second),
			AccountID: fmt.Sprintf("acc-%03d", i%accounts),
			SessionID: "s-" + strconv.Itoa(i%7),
			DeviceID:  "d-" + strconv.Itoa(i%5),
			IP:        netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}),
			Success:   true,
		}
	}
	return out
}

func seq(t testing.TB, r Record) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimPrefix(r.Event.EventID, "e-"))
	if err != nil {
		t.Fatalf("bad event id %q", r.Event.EventID)
	}
	return n
}

func produceEvents(t testing.TB, addr string, events []Event) {
	t.Helper()
	p, err := NewProducer([]string{addr}, testTopic)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Produce(ctx, events...); err != nil {
		t.Fatal(err)
	}
}

// produceRaw writes messages as they are, to partition 0 of a one-partition
// topic, so that their order is known.
func produceRaw(t testing.TB, addr, topic string, msgs ...kafka.Message) {
	t.Helper()
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: topic, Transport: tr, RequiredAcks: kafka.RequireAll,
		BatchTimeout: 5 * time.Millisecond, BatchBytes: 8 << 20}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
}

// recorder is a Processor that keeps copies of what it was given.
type recorder struct {
	mu      sync.Mutex
	records []Record
	batches int
	fail    func(batch []Record) error // optional, called before recording
}

func (r *recorder) Process(ctx context.Context, batch []Record) error {
	if r.fail != nil {
		if err := r.fail(batch); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, batch...)
	r.batches++
	return nil
}

func (r *recorder) snapshot() []Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Record(nil), r.records...)
}

func (r *recorder) waitFor(t testing.TB, n int) []Record {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := r.snapshot()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("processed %d events, want %d", len(got), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// start runs c in the background; the returned stop cancels it and returns
// Run's error. Stop is also registered as a cleanup.
func start(t testing.TB, c *Consumer) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("Run did not return 20s after cancel")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func newConsumer(t testing.TB, cfg Config, p Processor, reg prometheus.Registerer) *Consumer {
	t.Helper()
	c, err := NewConsumer(cfg, Options{Logger: testLogger, Registerer: reg, Processor: p})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func assertCommittedAtEnd(t *testing.T, kc *testkafka.Cluster) {
	t.Helper()
	ends, err := kc.EndOffsets(testTopic)
	if err != nil {
		t.Fatal(err)
	}
	committed := kc.CommittedOffsets(testGroup, testTopic)
	for p, end := range ends {
		if end == 0 {
			continue
		}
		if committed[p] != end {
			t.Errorf("partition %d: committed offset %d, end offset %d (all committed: %v)", p, committed[p], end, committed)
		}
	}
}

// waitCommittedAtEnd waits up to d for the group's committed offsets to
// reach the end of every partition of the test topic. After a rebalance
// the new owner of a partition may still be working through redelivered
// records when the last distinct event has been seen elsewhere; its
// commit comes when it has processed them.
func waitCommittedAtEnd(t *testing.T, kc *testkafka.Cluster, d time.Duration) {
	t.Helper()
	ends, err := kc.EndOffsets(testTopic)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		committed := kc.CommittedOffsets(testGroup, testTopic)
		done := true
		for p, end := range ends {
			done = done && (end == 0 || committed[p] == end)
		}
		if done {
			return
		}
	}
}

// metricValue returns the value of a counter or gauge, or the sample count of
// a histogram, with the given labels.
func metricValue(t testing.TB, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	t.Fatalf("metric %s%v not found", name, labels)
	return 0
}

func TestConsumeEveryEventOnceInOrder(t *testing.T) {
	const n, accounts, partitions = 3000, 97, 4
	kc := testkafka.New(t, map[string]int{testTopic: partitions, testDLQ: 1})
	addr := kc.Addrs()[0]
	produceEvents(t, addr, testEvents(0, n, accounts))

	rec := &recorder{}
	reg := prometheus.NewRegistry()
	stop := start(t, newConsumer(t, testConfig(addr), rec, reg))
	rec.waitFor(t, n)
	if err := stop(); err != nil {
		t.Fatalf("Run = %v, want nil after cancel", err)
	}

	got := rec.snapshot()
	if len(got) != n {
		t.Errorf("processed %d events, want %d", len(got), n)
	}
	seen := make(map[int]bool)
	last := make(map[string]int)
	partitionOf := make(map[string]int)
	for _, r := range got {
		i := seq(t, r)
		if seen[i] {
			t.Errorf("event %d processed twice", i)
		}
		seen[i] = true
		acc := r.Event.AccountID
		if prev, ok := last[acc]; ok && i <= prev {
			t.Errorf("account %s: event %d after %d", acc, i, prev)
		}
		last[acc] = i
		if p, ok := partitionOf[acc]; ok && p != r.Partition {
			t.Errorf("account %s on partitions %d and %d", acc, p, r.Partition)
		}
		partitionOf[acc] = r.Partition
	}
	parts := make(map[int]bool)
	for _, p := range partitionOf {
		parts[p] = true
	}
	if len(parts) != partitions {
		t.Errorf("events spread over %d partitions, want %d", len(parts), partitions)
	}
	assertCommittedAtEnd(t, kc)

	if v := metricValue(t, reg, "sharewatch_ingest_messages_consumed_total"); v != n {
		t.Errorf("messages_consumed_total = %v, want %d", v, n)
	}
	if v := metricValue(t, reg, "sharewatch_ingest_events_decoded_total", "type", "heartbeat"); v != n/2 {
		t.Errorf("events_decoded_total{type=heartbeat} = %v, want %d", v, n/2)
	}
	if v := metricValue(t, reg, "sharewatch_ingest_key_mismatch_total"); v != 0 {
		t.Errorf("key_mismatch_total = %v, want 0", v)
	}
	if v := metricValue(t, reg, "sharewatch_ingest_commits_total"); v < 1 {
		t.Errorf("commits_total = %v, want at least 1", v)
	}
	if v := metricValue(t, reg, "sharewatch_ingest_batch_size"); v != float64(rec.batches) {
		t.Errorf("batch_size observations = %v, want %d", v, rec.batches)
	}
	for p := range partitions {
		if v := metricValue(t, reg, "sharewatch_ingest_consumer_lag_messages", "partition", strconv.Itoa(p)); v != 0 {
			t.Errorf("lag of partition %d = %v, want 0", p, v)
		}
	}
}

func TestRestartResumesFromCommittedOffsets(t *testing.T) {
	kc := testkafka.New(t, map[string]int{testTopic: 3, testDLQ: 1})
	addr := kc.Addrs()[0]
	produceEvents(t, addr, testEvents(0, 600, 20))

	first := &recorder{}
	stop := start(t, newConsumer(t, testConfig(addr), first, nil))
	first.waitFor(t, 600)
	if err := stop(); err != nil {
		t.Fatalf("first Run = %v", err)
	}
	assertCommittedAtEnd(t, kc)

	produceEvents(t, addr, testEvents(600, 150, 20))
	second := &recorder{}
	stop = start(t, newConsumer(t, testConfig(addr), second, nil))
	second.waitFor(t, 150)
	time.Sleep(300 * time.Millisecond) // room for stray redeliveries to show up
	if err := stop(); err != nil {
		t.Fatalf("second Run = %v", err)
	}
	got := second.snapshot()
	if len(got) != 150 {
		t.Errorf("second consumer processed %d events, want the 150 new ones", len(got))
	}
	for _, r := range got {
		if seq(t, r) < 600 {
			t.Errorf("second consumer saw old event %s", r.Event.EventID)
		}
	}
	assertCommittedAtEnd(t, kc)
}

func TestRebalanceDeliversEverythingAtLeastOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("a rebalance takes a few seconds")
	}
	const n = 2000
	kc := testkafka.New(t, map[string]int{testTopic: 4, testDLQ: 1})
	addr := kc.Addrs()[0]
	produceEvents(t, addr, testEvents(0, n, 50))

	cfg := testConfig(addr)
	cfg.BatchSize = 50
	// Slow enough that A is not done before the rebalance, which waits for
	// its next heartbeat (kafka-go: every 3s).
	slow := func([]Record) error { time.Sleep(150 * time.Millisecond); return nil }
	a, b := &recorder{fail: slow}, &recorder{fail: slow}
	stopA := start(t, newConsumer(t, cfg, a, nil))
	a.waitFor(t, 100)
	stopB := start(t, newConsumer(t, cfg, b, nil))
	b.waitFor(t, 1) // the group rebalanced

	seen := make(map[string]bool)
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		for _, r := range append(a.snapshot(), b.snapshot()...) {
			seen[r.Event.EventID] = true
		}
	}
	// The partitions' new owners may still be reprocessing redelivered
	// records; stopping them mid-batch would leave those uncommitted (and
	// delivered again on restart, which is at-least-once, but not what
	// this test checks).
	waitCommittedAtEnd(t, kc, 30*time.Second)
	var wg sync.WaitGroup
	for _, stop := range []func() error{stopA, stopB} {
		wg.Go(func() {
			if err := stop(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d distinct events processed, want %d", len(seen), n)
	}
	t.Logf("consumer a processed %d, b %d, duplicates %d", len(a.snapshot()), len(b.snapshot()), len(a.snapshot())+len(b.snapshot())-n)
	assertCommittedAtEnd(t, kc)
}

func TestProcessorErrorCommitsNothingOfTheBatch(t *testing.T) {
	kc := testkafka.New(t, map[string]int{testTopic: 1, testDLQ: 1})
	addr := kc.Addrs()[0]
	produceEvents(t, addr, testEvents(0, 400, 10))

	cfg := testConfig(addr)
	cfg.BatchSize = 50
	errDisk := errors.New("disk full")
	var failed []Record
	rec := &recorder{fail: func(batch []Record) error {
		for _, r := range batch {
			if r.Event.EventID == "e-220" {
				failed = append(failed, batch...)
				return errDisk
			}
		}
		return nil
	}}
	c := newConsumer(t, cfg, rec, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Run(ctx); !errors.Is(err, errDisk) {
		t.Fatalf("Run = %v, want the processor's error", err)
	}
	if len(failed) == 0 {
		t.Fatal("the failing batch was never processed")
	}
	committed, ok := kc.CommittedOffsets(testGroup, testTopic)[0]
	if !ok {
		t.Fatal("nothing committed: earlier batches should have been")
	}
	if committed > failed[0].Offset {
		t.Fatalf("committed offset %d covers the failed batch starting at %d", committed, failed[0].Offset)
	}
	if got := len(rec.snapshot()); committed != int64(got) {
		t.Errorf("committed offset %d, want %d (every event processed before the failure)", committed, got)
	}
	if err := c.Run(ctx); !errors.Is(err, ErrAlreadyRun) {
		t.Errorf("second Run = %v, want ErrAlreadyRun", err)
	}

	// A new consumer gets the failed batch again.
	again := &recorder{}
	stop := start(t, newConsumer(t, testConfig(addr), again, nil))
	got := again.waitFor(t, 400-int(committed))
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	redelivered := make(map[string]bool)
	for _, r := range got {
		redelivered[r.Event.EventID] = true
	}
	for _, r := range failed {
		if !redelivered[r.Event.EventID] {
			t.Errorf("event %s of the failed batch was not redelivered", r.Event.EventID)
		}
	}
	assertCommittedAtEnd(t, kc)
}

func TestDeadLetters(t *testing.T) {
	kc := testkafka.New(t, map[string]int{testTopic: 1, testDLQ: 1})
	addr := kc.Addrs()[0]
	valid := func(i int, key string) kafka.Message {
		ev := testEvents(i, 1, 1)[0]
		v, err := ev.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if key == "" {
			key = ev.AccountID
		}
		return kafka.Message{Key: []byte(key), Value: v}
	}
	bad := []struct {
		value  string
		reason string
		field  string
	}{
		{`{"event_id": "x1", "type": "login",`, ReasonMalformedJSON, ""},
		{`{"event_id":"x2","type":"login","time":"2026-11-02T10:00:00Z","device_id":"d","ip":"192.0.2.1"}`, ReasonMissing, "account_id"},
		{`{"event_id":"x3","type":"login","time":"2026-11-02T10:00:00Z","account_id":"acc-000","device_id":"d","ip":"192.0.2.300"}`, ReasonMalformed, "ip"},
		// Well formed, but stamped decades after its message was written
		// (now): scored, it would age every account out of the scorer.
		{`{"event_id":"x4","type":"login","time":"2099-01-01T00:00:00Z","account_id":"acc-000","device_id":"d","ip":"192.0.2.4","success":true}`, ReasonClockSkew, "time"},
		// The same, from a producer that stamps each message with its
		// event's time: the consumer's clock catches it.
		{`{"event_id":"x5","type":"login","time":"2099-01-01T00:00:00Z","account_id":"acc-000","device_id":"d","ip":"192.0.2.5","success":true}`, ReasonClockSkew, "time"},
	}
	msgs := []kafka.Message{valid(0, "")}
	for i, b := range bad {
		msgs = append(msgs,
			kafka.Message{Key: []byte("acc-000"), Value: []byte(b.value), Headers: []kafka.Header{{Key: "trace", Value: []byte("t" + strconv.Itoa(i))}}},
			valid(i+1, ""))
		if strings.Contains(b.value, `"x5"`) {
			msgs[len(msgs)-2].Time = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
		}
	}
	msgs = append(msgs, valid(9, "someone-else")) // key mismatch: still processed
	produceRaw(t, addr, testTopic, msgs...)

	rec := &recorder{}
	reg := prometheus.NewRegistry()
	stop := start(t, newConsumer(t, testConfig(addr), rec, reg))
	got := rec.waitFor(t, 7)
	// Wait for the commit covering the last message, then stop.
	deadline := time.Now().Add(10 * time.Second)
	for kc.CommittedOffsets(testGroup, testTopic)[0] != int64(len(msgs)) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 7 {
		t.Errorf("processed %d valid events, want 7", len(got))
	}
	for _, r := range got {
		if r.Event.EventID == "x4" || r.Event.EventID == "x5" {
			t.Errorf("the event from 2099 was processed")
		}
	}
	assertCommittedAtEnd(t, kc)

	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: testDLQ, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i, b := range bad {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("reading dead letter %d: %v", i, err)
		}
		h := headers(m)
		if string(m.Value) != b.value || string(m.Key) != "acc-000" {
			t.Errorf("dead letter %d: key %q value %q, want the original", i, m.Key, m.Value)
		}
		wantSource := fmt.Sprintf("%s/0/%d", testTopic, 2*i+1)
		if h[HeaderDLQSource] != wantSource || h[HeaderDLQField] != b.field || h["trace"] != "t"+strconv.Itoa(i) {
			t.Errorf("dead letter %d headers %v, want source %s, field %q, trace kept", i, h, wantSource, b.field)
		}
		if !strings.Contains(h[HeaderDLQReason], b.reason) {
			t.Errorf("dead letter %d reason %q does not contain %q", i, h[HeaderDLQReason], b.reason)
		}
		want := 0.0
		for _, o := range bad {
			if o.reason == b.reason {
				want++
			}
		}
		if v := metricValue(t, reg, "sharewatch_ingest_dead_letters_total", "reason", b.reason); v != want {
			t.Errorf("dead_letters_total{reason=%s} = %v, want %v", b.reason, v, want)
		}
	}
	if v := metricValue(t, reg, "sharewatch_ingest_dead_letters_total", "reason", ReasonNotUTF8); v != 0 {
		t.Errorf("dead_letters_total{reason=not_utf8} = %v, want a pre-created 0", v)
	}
	if v := metricValue(t, reg, "sharewatch_ingest_key_mismatch_total"); v != 1 {
		t.Errorf("key_mismatch_total = %v, want 1", v)
	}
}

func TestDeadLetterWriteRetriedBeforeCommit(t *testing.T) {
	kc := testkafka.New(t, map[string]int{testTopic: 1}) // no DLQ topic yet
	addr := kc.Addrs()[0]
	ev, err := testEvents(0, 1, 1)[0].MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	produceRaw(t, addr, testTopic, kafka.Message{Key: []byte("acc-000"), Value: []byte("{oops")}, kafka.Message{Key: []byte("acc-000"), Value: ev})

	reg := prometheus.NewRegistry()
	rec := &recorder{}
	cfg := testConfig(addr)
	cfg.BatchSize = 1 // the valid event is a batch of its own, after the dead letter
	stop := start(t, newConsumer(t, cfg, rec, reg))
	deadline := time.Now().Add(20 * time.Second)
	for metricValue(t, reg, "sharewatch_ingest_dead_letter_write_errors_total") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no failed dead-letter write")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c := kc.CommittedOffsets(testGroup, testTopic); len(c) != 0 {
		t.Fatalf("committed %v while the dead letter was not written", c)
	}
	if got := rec.snapshot(); len(got) != 0 {
		t.Fatalf("processed %d events past an unwritten dead letter", len(got))
	}

	if err := kc.CreateTopic(testDLQ, 1, nil); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, 1)
	for kc.CommittedOffsets(testGroup, testTopic)[0] != 2 {
		if time.Now().After(deadline) {
			t.Fatal("offsets not committed after the DLQ topic appeared")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if v := metricValue(t, reg, "sharewatch_ingest_dead_letters_total", "reason", ReasonMalformedJSON); v != 1 {
		t.Errorf("dead_letters_total{reason=malformed_json} = %v, want 1", v)
	}
}

func headers(m kafka.Message) map[string]string {
	h := make(map[string]string)
	for _, kv := range m.Headers {
		h[kv.Key] = string(kv.Value)
	}
	return h
}

func TestDeadLetterTooLargeForDLQIsTruncated(t *testing.T) {
	kc := testkafka.New(t, nil)
	if err := kc.CreateTopic(testTopic, 1, map[string]string{"max.message.bytes": strconv.Itoa(4 << 20)}); err != nil {
		t.Fatal(err)
	}
	if err := kc.CreateTopic(testDLQ, 1, nil); err != nil { // default 1 MiB limit
		t.Fatal(err)
	}
	addr := kc.Addrs()[0]
	huge := bytes.Repeat([]byte("a"), MaxEventBytes+(MaxEventBytes/2))
	produceRaw(t, addr, testTopic, kafka.Message{Key: []byte("k"), Value: huge})

	reg := prometheus.NewRegistry()
	stop := start(t, newConsumer(t, testConfig(addr), &recorder{}, reg))
	deadline := time.Now().Add(20 * time.Second)
	for kc.CommittedOffsets(testGroup, testTopic)[0] != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the oversized message was never committed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: testDLQ, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := r.FetchMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := headers(m)
	if !bytes.Equal(m.Value, huge[:truncatedValueBytes]) || h[HeaderDLQTruncated] != strconv.Itoa(len(huge)) ||
		!strings.Contains(h[HeaderDLQReason], ReasonTooLarge) {
		t.Errorf("dead letter: %d bytes, headers %v; want a %d-byte prefix marked truncated", len(m.Value), h, truncatedValueBytes)
	}
	if v := metricValue(t, reg, "sharewatch_ingest_dead_letters_truncated_total"); v != 1 {
		t.Errorf("dead_letters_truncated_total = %v, want 1", v)
	}
}

func TestGracefulShutdownFinishesInFlightBatch(t *testing.T) {
	kc := testkafka.New(t, map[string]int{testTopic: 2, testDLQ: 1})
	addr := kc.Addrs()[0]
	produceEvents(t, addr, testEvents(0, 200, 10))

	cfg := testConfig(addr)
	cfg.BatchSize = 20
	cfg.CommitInterval = time.Hour // only the final commit
	inFlight := make(chan struct{})
	var once sync.Once
	var processCtxErr error
	rec := &recorder{fail: func([]Record) error {
		once.Do(func() {
			close(inFlight)
			time.Sleep(500 * time.Millisecond) // cancelled meanwhile
		})
		return nil
	}}
	var ctxMu sync.Mutex
	proc := ProcessorFunc(func(ctx context.Context, b []Record) error {
		err := rec.Process(ctx, b)
		ctxMu.Lock()
		processCtxErr = errors.Join(processCtxErr, ctx.Err())
		ctxMu.Unlock()
		return err
	})
	stop := start(t, newConsumer(t, cfg, proc, nil))
	<-inFlight
	began := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("shutdown took %v", took)
	}
	t.Logf("shutdown took %v", time.Since(began))
	if processCtxErr != nil {
		t.Errorf("Process saw a cancelled context during graceful shutdown: %v", processCtxErr)
	}
	got := rec.snapshot()
	if len(got) == 0 {
		t.Fatal("the in-flight batch was not finished")
	}
	// Everything processed is committed by the final commit, nothing more.
	want := make(map[int]int64)
	for _, r := range got {
		want[r.Partition] = max(want[r.Partition], r.Offset+1)
	}
	committed := kc.CommittedOffsets(testGroup, testTopic)
	for p, off := range want {
		if committed[p] != off {
			t.Errorf("partition %d committed %d, want %d (processed up to there)", p, committed[p], off)
		}
	}
}

func TestShutdownTimeoutAbandonsBatch(t *testing.T) {
	kc := testkafka.New(t, map[string]int{testTopic: 1, testDLQ: 1})
	addr := kc.Addrs()[0]
	produceEvents(t, addr, testEvents(0, 10, 2))

	cfg := testConfig(addr)
	cfg.ShutdownTimeout = 200 * time.Millisecond
	started := make(chan struct{})
	var once sync.Once
	stuck := ProcessorFunc(func(ctx context.Context, _ []Record) error {
		once.Do(func() { close(started) })
		<-ctx.Done()
		return ctx.Err()
	})
	stop := start(t, newConsumer(t, cfg, stuck, nil))
	<-started
	began := time.Now()
	if err := stop(); !errors.Is(err, ErrShutdownTimeout) {
		t.Fatalf("Run = %v, want ErrShutdownTimeout", err)
	}
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("shutdown took %v", took)
	}
	if c := kc.CommittedOffsets(testGroup, testTopic); len(c) != 0 {
		t.Errorf("committed %v, want nothing", c)
	}
}

func TestSASL(t *testing.T) {
	users := []testkafka.User{
		{Mechanism: "PLAIN", Username: "plain-user", Password: "pw-plain"},
		{Mechanism: "SCRAM-SHA-256", Username: "scram,256=user", Password: "pw-256"},
		{Mechanism: "SCRAM-SHA-512", Username: "scram512", Password: "pw-512"},
	}
	kc, err := testkafka.Start(context.Background(), testkafka.Options{Topics: []string{testTopic, testDLQ}, Users: users})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	addr := kc.Addrs()[0]

	tests := []struct {
		name      string
		mechanism string
		user      string
		password  string
		ok        bool
	}{
		{"plain", SASLPlain, "plain-user", "pw-plain", true},
		{"scram-sha-256 with escaped user", SASLScramSHA256, "scram,256=user", "pw-256", true},
		{"scram-sha-512", SASLScramSHA512, "scram512", "pw-512", true},
		{"scram-sha-512 wrong password", SASLScramSHA512, "scram512", "nope", false},
		{"scram-sha-256 unknown user", SASLScramSHA256, "nobody", "pw-256", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(addr)
			cfg.SASL = SASLConfig{Mechanism: tt.mechanism, Username: tt.user, Password: Secret(tt.password)}
			sec, err := newSecurity(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			conn, err := sec.dialer().DialContext(ctx, "tcp", addr)
			if err == nil {
				_, err = conn.ReadPartitions(testTopic)
				conn.Close()
			}
			if (err == nil) != tt.ok {
				t.Fatalf("dial and read metadata: err = %v, want ok=%v", err, tt.ok)
			}
		})
	}

	// The whole path, reader and dead-letter writer, over SCRAM-SHA-512.
	cfg := testConfig(addr)
	cfg.SASL = SASLConfig{Mechanism: SASLScramSHA512, Username: "scram512", Password: "pw-512"}
	sec, err := newSecurity(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr := sec.transport()
	w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: testTopic, Transport: tr, BatchTimeout: 5 * time.Millisecond}
	ev, _ := testEvents(0, 1, 1)[0].MarshalJSON()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, kafka.Message{Value: []byte("not json")}, kafka.Message{Key: []byte("acc-000"), Value: ev}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	tr.CloseIdleConnections()
	rec := &recorder{}
	reg := prometheus.NewRegistry()
	stop := start(t, newConsumer(t, cfg, rec, reg))
	rec.waitFor(t, 1)
	deadline := time.Now().Add(10 * time.Second)
	for kc.CommittedOffsets(testGroup, testTopic)[0] != 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if v := metricValue(t, reg, "sharewatch_ingest_dead_letters_total", "reason", ReasonNotJSONObject); v != 1 {
		t.Errorf("dead letter over SASL not written: dead_letters_total = %v", v)
	}
	assertCommittedAtEnd(t, kc)
}

// BenchmarkConsume measures events/s from kfake through decode and batching
// to a no-op processor, on one machine with the broker.
func BenchmarkConsume(b *testing.B) {
	kc := testkafka.New(b, map[string]int{testTopic: 4, testDLQ: 1})
	addr := kc.Addrs()[0]
	const chunk = 50_000
	for i := 0; i < b.N; i += chunk {
		produceEvents(b, addr, testEvents(i, min(chunk, b.N-i), 10_000))
	}
	var mu sync.Mutex
	var n int
	done := make(chan struct{})
	proc := ProcessorFunc(func(_ context.Context, batch []Record) error {
		mu.Lock()
		defer mu.Unlock()
		n += len(batch)
		if n == b.N {
			close(done)
		}
		return nil
	})
	cfg := testConfig(addr)
	cfg.CommitInterval = time.Second
	cfg.BatchSize = 2000
	cfg.BatchTimeout = 100 * time.Millisecond
	c := newConsumer(b, cfg, proc, nil)

	b.ResetTimer()
	began := time.Now()
	stop := start(b, c)
	<-done
	elapsed := time.Since(began)
	b.StopTimer()
	if err := stop(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}
