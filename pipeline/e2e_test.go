package pipeline_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"

	"github.com/sharewatch/sharewatch/config"
	"github.com/sharewatch/sharewatch/holds"
	"github.com/sharewatch/sharewatch/ingest"
	"github.com/sharewatch/sharewatch/internal/testkafka"
	"github.com/sharewatch/sharewatch/pipeline"
	"github.com/sharewatch/sharewatch/tickets"
)

const (
	e2eTopic  = "logins"
	e2eDLQ    = "logins.dlq"
	e2eHolds  = "account-holds"
	e2eGroup  = "sharewatch-e2e"
	e2eWithin = 60 * time.Second // bound on every wait; the runs take a few seconds
)

// e2eConfig is a production config pointed at the test broker, with every
// file output in dir and ClickHouse off.
func e2eConfig(t *testing.T, addr, dir string, p *population, holdsOn bool, helpdesk string) config.Config {
	t.Helper()
	cfg := p.scoringConfig()
	cfg.Kafka.Brokers = []string{addr}
	cfg.Kafka.Topic, cfg.Kafka.DLQTopic, cfg.Kafka.Group = e2eTopic, e2eDLQ, e2eGroup
	cfg.Kafka.MaxWait = 100 * time.Millisecond // bounds Reader.Close (kafka-go #428)
	cfg.Kafka.CommitInterval = 50 * time.Millisecond
	cfg.Kafka.BatchSize = 200 // several batches per partition
	cfg.Kafka.BatchTimeout = 20 * time.Millisecond
	cfg.Kafka.ShutdownTimeout = 10 * time.Second
	cfg.Verdicts.Path = filepath.Join(dir, "verdicts.jsonl")
	off := false
	cfg.ClickHouse.Enabled = &off
	cfg.Helpdesk.Kind = helpdesk
	cfg.Helpdesk.File.Dir = filepath.Join(dir, "tickets", "queue")
	cfg.Helpdesk.OutboxDir = filepath.Join(dir, "tickets", "outbox")
	cfg.Helpdesk.PollInterval = 100 * time.Millisecond
	cfg.Holds.Enabled = &holdsOn
	cfg.Holds.Topic = e2eHolds
	cfg.Holds.StateDir = filepath.Join(dir, "holds")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// produce writes msgs to the logins topic, keyed as given, in order.
func produce(t *testing.T, addr string, msgs []kafka.Message) {
	t.Helper()
	p, err := ingest.NewProducer([]string{addr}, e2eTopic)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), e2eWithin)
	defer cancel()
	for chunk := range slices.Chunk(msgs, 1000) {
		if err := p.ProduceRaw(ctx, chunk...); err != nil {
			t.Fatal(err)
		}
	}
}

// run is one pipeline process: stages, their workers and a consumer.
type run struct {
	st     *pipeline.Stages
	model  string // the model version the run stamps
	cancel context.CancelFunc
	done   chan struct{}
	runErr error // the consumer's, valid after done
	wkErr  error // the workers', valid after done
}

// startRun builds the stages from cfg and starts consuming with proc
// wrapping the stages' Processor (nil: the Processor itself).
func startRun(t *testing.T, cfg config.Config, wrap func(*pipeline.Stages, context.CancelFunc) ingest.Processor) *run {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	reg := prometheus.NewRegistry()
	st, err := pipeline.BuildStages(ctx, cfg, pipeline.StageOptions{Options: pipeline.Options{Registry: reg}, Outputs: true, KeepSummaries: true})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var proc ingest.Processor = st.Processor
	if wrap != nil {
		proc = wrap(st, cancel)
	}
	cons, err := ingest.NewConsumer(cfg.Kafka, ingest.Options{Registerer: reg, Processor: proc})
	if err != nil {
		cancel()
		st.Close()
		t.Fatal(err)
	}
	r := &run{st: st, model: st.Scorer.ModelVersion(), cancel: cancel, done: make(chan struct{})}
	var g errgroup.Group
	st.StartWorkers(ctx, &g, cfg.Helpdesk.PollInterval)
	go func() {
		defer close(r.done)
		r.runErr = cons.Run(ctx)
		cancel() // a failed consumer stops the workers too
		r.wkErr = g.Wait()
	}()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels the run, waits for it and closes its stages. It is safe to
// call more than once.
func (r *run) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(e2eWithin):
		t.Fatal("consumer did not stop after cancel")
	}
	if r.st != nil {
		if err := r.st.Close(); err != nil {
			t.Errorf("closing stages: %v", err)
		}
		r.st = nil
	}
}

