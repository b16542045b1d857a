package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/pipeline"
)

// scoreRun is the output of one ScoreStream run.
type scoreRun struct {
	out, accounts, errs bytes.Buffer
	stats               pipeline.BatchStats
}

// scoreStream runs ScoreStream over in with fresh stages, as `sharewatch
// score` does.
func scoreStream(t *testing.T, p *population, in []byte, batchSize int) *scoreRun {
	t.Helper()
	return scoreStreamSkew(t, p, in, batchSize, time.Hour)
}

// readAt is when the tests' score runs read their input: after every
// simulated event, as a backfill would be.
var readAt = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// scoreStreamSkew is scoreStream with BatchOptions.MaxClockSkew set to
// skew (0: no check), at readAt.
func scoreStreamSkew(t *testing.T, p *population, in []byte, batchSize int, skew time.Duration) *scoreRun {
	t.Helper()
	st := batchStages(t, p)
	r := &scoreRun{}
	stats, err := pipeline.ScoreStream(context.Background(), st.Processor, pipeline.BatchOptions{
		In: bytes.NewReader(in), Out: &r.out, Errs: &r.errs, Accounts: &r.accounts, BatchSize: batchSize,
		MaxClockSkew: skew, Now: func() time.Time { return readAt },
	})
	if err != nil {
		t.Fatal(err)
	}
	r.stats = stats
	return r
}

// eventIDs returns the event_id of every verdict line, in order.
func eventIDs(t *testing.T, out []byte) []string {
	t.Helper()
	var ids []string
	for i, line := range bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var v struct {
			EventID string `json:"event_id"`
		}
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatalf("verdict line %d: %v: %s", i+1, err, line)
		}
		ids = append(ids, v.EventID)
	}
	return ids
}

func (p *population) ids() []string {
	ids := make([]string, len(p.events))
	for i, ev := range p.events {
		ids[i] = ev.EventID
	}
	return ids
}

// TestScoreStreamDeterministic: the same input gives byte-identical
// verdicts, summaries and error reports, whatever the batch size.
func TestScoreStreamDeterministic(t *testing.T) {
	p := newPopulation(t, 40, 10, 5)
	// Noise that must not disturb determinism: a bad line, a blank line and
	// a repeat of an earlier event.
	lines := slices.Clone(p.lines)
	lines = slices.Insert(lines, 100, []byte(`{"event_id":"x","type":"login"}`), []byte(""), p.lines[3])
	in := jsonl(lines)

	ref := scoreStream(t, p, in, 0)
	if ref.stats.Verdicts != len(p.events) || ref.stats.Bad != 1 || ref.stats.Duplicates != 1 {
		t.Fatalf("reference run stats %+v, want %d verdicts, 1 bad line, 1 duplicate", ref.stats, len(p.events))
	}
	for _, tc := range []struct {
		name      string
		batchSize int
	}{
		{"same run again", 0},
		{"one event per batch", 1},
		{"odd batch size", 97},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scoreStream(t, p, in, tc.batchSize)
			if !bytes.Equal(got.out.Bytes(), ref.out.Bytes()) {
				t.Errorf("verdicts differ from the reference run (%d vs %d bytes)", got.out.Len(), ref.out.Len())
			}
			if !bytes.Equal(got.accounts.Bytes(), ref.accounts.Bytes()) {
				t.Errorf("account summaries differ from the reference run")
			}
			if got.errs.String() != ref.errs.String() {
				t.Errorf("errors %q, reference %q", got.errs.String(), ref.errs.String())
			}
			if got.stats != ref.stats {
				t.Errorf("stats %+v, reference %+v", got.stats, ref.stats)
			}
		})
	}
}

