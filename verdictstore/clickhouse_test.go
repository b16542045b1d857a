package verdictstore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sharewatch/sharewatch/internal/testch"
	"github.com/sharewatch/sharewatch/scoring"
)

func newStore(t testing.TB, cfg Config, reg prometheus.Registerer) *ClickHouse {
	t.Helper()
	s, err := NewClickHouse(ClickHouseOptions{Config: cfg, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func count(t testing.TB, s *ClickHouse, query string, args ...any) uint64 {
	t.Helper()
	var n uint64
	if err := s.conn.QueryRow(testCtx(t), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestMigrate(t *testing.T) {
	dsn := testch.Start(t)
	s := newStore(t, Config{DSN: dsn}, nil)
	ctx := testCtx(t)
	// From empty: drop the database the harness made. This is set-up, not
	// what is tested: a connection the server closed under it (seen once
	// in CI with ClickHouse 18.16) is retried, IF EXISTS in case the drop
	// went through before the connection closed.
	var err error
	for try := 0; try < 3; try++ {
		if err = s.conn.Exec(ctx, "DROP DATABASE IF EXISTS "+s.cfg.Database); err == nil {
			break
		}
		t.Logf("dropping %s (try %d): %v", s.cfg.Database, try+1, err)
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT count() FROM system.databases WHERE name = ?", s.cfg.Database); n != 0 {
		t.Fatalf("database %s still exists after DROP", s.cfg.Database)
	}
	want := []uint32{1, 2, 3}
	for i := range 2 {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
		got, err := s.AppliedMigrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("Migrate #%d: applied %v, want %v", i+1, got, want)
		}
	}
	if n := count(t, s, "SELECT count() FROM "+s.cfg.Database+".schema_migrations"); n != 3 {
		t.Fatalf("schema_migrations has %d rows after two runs, want 3", n)
	}
	for _, table := range []string{TableVerdicts, TableAccountVerdicts, TableActions} {
		if n := count(t, s, "SELECT count() FROM system.tables WHERE database = ? AND name = ?", s.cfg.Database, table); n != 1 {
			t.Errorf("table %s missing", table)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	s := newStore(t, Config{DSN: testch.Start(t)}, nil)
	ctx := testCtx(t)
	vs := sampleVerdicts(time.Date(2026, 11, 3, 10, 0, 0, 123e6, time.FixedZone("CET", 3600)))
	if err := s.Write(ctx, vs); err != nil {
		t.Fatal(err)
	}
	for _, acct := range []string{"acct-1", "acct-2", "acct-3", "nobody"} {
		var want []scoring.Verdict
		for _, v := range vs {
			if v.AccountID == acct {
				want = append(want, v)
			}
		}
		slices.SortFunc(want, func(a, b scoring.Verdict) int { return a.Time.Compare(b.Time) })
		got, err := s.AccountHistory(ctx, acct, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("AccountHistory(%s)\n got %+v\nwant %+v", acct, got, want)
		}
	}
	// limit keeps the latest, still oldest first.
	got, err := s.AccountHistory(ctx, "acct-1", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].EventID != "e-2" {
		t.Fatalf("AccountHistory(acct-1, 1) = %+v, want e-2 only", got)
	}
}

// TestWriteInBlocks writes a batch that spans several data blocks, with
// every field varied, and checks that it reads back whole and that the
// server squashed the blocks into one part per table.
func TestWriteInBlocks(t *testing.T) {
	s := newStore(t, Config{DSN: testch.Start(t)}, nil)
	ctx := testCtx(t)
	base := time.Date(2026, 11, 5, 8, 0, 0, 0, time.UTC)
	samples := sampleVerdicts(base)
	const accounts = 40
	vs := make([]scoring.Verdict, 2*insertBlockRows+301)
	for i := range vs {
		v := samples[i%len(samples)]
		v.EventID = fmt.Sprintf("e-%05d", i)
		v.AccountID = fmt.Sprintf("acct-%02d", i%accounts)
		v.Time = base.Add(time.Duration(i*7919%100000) * time.Millisecond)
		v.Lat, v.Score = float64(i)/1000, float64(i%97)/97
		v.Reasons = v.Reasons[:i/len(samples)%(len(v.Reasons)+1)]
		if i%11 == 0 {
			v.Reasons = nil
		}
		vs[i] = v
	}
	if err := s.Write(ctx, vs); err != nil {
		t.Fatal(err)
	}
	for a := range accounts {
		acct := fmt.Sprintf("acct-%02d", a)
		var want []scoring.Verdict
		var latest scoring.Verdict
		var firstFlagged time.Time
		for _, v := range vs {
			if v.AccountID != acct {
				continue
			}
			if v.Reasons == nil {
				v.Reasons = []string{} // an empty Array(String) reads back empty, not nil
			}
			want = append(want, v)
			if !v.Time.Before(latest.Time) {
				latest = v
			}
			if f := v.Time.Truncate(time.Second); v.Verdict.Flagged() && (firstFlagged.IsZero() || f.Before(firstFlagged)) {
				firstFlagged = f
			}
		}
		slices.SortFunc(want, func(a, b scoring.Verdict) int { return a.Time.Compare(b.Time) })
		got, err := s.AccountHistory(ctx, acct, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("AccountHistory(%s): got %d verdicts, want %d; first difference:\n%s", acct, len(got), len(want), firstDiff(got, want))
		}
		st, ok, err := s.AccountState(ctx, acct)
		if err != nil || !ok {
			t.Fatalf("AccountState(%s) = %v, %v", acct, ok, err)
		}
		if st.LastEventID != latest.EventID || !st.LastEvent.Equal(latest.Time) || st.Version != uint64(latest.Time.UnixMilli()) ||
			st.Verdict != latest.Verdict || st.Score != latest.Score || !slices.Equal(st.Reasons, latest.Reasons) ||
			st.Explanation != latest.Explanation || st.Action != latest.Action || st.ModelVersion != latest.ModelVersion {
			t.Errorf("AccountState(%s) = %+v, want latest %+v", acct, st, latest)
		}
		if firstFlagged.IsZero() != (st.FirstFlagged == nil) || (st.FirstFlagged != nil && !st.FirstFlagged.Equal(firstFlagged)) {
			t.Errorf("AccountState(%s).FirstFlagged = %v, want %v", acct, st.FirstFlagged, firstFlagged)
		}
	}
	// Inserted parts, merged or not: max_block_number - min_block_number + 1
	// counts the inserts a part holds.
	for _, table := range []string{TableVerdicts, TableAccountVerdicts} {
		if n := count(t, s, "SELECT toUInt64(sum(max_block_number - min_block_number + 1)) FROM system.parts "+
			"WHERE database = ? AND table = ? AND active", s.cfg.Database, table); n != 1 {
			t.Errorf("%s: %d parts inserted, want 1", table, n)
		}
	}
}

func firstDiff(got, want []scoring.Verdict) string {
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			return fmt.Sprintf(" got %+v\nwant %+v", got[i], want[i])
		}
	}
	return "(one is a prefix of the other)"
}

func TestRedeliveryIsIdempotent(t *testing.T) {
	s := newStore(t, Config{DSN: testch.Start(t)}, nil)
	ctx := testCtx(t)
	vs := genVerdicts(5000, 300, time.Date(2026, 10, 31, 23, 59, 0, 0, time.UTC), 0)
	for range 2 {
		if err := s.Write(ctx, vs); err != nil {
			t.Fatal(err)
		}
	}
	db := s.cfg.Database
	if n := count(t, s, "SELECT count() FROM "+db+".verdicts FINAL"); n != 5000 {
		t.Fatalf("count() FINAL = %d, want 5000", n)
	}
	if n := count(t, s, "SELECT uniqExact(account_id, event_id) FROM "+db+".verdicts"); n != 5000 {
		t.Fatalf("distinct events = %d, want 5000", n)
	}
	if n := count(t, s, "SELECT count() FROM "+db+".account_verdicts FINAL"); n != 300 {
		t.Fatalf("account_verdicts FINAL = %d rows, want 300", n)
	}
	// Merges reach the same result without FINAL.
	if err := s.conn.Exec(ctx, "OPTIMIZE TABLE "+db+".verdicts FINAL"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT count() FROM "+db+".verdicts"); n != 5000 {
		t.Fatalf("count() after OPTIMIZE FINAL = %d, want 5000", n)
	}
}

func TestAccountVerdictsLatest(t *testing.T) {
	dsn := testch.Start(t)
	s := newStore(t, Config{DSN: dsn}, nil)
	ctx := testCtx(t)
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	ev := func(id string, at time.Duration, l scoring.Label) scoring.Verdict {
		return scoring.Verdict{EventID: id, AccountID: "A", Time: t0.Add(at), Verdict: l, Score: float64(l) / 4,
			Reasons: []string{l.String()}, Explanation: "x " + id, Action: "none", ModelVersion: "m1"}
	}
	steps := []struct {
		name      string
		store     *ClickHouse
		batch     []scoring.Verdict
		wantLast  string
		wantLabel scoring.Label
		wantFirst time.Time // zero: never flagged
	}{
		{"unflagged", s, []scoring.Verdict{ev("e1", 0, scoring.LabelOK)}, "e1", scoring.LabelOK, time.Time{}},
		{"flagged then ok in one batch", s, []scoring.Verdict{
			ev("e3", 3*time.Second, scoring.LabelOK), ev("e2", 2500*time.Millisecond, scoring.LabelSuspectedSharing),
		}, "e3", scoring.LabelOK, t0.Add(2 * time.Second)},
		{"later batch carries first_flagged", s, []scoring.Verdict{ev("e4", 4*time.Second, scoring.LabelTravel)},
			"e4", scoring.LabelTravel, t0.Add(2 * time.Second)},
		// A fresh store has an empty cache and reads first_flagged back.
		{"new store reads first_flagged", nil, []scoring.Verdict{ev("e5", 5*time.Second, scoring.LabelSharing)},
			"e5", scoring.LabelSharing, t0.Add(2 * time.Second)},
		// An old event delivered late does not replace the latest.
		{"out of order", s, []scoring.Verdict{ev("e0", -time.Hour, scoring.LabelOK)},
			"e5", scoring.LabelSharing, t0.Add(2 * time.Second)},
		// Redelivery of the latest batch changes nothing.
		{"redelivery", s, []scoring.Verdict{ev("e5", 5*time.Second, scoring.LabelSharing)},
			"e5", scoring.LabelSharing, t0.Add(2 * time.Second)},
	}
	for _, st := range steps {
		store := st.store
		if store == nil {
			store = newStore(t, Config{DSN: dsn}, nil)
		}
		if err := store.Write(ctx, st.batch); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got, ok, err := s.AccountState(ctx, "A")
		if err != nil || !ok {
			t.Fatalf("%s: AccountState = %v, %v", st.name, ok, err)
		}
		if got.LastEventID != st.wantLast || got.Verdict != st.wantLabel {
			t.Errorf("%s: latest = %s/%s, want %s/%s", st.name, got.LastEventID, got.Verdict, st.wantLast, st.wantLabel)
		}
		if st.wantFirst.IsZero() != (got.FirstFlagged == nil) ||
			(got.FirstFlagged != nil && !got.FirstFlagged.Equal(st.wantFirst)) {
			t.Errorf("%s: first_flagged = %v, want %v", st.name, got.FirstFlagged, st.wantFirst)
		}
	}
	got, _, _ := s.AccountState(ctx, "A")
	want := ev("e5", 5*time.Second, scoring.LabelSharing)
	if got.Score != want.Score || !slices.Equal(got.Reasons, want.Reasons) || got.Explanation != want.Explanation ||
		!got.LastEvent.Equal(want.Time) || got.Version != uint64(want.Time.UnixMilli()) || got.ModelVersion != "m1" {
		t.Errorf("state = %+v, want fields of %+v", got, want)
	}
	if n := count(t, s, "SELECT count() FROM "+s.cfg.Database+".account_verdicts FINAL"); n != 1 {
		t.Errorf("account_verdicts FINAL has %d rows, want 1", n)
	}
}

func TestWriteSurvivesServerRestart(t *testing.T) {
	srv := testch.New(t)
	reg := prometheus.NewRegistry()
	s := newStore(t, Config{DSN: srv.DSN("restart"), MaxRetryBackoff: 300 * time.Millisecond}, reg)
	ctx := testCtx(t)
	t0 := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	first := genVerdicts(2000, 100, t0, 0)
	second := genVerdicts(2000, 100, t0.Add(time.Hour), 2000)
	if err := s.Write(ctx, first); err != nil {
		t.Fatal(err)
	}
	tStop := time.Now()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("server stopped in %v", time.Since(tStop))
	done := make(chan error, 1)
	go func() { done <- s.Write(ctx, second) }()
	select {
	case err := <-done:
		t.Fatalf("Write returned %v while the server was down", err)
	case <-time.After(time.Second):
	}
	if r := counterValue(t, reg, "sharewatch_clickhouse_retries_total", ""); r < 1 {
		t.Fatalf("retries_total = %v while the server was down, want > 0", r)
	}
	if f := counterValue(t, reg, "sharewatch_clickhouse_write_failures_total", TableVerdicts); f < 1 {
		t.Fatalf("write_failures_total{table=verdicts} = %v, want > 0", f)
	}
	tStart := time.Now()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("server started in %v", time.Since(tStart))
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Write after restart: %v", err)
		}
		t.Logf("blocked Write finished %v after the start", time.Since(tStart))
	case <-time.After(time.Minute):
		t.Fatal("Write did not finish within a minute of the restart")
	}
	// The pipeline redelivers the uncommitted batch after a crash.
	if err := s.Write(ctx, second); err != nil {
		t.Fatal(err)
	}
	db := s.cfg.Database
	if n := count(t, s, "SELECT count() FROM "+db+".verdicts FINAL"); n != 4000 {
		t.Fatalf("count() FINAL = %d, want 4000", n)
	}
	if n := count(t, s, "SELECT uniqExact(event_id) FROM "+db+".verdicts"); n != 4000 {
		t.Fatalf("distinct events = %d, want 4000", n)
	}
	if r := counterValue(t, reg, "sharewatch_clickhouse_rows_written_total", TableVerdicts); r != 6000 {
		t.Fatalf("rows_written_total{table=verdicts} = %v, want 6000", r)
	}
}

func TestWriteGivesUpWhenContextEnds(t *testing.T) {
	// Nothing listens on port 1: every attempt fails fast.
	s, err := NewClickHouse(ClickHouseOptions{Config: Config{DSN: "clickhouse://127.0.0.1:1", MaxRetryBackoff: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = s.Write(ctx, sampleVerdicts(time.Now())[:1])
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Write = %v, want deadline exceeded", err)
	}
}

func TestRetention(t *testing.T) {
	s := newStore(t, Config{DSN: testch.Start(t)}, nil)
	ctx := testCtx(t)
	months := []time.Time{
		time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 9, 30, 23, 59, 59, 0, time.UTC),
		time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 14, 0, 0, 0, 0, time.UTC),
	}
	for i, m := range months {
		if err := s.Write(ctx, genVerdicts(10, 2, m, i*10)); err != nil {
			t.Fatal(err)
		}
		if err := s.WriteActions(ctx, []ActionRecord{{AccountID: "acct-0", Time: m, Action: ActionComment, Actor: "t"}}); err != nil {
			t.Fatal(err)
		}
	}
	dropped, err := s.ApplyRetention(ctx, time.Date(2026, 11, 15, 8, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"actions/202401", "actions/202509", "verdicts/202401", "verdicts/202509"}
	if !slices.Equal(dropped, want) {
		t.Fatalf("dropped %v, want %v", dropped, want)
	}
	db := s.cfg.Database
	if n := count(t, s, "SELECT count() FROM "+db+".verdicts FINAL"); n != 20 {
		t.Fatalf("%d verdicts left, want 20", n)
	}
	if n := count(t, s, "SELECT count() FROM "+db+".actions"); n != 2 {
		t.Fatalf("%d actions left, want 2", n)
	}
	// Applying it again drops nothing.
	if dropped, err := s.ApplyRetention(ctx, time.Date(2026, 11, 15, 8, 0, 0, 0, time.UTC)); err != nil || len(dropped) != 0 {
		t.Fatalf("second ApplyRetention = %v, %v", dropped, err)
	}
}

func TestActionsRoundTrip(t *testing.T) {
	s := newStore(t, Config{DSN: testch.Start(t)}, nil)
	ctx := testCtx(t)
	t0 := time.Date(2026, 11, 5, 9, 30, 0, 250e6, time.UTC)
	rs := []ActionRecord{
		{AccountID: "acct-1", Time: t0, Action: ActionTicket, Actor: "sharewatch", Reason: "score 0.97 ≥ 0.9",
			TicketRef: "rt:42", EventID: "e-2", Verdict: scoring.LabelSharing, Score: 0.97},
		{AccountID: "acct-1", Time: t0.Add(time.Millisecond), Action: ActionHold, Actor: "sharewatch",
			EventID: "e-2", Verdict: scoring.LabelSharing, Score: 0.97, DryRun: true},
		{AccountID: "acct-1", Time: t0.Add(time.Hour), Action: ActionDecision, Actor: "analyst@example.com",
			Reason: "confirmed: family plan abuse", TicketRef: "rt:42", Verdict: scoring.LabelSharing},
		{AccountID: "acct-1", Time: t0.Add(2 * time.Hour), Action: ActionRelease, Actor: "analyst@example.com"},
		{AccountID: "acct-1", Time: t0.Add(3 * time.Hour), Action: ActionComment, Actor: "Zoë", Reason: "note\nwith \"quotes\""},
		{AccountID: "acct-2", Time: t0, Action: ActionComment, Actor: "x"},
	}
	if err := s.WriteActions(ctx, rs); err != nil {
		t.Fatal(err)
	}
	got, err := s.AccountActions(ctx, "acct-1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rs[:5]) {
		t.Fatalf("AccountActions\n got %+v\nwant %+v", got, rs[:5])
	}
	bad := []ActionRecord{{AccountID: "a", Time: t0, Action: "delete"}}
	if err := s.WriteActions(ctx, bad); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("WriteActions(unknown action) = %v, want ErrInvalidRecord", err)
	}
}

func TestBatchWriterWithClickHouse(t *testing.T) {
	s := newStore(t, Config{DSN: testch.Start(t)}, nil)
	w, err := NewBatchWriter(BatchWriterOptions{Sink: s, BatchSize: 1000, FlushInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	vs := genVerdicts(2500, 50, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 0)
	var cs []*Completion
	for i := 0; i < len(vs); i += 100 {
		c, err := w.Enqueue(ctx, vs[i:i+100])
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	for _, c := range cs {
		if err := c.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, s, "SELECT count() FROM "+s.cfg.Database+".verdicts FINAL"); n != 2500 {
		t.Fatalf("count() FINAL = %d, want 2500", n)
	}
	if err := w.Close(); err != nil { // closes s too
		t.Fatal(err)
	}
}

// genVerdicts makes n verdicts for accounts acct-0..acct-(accounts-1), one
// millisecond apart from base, with event ids starting at firstID.
func genVerdicts(n, accounts int, base time.Time, firstID int) []scoring.Verdict {
	vs := make([]scoring.Verdict, n)
	for i := range vs {
		id := firstID + i
		l := scoring.Label(id % 4)
		vs[i] = scoring.Verdict{
			EventID: fmt.Sprintf("ev-%08d", id), Type: "login", Time: base.Add(time.Duration(i) * time.Millisecond),
			AccountID: fmt.Sprintf("acct-%d", id%accounts), SessionID: fmt.Sprintf("s-%d", id%(accounts*3)),
			DeviceID: fmt.Sprintf("d-%d", id%(accounts*2)), IP: "198.51.100.23", Country: "DE", City: "Berlin",
			Lat: 52.52, Lon: 13.405, AccuracyKM: 20, ASN: 3320, Score: float64(id%100) / 100, Verdict: l,
			Reasons: []string{"new_device", "velocity"}, Explanation: "generated verdict for a benchmark",
			Action: "none", ModelVersion: "m-bench",
		}
	}
	return vs
}

func counterValue(t testing.TB, g prometheus.Gatherer, name, table string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := table == ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "table" && l.GetValue() == table {
					match = true
				}
			}
			if match {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("metric %s{table=%q} not found", name, table)
	return 0
}