// waitCommitted waits until the group has committed the end offset of every
// partition of the logins topic, which means everything was processed.
func waitCommitted(t *testing.T, kc *testkafka.Cluster, r *run) map[int]int64 {
	t.Helper()
	ends, err := kc.EndOffsets(e2eTopic)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(e2eWithin)
	for {
		committed := kc.CommittedOffsets(e2eGroup, e2eTopic)
		all := true
		for p, end := range ends {
			if end > 0 && committed[p] != end {
				all = false
			}
		}
		if all {
			return ends
		}
		select {
		case <-r.done:
			t.Fatalf("consumer stopped early (err %v); committed %v, end %v", r.runErr, committed, ends)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("committed offsets %v never reached the end offsets %v", committed, ends)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// verdictLine is what the tests read back from the verdict file.
type verdictLine struct {
	EventID      string   `json:"event_id"`
	AccountID    string   `json:"account_id"`
	Verdict      string   `json:"verdict"`
	Score        *float64 `json:"score"`
	Reasons      []string `json:"reasons"`
	Explanation  string   `json:"explanation"`
	Action       string   `json:"action"`
	ModelVersion string   `json:"model_version"`
}

func readVerdicts(t *testing.T, path string) []verdictLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []verdictLine
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 4<<20)
	for n := 1; sc.Scan(); n++ {
		var v verdictLine
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s line %d: %v: %s", path, n, err, sc.Bytes())
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	verdictNames = map[string]bool{"ok": true, "travel": true, "suspected_sharing": true, "sharing": true}
	actionNames  = map[string]bool{"none": true, "ticket": true, "hold": true}
)

// checkVerdict reports a verdict that breaks the verdict contract.
func checkVerdict(t *testing.T, v verdictLine, model string) {
	t.Helper()
	switch {
	case !verdictNames[v.Verdict]:
		t.Errorf("event %s: verdict %q not in the contract", v.EventID, v.Verdict)
	case !actionNames[v.Action]:
		t.Errorf("event %s: action %q not in the contract", v.EventID, v.Action)
	case v.Score == nil || *v.Score < 0 || *v.Score > 1:
		t.Errorf("event %s: score %v not in [0, 1]", v.EventID, v.Score)
	case len(v.Reasons) == 0 || slices.Contains(v.Reasons, ""):
		t.Errorf("event %s: reasons %q, want at least one non-empty code", v.EventID, v.Reasons)
	case strings.TrimSpace(v.Explanation) == "":
		t.Errorf("event %s: empty explanation", v.EventID)
	case v.ModelVersion == "" || v.ModelVersion != model:
		t.Errorf("event %s: model_version %q, want %q", v.EventID, v.ModelVersion, model)
	}
}

// malformed are messages the pipeline must dead-letter, unchanged, with
// the reason and field in headers.
var malformed = []struct {
	name   string
	value  string
	reason string // DecodeError.Reason, contained in the reason header
	field  string
}{
	{"truncated JSON", `{"event_id":"bad-json","type":"login",`, ingest.ReasonMalformedJSON, ""},
	{"missing account_id", `{"event_id":"bad-acct","type":"login","time":"2026-10-02T18:00:00Z","device_id":"d","ip":"81.2.69.1"}`, ingest.ReasonMissing, "account_id"},
	{"bad ip", `{"event_id":"bad-ip","type":"login","time":"2026-10-02T18:00:00Z","account_id":"acc-00001","device_id":"d","ip":"999.1.1.1"}`, ingest.ReasonMalformed, "ip"},
	{"not UTF-8", "{\"event_id\":\"bad-utf8\",\"type\":\"login\",\"time\":\"2026-10-02T18:00:00Z\",\"account_id\":\"acc-00001\",\"device_id\":\"d\xff\xfe\",\"ip\":\"81.2.69.1\"}", ingest.ReasonNotUTF8, ""},
	{"missing device_id on login", `{"event_id":"bad-dev","type":"login","time":"2026-10-02T18:00:00Z","account_id":"acc-00001","ip":"81.2.69.1"}`, ingest.ReasonMissing, "device_id"},
	{"not an object", `["login"]`, ingest.ReasonNotJSONObject, ""},
}

var dlqSource = regexp.MustCompile(`^` + regexp.QuoteMeta(e2eTopic) + `/(\d+)/(\d+)$`)

// TestEndToEnd runs the production pipeline (kafka-go group consumer,
// scorer, rules, verdict file, file ticket queue, Kafka holds) against an
// in-process broker loaded with a simulated population, malformed messages
// and re-sent duplicates.
func TestEndToEnd(t *testing.T) {
	p := newPopulation(t, 40, 10, 11)
	kc := testkafka.New(t, map[string]int{e2eTopic: 4, e2eDLQ: 1, e2eHolds: 1})
	addr := kc.Addrs()[0]
	dir := t.TempDir()
	cfg := e2eConfig(t, addr, dir, p, true, tickets.KindFile)

	// The stream, with every 97th event re-sent right after itself (a
	// producer retry) and malformed messages spread through it. Only events
	// that are not their account's first are re-sent: see
	// TestEndToEndRedelivery for why.
	var msgs []kafka.Message
	resent := 0
	badAt := len(p.events) / (len(malformed) + 1)
	seen := map[string]bool{}
	for i, ev := range p.events {
		m := kafka.Message{Key: []byte(ev.AccountID), Value: p.lines[i]}
		msgs = append(msgs, m)
		if i%97 == 0 && seen[ev.AccountID] {
			msgs = append(msgs, m)
			resent++
		}
		seen[ev.AccountID] = true
		if j := i / badAt; i%badAt == 0 && j >= 1 && j <= len(malformed) {
			b := malformed[j-1]
			msgs = append(msgs, kafka.Message{Key: []byte("acc-00001"), Value: []byte(b.value)})
		}
	}
	if resent == 0 {
		t.Fatal("nothing was re-sent")
	}
	produce(t, addr, msgs)

	r := startRun(t, cfg, nil)
	ends := waitCommitted(t, kc, r)
	// Let the helpdesk sender drain its outbox before stopping.
	for deadline := time.Now().Add(e2eWithin); r.st.Tickets.Pending() > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d ticket intents never left the outbox", r.st.Tickets.Pending())
		}
	}
	r.stop(t)
	if r.runErr != nil || r.wkErr != nil {
		t.Fatalf("consumer: %v, workers: %v", r.runErr, r.wkErr)
	}

	t.Run("offsets committed to the end", func(t *testing.T) {
		committed := kc.CommittedOffsets(e2eGroup, e2eTopic)
		var total int64
		for part, end := range ends {
			total += end
			if end > 0 && committed[part] != end {
				t.Errorf("partition %d: committed %d, end %d", part, committed[part], end)
			}
		}
		if total != int64(len(msgs)) {
			t.Errorf("topic holds %d messages, produced %d", total, len(msgs))
		}
	})

	verdicts := readVerdicts(t, cfg.Verdicts.Path)
	t.Run("one verdict per distinct event", func(t *testing.T) {
		per := map[string]int{}
		for _, v := range verdicts {
			per[v.EventID]++
		}
		for _, ev := range p.events {
			if n := per[ev.EventID]; n != 1 {
				t.Errorf("event %s: %d verdicts, want 1", ev.EventID, n)
			}
			delete(per, ev.EventID)
		}
		for id, n := range per {
			t.Errorf("%d verdicts for %q, which is not a valid produced event", n, id)
		}
		if len(verdicts) != len(p.events) {
			t.Errorf("%d verdict lines for %d distinct events (%d re-sent)", len(verdicts), len(p.events), resent)
		}
	})

	t.Run("verdicts follow the contract", func(t *testing.T) {
		for _, v := range verdicts {
			checkVerdict(t, v, r.model)
		}
	})

	t.Run("per-account order kept", func(t *testing.T) {
		want := map[string][]string{}
		for _, ev := range p.events {
			want[ev.AccountID] = append(want[ev.AccountID], ev.EventID)
		}
		got := map[string][]string{}
		for _, v := range verdicts {
			got[v.AccountID] = append(got[v.AccountID], v.EventID)
		}
		for acc, ids := range want {
			if !slices.Equal(got[acc], ids) {
				t.Errorf("account %s: verdicts in a different order from its events", acc)
			}
		}
	})

	t.Run("dead letters", func(t *testing.T) {
		dlqEnds, err := kc.EndOffsets(e2eDLQ)
		if err != nil {
			t.Fatal(err)
		}
		if dlqEnds[0] != int64(len(malformed)) {
			t.Fatalf("dead-letter topic holds %d messages, want %d", dlqEnds[0], len(malformed))
		}
		got := readPartition(t, addr, e2eDLQ, 0, 0, len(malformed))
		byValue := map[string]kafka.Message{}
		for _, m := range got {
			byValue[string(m.Value)] = m
		}
		for _, b := range malformed {
			t.Run(b.name, func(t *testing.T) {
				m, ok := byValue[b.value]
				if !ok {
					t.Fatalf("no dead letter with the original bytes %q", b.value)
				}
				h := headerMap(m)
				if !strings.Contains(h[ingest.HeaderDLQReason], b.reason) {
					t.Errorf("reason header %q does not contain %q", h[ingest.HeaderDLQReason], b.reason)
				}
				if h[ingest.HeaderDLQField] != b.field {
					t.Errorf("field header %q, want %q", h[ingest.HeaderDLQField], b.field)
				}
				if string(m.Key) != "acc-00001" {
					t.Errorf("key %q, want the original", m.Key)
				}
				// The source header points at the original message.
				sm := dlqSource.FindStringSubmatch(h[ingest.HeaderDLQSource])
				if sm == nil {
					t.Fatalf("source header %q is not %s/PARTITION/OFFSET", h[ingest.HeaderDLQSource], e2eTopic)
				}
				part, _ := strconv.Atoi(sm[1])
				off, _ := strconv.ParseInt(sm[2], 10, 64)
				orig := readPartition(t, addr, e2eTopic, part, off, 1)
				if string(orig[0].Value) != b.value {
					t.Errorf("source %s holds %q, not the dead-lettered message", h[ingest.HeaderDLQSource], orig[0].Value)
				}
			})
		}
	})

	t.Run("tickets and holds only for actioned accounts", func(t *testing.T) {
		actioned := map[string]string{} // account -> most severe action
		for _, v := range verdicts {
			if v.Action == "hold" || (v.Action == "ticket" && actioned[v.AccountID] == "") {
				actioned[v.AccountID] = v.Action
			}
		}
		if len(actioned) == 0 {
			t.Fatal("no verdict asked for action; the population is too small for this check")
		}
		q, err := tickets.NewFileQueue(cfg.Helpdesk.File.Dir)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := q.List(false)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, tk := range ts {
			if actioned[tk.AccountID] == "" {
				t.Errorf("ticket %s for %s, whose verdicts never asked for action", tk.Ref, tk.AccountID)
			}
			if seen[tk.AccountID] {
				t.Errorf("second ticket for %s", tk.AccountID)
			}
			seen[tk.AccountID] = true
		}
		for acc := range actioned {
			if !seen[acc] {
				t.Errorf("account %s was actioned but has no ticket", acc)
			}
		}
		holdEnds, err := kc.EndOffsets(e2eHolds)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range readPartition(t, addr, e2eHolds, 0, 0, int(holdEnds[0])) {
			var c holds.Command
			if err := json.Unmarshal(m.Value, &c); err != nil {
				t.Fatalf("hold command %q: %v", m.Value, err)
			}
			if c.Command != "hold" || actioned[c.AccountID] != "hold" || string(m.Key) != c.AccountID {
				t.Errorf("hold command %s for %s (key %q) without a hold verdict", c.Command, c.AccountID, m.Key)
			}
		}
		t.Logf("%d verdicts: %d accounts actioned, %d tickets, %d hold commands", len(verdicts), len(actioned), len(ts), holdEnds[0])
	})
}