// TestScoreStreamOneVerdictPerDistinctEvent: a repeated event_id yields no
// second verdict, however far apart the repeats are; verdicts come in input
// order.
func TestScoreStreamOneVerdictPerDistinctEvent(t *testing.T) {
	p := newPopulation(t, 20, 5, 9)
	n := len(p.lines)
	reencoded := func(i int) []byte { // same event, different bytes
		return append([]byte("  "), bytes.ReplaceAll(p.lines[i], []byte(`","`), []byte(`", "`))...)
	}
	tests := []struct {
		name    string
		lines   [][]byte
		repeats int
	}{
		{"no repeats", p.lines, 0},
		{"adjacent repeat", slices.Insert(slices.Clone(p.lines), 11, p.lines[10]), 1},
		{"first event repeated", slices.Insert(slices.Clone(p.lines), 1, p.lines[0]), 1},
		{"far-apart repeats", append(slices.Clone(p.lines), p.lines[0], p.lines[n/2], p.lines[n-1]), 3},
		{"whole stream twice", append(slices.Clone(p.lines), p.lines...), n},
		{"repeat with different bytes", append(slices.Clone(p.lines), reencoded(5), reencoded(n-2)), 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := scoreStream(t, p, jsonl(tc.lines), 0)
			if got := eventIDs(t, r.out.Bytes()); !slices.Equal(got, p.ids()) {
				t.Errorf("%d verdicts, want one per distinct event (%d) in input order", len(got), n)
			}
			want := pipeline.BatchStats{Lines: len(tc.lines), Events: n, Duplicates: tc.repeats, Verdicts: n}
			if r.stats != want {
				t.Errorf("stats %+v, want %+v", r.stats, want)
			}
			if r.errs.Len() > 0 {
				t.Errorf("unexpected errors: %s", r.errs.String())
			}
		})
	}
}

// TestScoreStreamBadLines: every bad line is reported as "line N: reason"
// with its physical line number (blank lines count), and the run goes on.
func TestScoreStreamBadLines(t *testing.T) {
	p := newPopulation(t, 20, 3, 4)
	huge := fmt.Sprintf(`{"event_id":"huge","type":"login","time":"2026-10-01T18:00:00Z","account_id":"acc-00001","device_id":"d","ip":"81.2.69.1","user_agent":%q}`,
		strings.Repeat("x", 3<<19)) // 1.5 MiB: longer than the reader's buffer and than MaxEventBytes
	bad := []struct {
		name, line, want string
	}{
		{"truncated JSON", `{"event_id":"b1","type":"login",`, `invalid event: malformed_json`},
		{"missing account_id", `{"event_id":"b2","type":"login","time":"2026-10-01T18:00:00Z","device_id":"d","ip":"81.2.69.1"}`, `invalid event: field "account_id": missing`},
		{"bad ip", `{"event_id":"b3","type":"login","time":"2026-10-01T18:00:00Z","account_id":"a","device_id":"d","ip":"999.1.1.1"}`, `invalid event: field "ip": malformed: "999.1.1.1" is not an IP address`},
		{"bad time", `{"event_id":"b4","type":"login","time":"yesterday","account_id":"a","device_id":"d","ip":"81.2.69.1"}`, `invalid event: field "time": malformed`},
		{"unknown type", `{"event_id":"b5","type":"logon","time":"2026-10-01T18:00:00Z","account_id":"a","device_id":"d","ip":"81.2.69.1"}`, `invalid event: field "type": unknown_value`},
		{"wrong JSON type", `{"event_id":7,"type":"login"}`, `invalid event: field "event_id": wrong_type`},
		{"not UTF-8", "{\"event_id\":\"b6\xff\"}", `invalid event: not_utf8`},
		{"not an object", `"login"`, `invalid event: not_json_object`},
		{"too large", huge, `invalid event: too_large`},
		{"clock skew", `{"event_id":"b7","type":"login","time":"2099-01-01T00:00:00Z","account_id":"a","device_id":"d","ip":"81.2.69.1","success":true}`, `invalid event: field "time": clock_skew: 2099-01-01T00:00:00Z is `},
	}
	// Good events with a bad line after every fifth, and a blank line and a
	// CRLF line in between, so that line numbers must count every line.
	var lines [][]byte
	var wantErrs []string
	good := 0
	for i, l := range p.lines {
		switch i {
		case 2:
			l = append(slices.Clone(l), '\r') // a CRLF line
		case 3:
			lines = append(lines, []byte("")) // a blank line
		}
		lines = append(lines, l)
		good++
		if k := i/5 - 1; i%5 == 0 && k >= 0 && k < len(bad) {
			lines = append(lines, []byte(bad[k].line))
			wantErrs = append(wantErrs, fmt.Sprintf("line %d: %s", len(lines), bad[k].want))
		}
	}
	if len(wantErrs) != len(bad) {
		t.Fatalf("population too small: placed %d of %d bad lines", len(wantErrs), len(bad))
	}
	// The last line, bad and without a newline, is still read.
	in := append(jsonl(lines), bad[0].line...)
	wantErrs = append(wantErrs, fmt.Sprintf("line %d: %s", len(lines)+1, bad[0].want))

	r := scoreStream(t, p, in, 0)
	gotErrs := strings.Split(strings.TrimSuffix(r.errs.String(), "\n"), "\n")
	if len(gotErrs) != len(wantErrs) {
		t.Fatalf("%d error lines, want %d:\n%s", len(gotErrs), len(wantErrs), r.errs.String())
	}
	for i, w := range wantErrs {
		name := "last line without newline"
		if i < len(bad) {
			name = bad[i].name
		}
		t.Run(name, func(t *testing.T) {
			if !strings.HasPrefix(gotErrs[i], w) {
				t.Errorf("error line %q, want prefix %q", gotErrs[i], w)
			}
		})
	}
	if got := eventIDs(t, r.out.Bytes()); !slices.Equal(got, p.ids()) {
		t.Errorf("%d verdicts, want %d: the run must go on past bad lines", len(got), good)
	}
	want := pipeline.BatchStats{Lines: len(lines) + 1, Events: good, Bad: len(bad) + 1, Verdicts: good}
	if r.stats != want {
		t.Errorf("stats %+v, want %+v", r.stats, want)
	}
}

