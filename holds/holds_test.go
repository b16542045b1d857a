package holds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
	"go.uber.org/goleak"

	"github.com/sharewatch/sharewatch/internal/testaudit"
	"github.com/sharewatch/sharewatch/internal/testkafka"
	"github.com/sharewatch/sharewatch/internal/testrt"
	"github.com/sharewatch/sharewatch/scoring"
	"github.com/sharewatch/sharewatch/tickets"
	"github.com/sharewatch/sharewatch/verdictstore"
)

func TestMain(m *testing.M) {
	code := testrt.Run(m)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

const topic = "account-holds"

var t0 = time.Date(2026, 11, 3, 21, 0, 0, 0, time.UTC)

func holdVerdict(account, event string, at time.Time) scoring.Verdict {
	return scoring.Verdict{EventID: event, Time: at, AccountID: account, Score: 0.93, Verdict: scoring.LabelSharing,
		Action: "hold", ModelVersion: "m-test", Explanation: "3 separate households besides the home in Paris (FR) used the account.",
		Reasons: []string{scoring.ReasonManyHouseholds, scoring.ReasonConcurrentHouseholds}}
}

// kafkaSink starts a kfake cluster with the holds topic and a publisher.
func kafkaSink(t *testing.T, partitions int) (*testkafka.Cluster, *KafkaPublisher) {
	t.Helper()
	c := testkafka.New(t, map[string]int{topic: partitions})
	p, err := NewKafkaPublisher(KafkaOptions{Brokers: c.Addrs(), Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return c, p
}

// readAll reads every message of the topic with kafka-go.
func readAll(t *testing.T, c *testkafka.Cluster) []kafka.Message {
	t.Helper()
	ends, err := c.EndOffsets(topic)
	if err != nil {
		t.Fatal(err)
	}
	var out []kafka.Message
	for p, end := range ends {
		if end == 0 {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: c.Addrs(), Topic: topic, Partition: p, MaxWait: 100 * time.Millisecond})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		for {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				cancel()
				r.Close()
				t.Fatalf("reading partition %d: %v", p, err)
			}
			out = append(out, m)
			if m.Offset+1 >= end {
				break
			}
		}
		cancel()
		r.Close()
	}
	return out
}

func decode(t *testing.T, m kafka.Message) Command {
	t.Helper()
	var c Command
	dec := json.NewDecoder(strings.NewReader(string(m.Value)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("decoding %s: %v", m.Value, err)
	}
	if string(m.Key) != c.AccountID {
		t.Fatalf("key %q, account_id %q", m.Key, c.AccountID)
	}
	return c
}

type holderOpts struct {
	dir    string
	audit  AuditLog
	reg    prometheus.Registerer
	active func() int
	brake  BrakeConfig
	pubs   []Publisher
	refs   func(string) string
}

func newHolder(t *testing.T, o holderOpts) *Holder {
	t.Helper()
	if o.reg == nil {
		o.reg = prometheus.NewRegistry()
	}
	h, err := New(Options{
		Config:         Config{StateDir: o.dir, Brake: o.brake},
		Publishers:     o.pubs,
		Audit:          o.audit,
		ActiveAccounts: o.active,
		TicketRef:      o.refs,
		Registerer:     o.reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func act(t *testing.T, a interface {
	Act(context.Context, []scoring.Verdict) error
}, vs ...scoring.Verdict) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := a.Act(ctx, vs); err != nil {
		t.Fatal(err)
	}
}

// TestHoldsPublishedOncePerAccount: holds reach Kafka keyed by account,
// once per account even across redelivery and a restart; a release
// follows with a deterministic id; everything is audited.
func TestHoldsPublishedOncePerAccount(t *testing.T) {
	c, pub := kafkaSink(t, 3)
	dir := t.TempDir()
	audit := &testaudit.Log{}
	reg := prometheus.NewRegistry()
	refs := map[string]string{"h-2": "rt:7"}
	h := newHolder(t, holderOpts{dir: dir, audit: audit, reg: reg, pubs: []Publisher{pub}, refs: func(a string) string { return refs[a] }})

	ticketOnly := holdVerdict("t-1", "e0", t0)
	ticketOnly.Action = "ticket"
	act(t, h, ticketOnly, holdVerdict("h-1", "e1", t0), holdVerdict("h-2", "e2", t0), holdVerdict("h-1", "e3", t0.Add(time.Minute)))
	act(t, h, holdVerdict("h-1", "e1", t0)) // redelivery
	h = newHolder(t, holderOpts{dir: dir, audit: audit, pubs: []Publisher{pub}})
	act(t, h, holdVerdict("h-2", "e4", t0.Add(time.Hour))) // after a restart

	msgs := readAll(t, c)
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2 holds", len(msgs))
	}
	got := map[string]Command{}
	for _, m := range msgs {
		cmd := decode(t, m)
		got[cmd.AccountID] = cmd
	}
	h1 := got["h-1"]
	if h1.Command != CommandHold || h1.CommandID != CommandID("h-1", "e1", CommandHold) || h1.EventID != "e1" ||
		h1.Verdict != "sharing" || h1.Score != 0.93 || h1.ModelVersion != "m-test" || h1.Actor != Actor ||
		!strings.Contains(h1.Reason, "many_households") || !h1.EventTime.Equal(t0) {
		t.Fatalf("hold command %+v", h1)
	}
	if got["h-2"].TicketRef != "rt:7" {
		t.Fatalf("ticket_ref = %q, want rt:7", got["h-2"].TicketRef)
	}
	if !h.Held("h-1") || h.Held("t-1") {
		t.Fatal("held set wrong after restart")
	}

	if err := h.Release(context.Background(), "h-1", "not sharing: second home", "ann"); err != nil {
		t.Fatal(err)
	}
	if err := h.Release(context.Background(), "h-1", "again", "ann"); err != nil { // not held any more: no-op
		t.Fatal(err)
	}
	msgs = readAll(t, c)
	if len(msgs) != 3 {
		t.Fatalf("%d messages after release, want 3", len(msgs))
	}
	var rel Command
	for _, m := range msgs {
		if cmd := decode(t, m); cmd.Command == CommandRelease {
			rel = cmd
		}
	}
	if rel.AccountID != "h-1" || rel.Actor != "ann" || rel.Reason != "not sharing: second home" ||
		rel.CommandID != CommandID("h-1", h1.CommandID, CommandRelease) {
		t.Fatalf("release %+v", rel)
	}
	if h.Held("h-1") {
		t.Fatal("still held after release")
	}
	if audit.Count(verdictstore.ActionHold, false) != 2 || audit.Count(verdictstore.ActionRelease, false) != 1 {
		t.Fatalf("audit rows %+v", audit.Rows())
	}
	if v := testutil.ToFloat64(h.m.released); v != 1 {
		t.Fatalf("released_total = %v", v)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP sharewatch_holds_placed_total Automatic holds published.
# TYPE sharewatch_holds_placed_total counter
sharewatch_holds_placed_total 2
`), "sharewatch_holds_placed_total"); err != nil {
		t.Error(err)
	}
}

func TestCommandID(t *testing.T) {
	a := CommandID("a-1", "e-1", CommandHold)
	tests := []struct {
		name      string
		id        string
		wantEqual bool
	}{
		{"same inputs", CommandID("a-1", "e-1", CommandHold), true},
		{"other command", CommandID("a-1", "e-1", CommandRelease), false},
		{"other event", CommandID("a-1", "e-2", CommandHold), false},
		{"no ambiguity at the boundary", CommandID("a-1e", "-1", CommandHold), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if (tc.id == a) != tc.wantEqual {
				t.Fatalf("%s vs %s: equal=%v, want %v", tc.id, a, tc.id == a, tc.wantEqual)
			}
		})
	}
	if len(a) != 32 {
		t.Fatalf("id %q is not 32 hex digits", a)
	}
}

// TestBrakeFaultyGeoIP: a bad GeoIP update makes 200 accounts look like
// sharing within minutes. The brake lets the first 50 holds through, stops
// the rest (they get high-priority review tickets), survives a restart,
// and an operator's reset lets holds resume.
func TestBrakeFaultyGeoIP(t *testing.T) {
	c, pub := kafkaSink(t, 1)
	dir := t.TempDir()
	audit := &testaudit.Log{}
	reg := prometheus.NewRegistry()
	active := func() int { return 20000 } // 0.5% = 100, so max_holds 50 binds
	h := newHolder(t, holderOpts{dir: dir, audit: audit, reg: reg, pubs: []Publisher{pub}, active: active})
	q, err := tickets.NewFileQueue(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := tickets.NewManager(tickets.ManagerOptions{Helpdesk: q, Config: tickets.Config{OutboxDir: t.TempDir()},
		HoldPlaced: h.Held, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()

	var batch []scoring.Verdict
	for i := range 200 {
		batch = append(batch, holdVerdict(fmt.Sprintf("g-%03d", i), fmt.Sprintf("e-%d", i), t0.Add(time.Duration(i)*3*time.Second)))
		if len(batch) == 25 { // batches as the consumer hands them over
			act(t, h, batch...) // holder first, then tickets
			act(t, mgr, batch...)
			batch = nil
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Run(ctx) }()
	for mgr.Pending() > 0 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	if n := len(readAll(t, c)); n != 50 {
		t.Fatalf("%d holds published, want 50", n)
	}
	st := h.Brake()
	if !st.Engaged || !strings.Contains(st.Reason, "51 automatic holds within 1h0m0s") || !strings.Contains(st.Reason, "limit of 50") {
		t.Fatalf("brake %+v", st)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP sharewatch_holds_brake_engaged 1 while the blast-radius brake stops automatic holds; an operator must reset it. Alert on it.
# TYPE sharewatch_holds_brake_engaged gauge
sharewatch_holds_brake_engaged 1
# HELP sharewatch_holds_placed_total Automatic holds published.
# TYPE sharewatch_holds_placed_total counter
sharewatch_holds_placed_total 50
# HELP sharewatch_holds_suppressed_total Accounts whose automatic hold the blast-radius brake stopped (they get a review ticket only).
# TYPE sharewatch_holds_suppressed_total counter
sharewatch_holds_suppressed_total 150
`), "sharewatch_holds_brake_engaged", "sharewatch_holds_placed_total", "sharewatch_holds_suppressed_total"); err != nil {
		t.Error(err)
	}
	if audit.Count(verdictstore.ActionHold, true) != 150 || audit.Count(verdictstore.ActionHold, false) != 50 {
		t.Fatalf("audit: %d suppressed, %d placed", audit.Count(verdictstore.ActionHold, true), audit.Count(verdictstore.ActionHold, false))
	}
	// Every case still has exactly one ticket: urgent when held, high when
	// the brake stopped the hold.
	ts, _ := q.List(true)
	prio := map[tickets.Priority]int{}
	for _, tk := range ts {
		prio[tk.Priority]++
	}
	if len(ts) != 200 || prio[tickets.PriorityUrgent] != 50 || prio[tickets.PriorityHigh] != 150 {
		t.Fatalf("%d tickets, priorities %v; want 200: 50 urgent, 150 high", len(ts), prio)
	}

	// More flagged accounts later: still no holds, across a restart.
	h = newHolder(t, holderOpts{dir: dir, audit: audit, pubs: []Publisher{pub}, active: active})
	act(t, h, holdVerdict("late-1", "e-late", t0.Add(5*time.Hour)))
	if h.Held("late-1") || !h.Brake().Engaged {
		t.Fatal("brake did not survive the restart")
	}
	// The operator resets it from another process; the next Act obeys.
	if err := ResetBrake(dir, "oncall-bob"); err != nil {
		t.Fatal(err)
	}
	act(t, h, holdVerdict("late-2", "e-late2", t0.Add(5*time.Hour)))
	if h.Brake().Engaged || !h.Held("late-2") {
		t.Fatalf("after reset: brake %+v, late-2 held %v", h.Brake(), h.Held("late-2"))
	}
	if _, err := os.Stat(dir + "/" + resetFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("reset request file left behind")
	}
	if n := len(readAll(t, c)); n != 51 {
		t.Fatalf("%d holds after reset, want 51", n)
	}
}

func TestBrakeLimits(t *testing.T) {
	cfg := DefaultConfig().Brake
	tests := []struct {
		name      string
		active    int
		holds     int // already in the window
		wantAdmit bool
	}{
		{"no active count: max_holds", 0, 49, true},
		{"no active count: over max_holds", 0, 50, false},
		{"fraction binds: 0.5% of 2000 = 10", 2000, 10, false},
		{"fraction below min_holds uses min_holds", 100, 9, true},
		{"fraction below min_holds, over", 100, 10, false},
		{"max_holds binds for large populations", 1_000_000, 50, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b brakeState
			for i := range tc.holds {
				b.record(t0.Add(time.Duration(i)*time.Second), cfg.Window)
			}
			ok, why := b.admit(t0.Add(10*time.Minute), cfg, tc.active)
			if ok != tc.wantAdmit {
				t.Fatalf("admit = %v (%s), want %v", ok, why, tc.wantAdmit)
			}
		})
	}
	// Holds older than the window (event time) do not count.
	var b brakeState
	for i := range 50 {
		b.record(t0.Add(time.Duration(i)*time.Second), cfg.Window)
	}
	if ok, why := b.admit(t0.Add(2*time.Hour), cfg, 0); !ok {
		t.Fatalf("holds from two hours earlier still count: %s", why)
	}
}

// TestWebhookRetriesAndSinkOrder: the webhook gets each command once
// despite failures, with its idempotency key, after Kafka has it.
func TestWebhookRetriesAndSinkOrder(t *testing.T) {
	c, pub := kafkaSink(t, 1)
	var mu sync.Mutex
	var got []Command
	var keys []string
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= 2 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		b, _ := io.ReadAll(r.Body)
		var cmd Command
		if err := json.Unmarshal(b, &cmd); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		got = append(got, cmd)
		keys = append(keys, r.Header.Get("Idempotency-Key"))
	}))
	defer srv.Close()
	wh, err := NewWebhookPublisher(WebhookOptions{URL: srv.URL, MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	h := newHolder(t, holderOpts{dir: t.TempDir(), pubs: []Publisher{pub, wh}})
	act(t, h, holdVerdict("w-1", "e1", t0), holdVerdict("w-2", "e2", t0))
	if n := len(readAll(t, c)); n != 2 {
		t.Fatalf("%d Kafka messages, want 2", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) < 2 || got[len(got)-2].AccountID != "w-1" || got[len(got)-1].AccountID != "w-2" {
		t.Fatalf("webhook got %+v", got)
	}
	if keys[len(keys)-1] != CommandID("w-2", "e2", CommandHold) {
		t.Fatalf("Idempotency-Key %q", keys[len(keys)-1])
	}
	if v := testutil.ToFloat64(h.m.publishErrors); v != 1 {
		t.Fatalf("publish errors = %v, want 1 (two 503s exhaust one 2-attempt call)", v)
	}
}

// TestAuditRowsSurviveAuditOutage: rows wait in held.json and are written
// on a later call.
func TestAuditRowsSurviveAuditOutage(t *testing.T) {
	_, pub := kafkaSink(t, 1)
	dir := t.TempDir()
	audit := testaudit.Failing(100)
	h := newHolder(t, holderOpts{dir: dir, audit: audit, pubs: []Publisher{pub}})
	act(t, h, holdVerdict("x-1", "e1", t0))
	if audit.Count(verdictstore.ActionHold, false) != 0 {
		t.Fatal("audit log accepted rows while down")
	}
	audit.SetFailing(0)
	h = newHolder(t, holderOpts{dir: dir, audit: audit, pubs: []Publisher{pub}}) // restart
	if err := h.Release(context.Background(), "x-1", "operator", "ops"); err != nil {
		t.Fatal(err)
	}
	if audit.Count(verdictstore.ActionHold, false) != 1 || audit.Count(verdictstore.ActionRelease, false) != 1 {
		t.Fatalf("audit rows %+v", audit.Rows())
	}
}

// TestSchemaMatchesCommand keeps schema.json and Command in step.
func TestSchemaMatchesCommand(t *testing.T) {
	b, err := os.ReadFile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	var fields []string
	rt := reflect.TypeFor[Command]()
	for i := range rt.NumField() {
		fields = append(fields, strings.Split(rt.Field(i).Tag.Get("json"), ",")[0])
	}
	for _, f := range fields {
		if _, ok := s.Properties[f]; !ok {
			t.Errorf("schema.json lacks property %q", f)
		}
	}
	for p := range s.Properties {
		if !slices.Contains(fields, p) {
			t.Errorf("schema.json has property %q that Command lacks", p)
		}
	}
	for _, r := range s.Required {
		if !slices.Contains(fields, r) {
			t.Errorf("schema.json requires unknown %q", r)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	off := false
	tests := []struct {
		name string
		c    Config
		want []error
	}{
		{"defaults", DefaultConfig(), nil},
		{"disabled skips checks", Config{Enabled: &off}, nil},
		{"bad values", func() Config {
			c := DefaultConfig()
			c.Webhook.URL = "ftp://x"
			c.Brake.MaxFraction = 2
			c.Brake.Window = -time.Hour
			c.Brake.MinHolds = -1
			return c
		}(), []error{ErrBadURL, ErrBadFraction, ErrNonPositive, ErrNegative}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Validate()
			if (err == nil) != (len(tc.want) == 0) {
				t.Fatalf("Validate() = %v, want %v", err, tc.want)
			}
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("Validate() = %v, want it to wrap %v", err, w)
				}
			}
			if err != nil && !strings.Contains(err.Error(), "holds.brake.max_fraction") {
				t.Errorf("error does not name the field: %v", err)
			}
		})
	}
}