// TestRestartIsAtLeastOnce stops the pipeline half way through and starts
// a new one (fresh scoring state, as after a process restart) in the same
// group. Every event gets a verdict; duplicates in the verdict file are
// possible only for work written but not committed, and deduplicating by
// (account_id, event_id), as ClickHouse's ReplacingMergeTree does, leaves
// exactly one verdict per event.
func TestRestartIsAtLeastOnce(t *testing.T) {
	errCrash := errors.New("simulated crash after the outputs were written, before the commit")
	tests := []struct {
		name string
		// stop is called after a batch's outputs are durable once half the
		// events were processed; it returns what Process returns.
		stop          func(cancel context.CancelFunc) error
		wantErr       error
		wantDuplicate bool // the first run wrote work it never committed
	}{
		{
			name:    "graceful shutdown",
			stop:    func(cancel context.CancelFunc) error { cancel(); return nil },
			wantErr: nil,
		},
		{
			name:          "crash before commit",
			stop:          func(context.CancelFunc) error { return errCrash },
			wantErr:       errCrash,
			wantDuplicate: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPopulation(t, 40, 5, 23)
			kc := testkafka.New(t, map[string]int{e2eTopic: 4, e2eDLQ: 1})
			addr := kc.Addrs()[0]
			cfg := e2eConfig(t, addr, t.TempDir(), p, false, tickets.KindNone)
			msgs := make([]kafka.Message, len(p.events))
			for i, ev := range p.events {
				msgs[i] = kafka.Message{Key: []byte(ev.AccountID), Value: p.lines[i]}
			}
			produce(t, addr, msgs)

			half := int64(len(msgs) / 2)
			var processed atomic.Int64
			var once sync.Once
			first := startRun(t, cfg, func(st *pipeline.Stages, cancel context.CancelFunc) ingest.Processor {
				return ingest.ProcessorFunc(func(ctx context.Context, batch []ingest.Record) error {
					if err := st.Processor.Process(ctx, batch); err != nil {
						return err
					}
					var err error
					if processed.Add(int64(len(batch))) >= half {
						once.Do(func() { err = tc.stop(cancel) })
					}
					return err
				})
			})
			select {
			case <-first.done:
			case <-time.After(e2eWithin):
				t.Fatal("first run never stopped")
			}
			first.stop(t)
			if !errors.Is(first.runErr, tc.wantErr) {
				t.Fatalf("first run: err %v, want %v", first.runErr, tc.wantErr)
			}
			var committed int64
			for _, off := range kc.CommittedOffsets(e2eGroup, e2eTopic) {
				committed += off
			}
			if n := processed.Load(); n < half || n >= int64(len(msgs)) || committed >= int64(len(msgs)) {
				t.Fatalf("first run processed %d and committed %d of %d events; the test needs it to stop half way", n, committed, len(msgs))
			}

			second := startRun(t, cfg, nil)
			waitCommitted(t, kc, second)
			second.stop(t)
			if second.runErr != nil {
				t.Fatalf("second run: %v", second.runErr)
			}

			verdicts := readVerdicts(t, cfg.Verdicts.Path)
			type key struct{ account, event string }
			per := map[key]int{}
			for _, v := range verdicts {
				per[key{v.AccountID, v.EventID}]++
				checkVerdict(t, v, second.model)
			}
			for _, ev := range p.events {
				if per[key{ev.AccountID, ev.EventID}] == 0 {
					t.Errorf("event %s of %s has no verdict", ev.EventID, ev.AccountID)
				}
			}
			if len(per) != len(p.events) {
				t.Errorf("deduplicated by (account_id, event_id): %d verdicts, want %d", len(per), len(p.events))
			}
			dups := len(verdicts) - len(per)
			if tc.wantDuplicate != (dups > 0) {
				t.Errorf("%d duplicate verdict lines; want duplicates: %v", dups, tc.wantDuplicate)
			}
			t.Logf("%d events, first run processed %d and committed %d, %d duplicate verdict lines", len(p.events), processed.Load(), committed, dups)
		})
	}
}