// TestScoreStreamEventFromTheFuture: one well-formed event stamped decades
// ahead, in the middle of a month of events, must not move the scorer's
// clock: the run's verdicts and account summaries are byte-identical to
// the run without it. Without the check (MaxClockSkew 0) the event is
// scored, every account then looks idle for 70 years and is evicted, and
// the accounts' summaries lose the weeks before it.
func TestScoreStreamEventFromTheFuture(t *testing.T) {
	p := newPopulation(t, 30, 10, 6)
	future := []byte(`{"event_id":"from-2099","type":"login","time":"2099-01-01T00:00:00Z","account_id":"acc-future","device_id":"d","ip":"81.2.69.1","success":true}`)
	mid := len(p.lines) / 2
	with := slices.Concat(p.lines[:mid], [][]byte{future}, p.lines[mid:])

	clean := scoreStreamSkew(t, p, jsonl(p.lines), 0, time.Hour)
	checked := scoreStreamSkew(t, p, jsonl(with), 0, time.Hour)
	if !bytes.Equal(checked.out.Bytes(), clean.out.Bytes()) || !bytes.Equal(checked.accounts.Bytes(), clean.accounts.Bytes()) {
		t.Errorf("with the event from 2099 rejected, verdicts or summaries differ from the run without it")
	}
	if want := fmt.Sprintf("line %d: invalid event: field \"time\": clock_skew", mid+1); !strings.HasPrefix(checked.errs.String(), want) {
		t.Errorf("errors %q, want a line starting %q", checked.errs.String(), want)
	}
	if checked.stats.Bad != 1 || checked.stats.Events != len(p.lines) {
		t.Errorf("stats %+v, want 1 bad line and %d events", checked.stats, len(p.lines))
	}

	// Without the check: accounts that streamed after the event start
	// over, their summaries counting only the events since.
	events := func(r *scoreRun) map[string]int {
		m := map[string]int{}
		for _, line := range bytes.Split(bytes.TrimSpace(r.accounts.Bytes()), []byte("\n")) {
			var a struct {
				AccountID string `json:"account_id"`
				Events    int    `json:"events"`
			}
			if err := json.Unmarshal(line, &a); err != nil {
				t.Fatal(err)
			}
			m[a.AccountID] = a.Events
		}
		return m
	}
	want, got := events(clean), events(scoreStreamSkew(t, p, jsonl(with), 0, 0))
	lost := 0
	for id, n := range want {
		if got[id] < n {
			lost++
		}
	}
	if lost == 0 {
		t.Errorf("without the check no account lost history: this test no longer shows what the check prevents")
	}
}

// brokenWriter accepts n bytes, then fails every write.
type brokenWriter struct{ n int }

func (w *brokenWriter) Write(b []byte) (int, error) {
	if w.n < len(b) {
		return 0, errors.New("disk full")
	}
	w.n -= len(b)
	return len(b), nil
}

// TestScoreStreamOutputFails: a verdict output that fails ends the run with
// its error, whatever the reading goroutine is doing (TestMain checks that
// it does not outlive the run).
func TestScoreStreamOutputFails(t *testing.T) {
	p := newPopulation(t, 100, 5, 8)
	st := batchStages(t, p)
	stats, err := pipeline.ScoreStream(context.Background(), st.Processor, pipeline.BatchOptions{
		In: bytes.NewReader(jsonl(p.lines)), Out: &brokenWriter{n: 4096}, BatchSize: 16,
	})
	if err == nil || !strings.Contains(err.Error(), "writing verdicts: disk full") {
		t.Fatalf("ScoreStream = %v, want the output's error", err)
	}
	// The output's buffer (1 MiB) filled and failed mid-stream.
	if stats.Verdicts >= len(p.lines) {
		t.Errorf("%d verdicts of %d events: the failure came only at the end", stats.Verdicts, len(p.lines))
	}
}

// TestScoreStreamBlankLines: blank lines (LF or CRLF) anywhere are ignored:
// the output is byte-identical to the run without them.
func TestScoreStreamBlankLines(t *testing.T) {
	p := newPopulation(t, 20, 3, 6)
	ref := scoreStream(t, p, jsonl(p.lines), 0)
	crlf := func(lines [][]byte) []byte {
		var b bytes.Buffer
		for _, l := range lines {
			b.Write(l)
			b.WriteString("\r\n")
		}
		return b.Bytes()
	}
	tests := []struct {
		name  string
		in    []byte
		blank int
	}{
		{"leading blank lines", append([]byte("\n\n"), jsonl(p.lines)...), 2},
		{"blank lines in between", jsonl(slices.Insert(slices.Clone(p.lines), 7, []byte(""), []byte(""), []byte(""))), 3},
		{"trailing blank lines", append(jsonl(p.lines), "\n\n"...), 2},
		{"CRLF line endings", crlf(p.lines), 0},
		{"CRLF blank lines", crlf(slices.Insert(slices.Clone(p.lines), 4, []byte(""))), 1},
		{"no final newline", bytes.TrimSuffix(jsonl(p.lines), []byte("\n")), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := scoreStream(t, p, tc.in, 0)
			if r.errs.Len() > 0 {
				t.Errorf("blank lines reported as errors: %s", r.errs.String())
			}
			if !bytes.Equal(r.out.Bytes(), ref.out.Bytes()) || !bytes.Equal(r.accounts.Bytes(), ref.accounts.Bytes()) {
				t.Errorf("output differs from the run without blank lines")
			}
			if r.stats.Lines != len(p.lines)+tc.blank || r.stats.Bad != 0 || r.stats.Verdicts != len(p.lines) {
				t.Errorf("stats %+v, want %d lines, 0 bad, %d verdicts", r.stats, len(p.lines)+tc.blank, len(p.lines))
			}
		})
	}
}