// readPartition reads n messages of one partition from offset.
func readPartition(t *testing.T, addr, topic string, partition int, offset int64, n int) []kafka.Message {
	t.Helper()
	if n == 0 {
		return nil
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: partition, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	if err := r.SetOffset(offset); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e2eWithin)
	defer cancel()
	out := make([]kafka.Message, 0, n)
	for len(out) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("reading %s/%d at %d: %v", topic, partition, offset+int64(len(out)), err)
		}
		out = append(out, m)
	}
	return out
}

func headerMap(m kafka.Message) map[string]string {
	h := make(map[string]string, len(m.Headers))
	for _, x := range m.Headers {
		h[x.Key] = string(x.Value)
	}
	return h
}

// runToEnd runs the pipeline (verdict file only) over msgs on a fresh
// broker until everything is committed, and returns the verdict file.
func runToEnd(t *testing.T, p *population, msgs []kafka.Message, partitions int) []verdictLine {
	t.Helper()
	kc := testkafka.New(t, map[string]int{e2eTopic: partitions, e2eDLQ: 1})
	addr := kc.Addrs()[0]
	cfg := e2eConfig(t, addr, t.TempDir(), p, false, tickets.KindNone)
	produce(t, addr, msgs)
	r := startRun(t, cfg, nil)
	waitCommitted(t, kc, r)
	r.stop(t)
	if r.runErr != nil {
		t.Fatal(r.runErr)
	}
	return readVerdicts(t, cfg.Verdicts.Path)
}