// summaryLine is an account summary as written by ScoreStream.
type summaryLine struct {
	AccountID    string          `json:"account_id"`
	Verdict      string          `json:"verdict"`
	Score        float64         `json:"score"`
	FirstFlagged json.RawMessage `json:"first_flagged"`
	LastSeen     time.Time       `json:"last_seen"`
	Events       int             `json:"events"`
}

var severity = map[string]int{"ok": 0, "travel": 1, "suspected_sharing": 2, "sharing": 3}

// TestScoreStreamSummaries: one summary per account, sorted by account id;
// first_flagged is null exactly for accounts never flagged, else the time
// of their first suspected_sharing-or-worse verdict; verdict is the most
// severe the account reached.
func TestScoreStreamSummaries(t *testing.T) {
	p := newPopulation(t, 40, 10, 5)
	r := scoreStream(t, p, jsonl(p.lines), 0)

	type acct struct {
		events   int
		worst    string
		flagged  time.Time
		lastSeen time.Time
	}
	want := map[string]*acct{}
	for _, line := range bytes.Split(bytes.TrimSpace(r.out.Bytes()), []byte("\n")) {
		var v struct {
			AccountID string    `json:"account_id"`
			Time      time.Time `json:"time"`
			Verdict   string    `json:"verdict"`
		}
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatal(err)
		}
		a := want[v.AccountID]
		if a == nil {
			a = &acct{worst: "ok"}
			want[v.AccountID] = a
		}
		a.events++
		if severity[v.Verdict] > severity[a.worst] {
			a.worst = v.Verdict
		}
		if severity[v.Verdict] >= severity["suspected_sharing"] && a.flagged.IsZero() {
			a.flagged = v.Time
		}
		if v.Time.After(a.lastSeen) {
			a.lastSeen = v.Time
		}
	}

	var sums []summaryLine
	for i, line := range bytes.Split(bytes.TrimSpace(r.accounts.Bytes()), []byte("\n")) {
		var s summaryLine
		if err := json.Unmarshal(line, &s); err != nil {
			t.Fatalf("summary %d: %v", i+1, err)
		}
		if s.FirstFlagged == nil {
			t.Errorf("summary %s: first_flagged missing; it must be present, null when never flagged", s.AccountID)
		}
		sums = append(sums, s)
	}
	if len(sums) != len(want) {
		t.Fatalf("%d summaries for %d accounts", len(sums), len(want))
	}
	if !slices.IsSortedFunc(sums, func(a, b summaryLine) int { return strings.Compare(a.AccountID, b.AccountID) }) {
		t.Errorf("summaries not sorted by account_id")
	}
	var flagged, clean int
	for _, s := range sums {
		w := want[s.AccountID]
		if w == nil {
			t.Errorf("summary for %s, which has no verdicts", s.AccountID)
			continue
		}
		if !s.LastSeen.Equal(w.lastSeen.Truncate(time.Second)) {
			t.Errorf("%s: last_seen %s, its last verdict %s", s.AccountID, s.LastSeen.Format(time.RFC3339), w.lastSeen.Format(time.RFC3339))
		}
		if s.Verdict != w.worst {
			t.Errorf("%s: verdict %s, want the most severe reached, %s", s.AccountID, s.Verdict, w.worst)
		}
		switch {
		case w.flagged.IsZero():
			clean++
			if string(s.FirstFlagged) != "null" {
				t.Errorf("%s: never flagged, first_flagged %s, want null", s.AccountID, s.FirstFlagged)
			}
		default:
			flagged++
			var ff time.Time
			if err := json.Unmarshal(s.FirstFlagged, &ff); err != nil || !ff.Equal(w.flagged.Truncate(time.Second)) {
				t.Errorf("%s: first_flagged %s, want %s (its first flagged verdict)", s.AccountID, s.FirstFlagged, w.flagged.Truncate(time.Second).Format(time.RFC3339))
			}
		}
	}
	if flagged == 0 || clean == 0 {
		t.Fatalf("population has %d flagged and %d clean accounts; the test needs both", flagged, clean)
	}
	t.Run("account with a single event", func(t *testing.T) {
		r := scoreStream(t, p, jsonl(p.lines[:1]), 0)
		var s summaryLine
		if err := json.Unmarshal(r.accounts.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		ev := p.events[0]
		if s.AccountID != ev.AccountID || s.Events != 1 || !s.LastSeen.Equal(ev.Time.Truncate(time.Second)) {
			t.Errorf("summary %s, want account %s with 1 event last seen %s", r.accounts.Bytes(), ev.AccountID, ev.Time.Truncate(time.Second).Format(time.RFC3339))
		}
	})
	t.Run("events counts every event", func(t *testing.T) {
		for _, s := range sums {
			if w := want[s.AccountID]; w != nil && s.Events != w.events {
				t.Errorf("%s: events %d, but it has %d verdicts", s.AccountID, s.Events, w.events)
			}
		}
	})
}

// TestScoreStreamActFrom: a backfill scores and writes every event the same
// way, but the events before ActFrom open no ticket and place no hold; the
// ones after get the actions an uninterrupted run gives them.
func TestScoreStreamActFrom(t *testing.T) {
	p := newPopulation(t, 40, 10, 5)
	in := jsonl(p.lines)
	ref := scoreStream(t, p, in, 0)
	actFrom := time.Date(2026, 10, 6, 0, 0, 0, 0, time.UTC) // day 5 of 10

	st, err := pipeline.BuildStages(context.Background(), p.scoringConfig(), pipeline.StageOptions{Options: pipeline.Options{ActFrom: actFrom}, KeepSummaries: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out, errs bytes.Buffer
	if _, err := pipeline.ScoreStream(context.Background(), st.Processor, pipeline.BatchOptions{In: bytes.NewReader(in), Out: &out, Errs: &errs}); err != nil {
		t.Fatal(err)
	}
	type verdict struct {
		EventID string    `json:"event_id"`
		Time    time.Time `json:"time"`
		Score   float64   `json:"score"`
		Verdict string    `json:"verdict"`
		Action  string    `json:"action"`
	}
	parse := func(b []byte) []verdict {
		var vs []verdict
		for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			var v verdict
			if err := json.Unmarshal(line, &v); err != nil {
				t.Fatal(err)
			}
			vs = append(vs, v)
		}
		return vs
	}
	want, got := parse(ref.out.Bytes()), parse(out.Bytes())
	if len(got) != len(want) {
		t.Fatalf("%d verdicts with a backfill, %d without", len(got), len(want))
	}
	var before, after int
	for i, v := range got {
		w := want[i]
		if v.EventID != w.EventID || v.Score != w.Score || v.Verdict != w.Verdict {
			t.Fatalf("verdict %d differs: %+v, want %+v", i, v, w)
		}
		switch {
		case v.Time.Before(actFrom):
			if w.Action != "none" {
				before++
			}
			if v.Action != "none" {
				t.Errorf("event %s at %s, before the backfill's end: action %q, want none", v.EventID, v.Time, v.Action)
			}
		case v.Action != w.Action:
			t.Errorf("event %s at %s, after the backfill: action %q, want %q as without one", v.EventID, v.Time, v.Action, w.Action)
		case v.Action != "none":
			after++
		}
	}
	if before == 0 || after == 0 {
		t.Fatalf("the population has %d actions before and %d after the backfill's end; the test needs both", before, after)
	}
}