// TestEndToEndRedelivery: an event delivered twice yields one verdict in
// the streaming pipeline too (without ClickHouse to deduplicate).
func TestEndToEndRedelivery(t *testing.T) {
	p := newPopulation(t, 10, 3, 31)
	msg := func(i int) kafka.Message { return kafka.Message{Key: []byte(p.events[i].AccountID), Value: p.lines[i]} }
	// later is an event of an account with at least 20 more events after it.
	later, first := -1, map[string]int{}
	count := map[string]int{}
	for i, ev := range p.events {
		if _, ok := first[ev.AccountID]; !ok {
			first[ev.AccountID] = i
		}
		count[ev.AccountID]++
	}
	for i, ev := range p.events {
		if i != first[ev.AccountID] && count[ev.AccountID] > 40 {
			later = i
			break
		}
	}
	if later < 0 {
		t.Fatal("population has no account with enough events")
	}
	// resendAt is after ten more events of the same account, within 6 h.
	resendAt, seen := -1, 0
	for i := later + 1; i < len(p.events); i++ {
		if p.events[i].AccountID == p.events[later].AccountID {
			if seen++; seen == 10 {
				resendAt = i
				break
			}
		}
	}
	if resendAt < 0 || p.events[resendAt].Time.Sub(p.events[later].Time) > 6*time.Hour {
		t.Skip("population has no account with ten events within 6 h")
	}
	stream := func(insert int, at int) []kafka.Message {
		var msgs []kafka.Message
		for i := range p.events {
			msgs = append(msgs, msg(i))
			if i == at {
				msgs = append(msgs, msg(insert))
			}
		}
		if at < 0 {
			msgs = append(msgs, msg(insert))
		}
		return msgs
	}
	tests := []struct {
		name string
		msgs []kafka.Message
	}{
		{name: "re-sent right after", msgs: stream(later, later)},
		{
			name: "first event re-sent right after",
			msgs: stream(0, 0),
		},
		{
			// More than the account's last few events later, but within
			// scoring.dedup_window of event time: beyond it, only the
			// verdict store's (account_id, event_id) key deduplicates.
			name: "re-sent after more events of its account",
			msgs: stream(later, resendAt),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// One partition: the scorer sees the messages in this order.
			verdicts := runToEnd(t, p, tc.msgs, 1)
			per := map[string]int{}
			for _, v := range verdicts {
				per[v.EventID]++
			}
			for _, ev := range p.events {
				if per[ev.EventID] != 1 {
					t.Errorf("event %s: %d verdicts, want 1", ev.EventID, per[ev.EventID])
				}
			}
			if len(verdicts) != len(p.events) {
				t.Errorf("%d verdicts for %d distinct events", len(verdicts), len(p.events))
			}
		})
	}
}
