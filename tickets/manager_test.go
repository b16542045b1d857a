package tickets

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sharewatch/sharewatch/internal/testaudit"
	"github.com/sharewatch/sharewatch/scoring"
	"github.com/sharewatch/sharewatch/verdictstore"
)

const (
	suspected = scoring.LabelSuspectedSharing
	sharing   = scoring.LabelSharing
)

func fileQueue(t *testing.T) *FileQueue {
	t.Helper()
	q, err := NewFileQueue(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestManagerEscalation walks one account through the ticket rules.
func TestManagerEscalation(t *testing.T) {
	type step struct {
		name         string
		v            scoring.Verdict
		wantComments int
		wantPriority Priority
	}
	steps := []step{
		{"suspected opens a normal ticket", verdict("a-1", "e1", t0, suspected, "ticket", 0.6), 0, PriorityNormal},
		{"redelivery adds nothing", verdict("a-1", "e1", t0, suspected, "ticket", 0.6), 0, PriorityNormal},
		{"same level adds nothing", verdict("a-1", "e2", t0.Add(time.Hour), suspected, "ticket", 0.62), 0, PriorityNormal},
		{"suspected → sharing comments, raises to high", verdict("a-1", "e3", t0.Add(2*time.Hour), sharing, "ticket", 0.8), 1, PriorityHigh},
		{"hold the same day: urgent, but no second comment", verdict("a-1", "e4", t0.Add(3*time.Hour), sharing, "hold", 0.9), 1, PriorityUrgent},
		{"hold again the same day: nothing", verdict("a-1", "e5", t0.Add(5*time.Hour), sharing, "hold", 0.9), 1, PriorityUrgent},
		{"a day after the comment the hold gets its comment", verdict("a-1", "e6", t0.Add(26*time.Hour), sharing, "hold", 0.92), 2, PriorityUrgent},
		{"and then nothing more", verdict("a-1", "e7", t0.Add(60*time.Hour), sharing, "hold", 0.95), 2, PriorityUrgent},
	}
	q := fileQueue(t)
	audit := &testaudit.Log{}
	reg := prometheus.NewRegistry()
	m := newManager(t, q, t.TempDir(), managerOpts{audit: audit, reg: reg})
	defer m.Close()
	for _, s := range steps {
		act(t, m, s.v)
		drain(t, m)
		ts, err := q.List(false)
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != 1 {
			t.Fatalf("%s: %d tickets, want 1", s.name, len(ts))
		}
		if got := len(ts[0].Comments); got != s.wantComments {
			t.Errorf("%s: %d comments, want %d", s.name, got, s.wantComments)
		}
		if ts[0].Priority != s.wantPriority {
			t.Errorf("%s: priority %v, want %v", s.name, ts[0].Priority, s.wantPriority)
		}
	}
	if got := testutil.ToFloat64(m.m.opened); got != 1 {
		t.Errorf("opened_total = %v, want 1", got)
	}
	// sharing comment, hold priority, hold comment.
	if got := testutil.ToFloat64(m.m.updated); got != 3 {
		t.Errorf("updated_total = %v, want 3", got)
	}
	if n := len(audit.Actions(verdictstore.ActionTicket)); n != 1 {
		t.Errorf("%d ticket audit rows, want 1", n)
	}
	if n := len(audit.Actions(verdictstore.ActionComment)); n != 2 {
		t.Errorf("%d comment audit rows, want 2", n)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP sharewatch_tickets_open Tickets sharewatch knows to be open (created and not yet decided).
# TYPE sharewatch_tickets_open gauge
sharewatch_tickets_open 1
# HELP sharewatch_tickets_outbox_pending Ticket intents in the durable outbox not yet carried out on the helpdesk.
# TYPE sharewatch_tickets_outbox_pending gauge
sharewatch_tickets_outbox_pending 0
`), "sharewatch_tickets_open", "sharewatch_tickets_outbox_pending"); err != nil {
		t.Error(err)
	}
	ts, _ := q.List(false)
	body := ts[0].Body
	for _, want := range []string{"verdict suspected_sharing, score 0.60", "this session overlapped a session of another household",
		"Timeline (last 1 of 1", "Lyon (FR)", "sharewatch explain a-1 --config /etc/sharewatch/sharewatch.yml",
		"FROM sharewatch.verdicts FINAL WHERE account_id = 'a-1'"} {
		if !strings.Contains(body, want) {
			t.Errorf("ticket body lacks %q:\n%s", want, body)
		}
	}
	if c := ts[0].Comments[0].Body; !strings.Contains(c, "Escalated: suspected_sharing → sharing") || !strings.Contains(c, "Timeline (last 3 of 3") {
		t.Errorf("escalation comment:\n%s", c)
	}
}

// TestManagerHoldOpensUrgent: a first verdict with a hold opens an urgent
// ticket; a suppressed hold (brake) a high one that says so.
func TestManagerHoldOpensUrgent(t *testing.T) {
	q := fileQueue(t)
	held := map[string]bool{"h-1": true}
	m := newManager(t, q, t.TempDir(), managerOpts{holdSet: func(a string) bool { return held[a] }})
	defer m.Close()
	act(t, m, verdict("h-1", "e1", t0, sharing, "hold", 0.9), verdict("h-2", "e2", t0, suspected, "hold", 0.9))
	drain(t, m)
	ts, _ := q.List(true)
	if len(ts) != 2 {
		t.Fatalf("%d tickets, want 2", len(ts))
	}
	byAcct := map[string]FileTicket{ts[0].AccountID: ts[0], ts[1].AccountID: ts[1]}
	if p := byAcct["h-1"].Priority; p != PriorityUrgent {
		t.Errorf("held account: priority %v, want urgent", p)
	}
	if !strings.HasPrefix(byAcct["h-1"].Subject, "[HOLD]") {
		t.Errorf("held account subject %q", byAcct["h-1"].Subject)
	}
	if p := byAcct["h-2"].Priority; p != PriorityHigh {
		t.Errorf("suppressed hold: priority %v, want high", p)
	}
	if !strings.Contains(byAcct["h-2"].Body, "blast-radius brake") {
		t.Errorf("suppressed hold body does not mention the brake:\n%s", byAcct["h-2"].Body)
	}
}

// TestCaseCameUndone: when the devices an account was flagged for come
// home, its open ticket is told once (urgent when the account is held),
// again only after a new escalation, and never in a new ticket; a restart
// remembers that it was told.
func TestCaseCameUndone(t *testing.T) {
	home := func(account, event string, at time.Time) scoring.Verdict {
		v := verdict(account, event, at, scoring.LabelTravel, "none", 0.2)
		v.Reasons = []string{scoring.ReasonTravelKnownDevice, scoring.ReasonFlaggedCameHome}
		v.Explanation = "The household's own device is in Lyon (FR); 2 devices taken for another household's when the account was flagged on 2 Nov have since streamed as this household's own."
		return v
	}
	q := fileQueue(t)
	audit := &testaudit.Log{}
	dir := t.TempDir()
	held := map[string]bool{"h-1": true}
	opts := managerOpts{audit: audit, holdSet: func(a string) bool { return held[a] }}
	m := newManager(t, q, dir, opts)
	act(t, m, verdict("h-1", "e1", t0, sharing, "hold", 0.95), verdict("a-2", "e2", t0, suspected, "ticket", 0.85))
	drain(t, m)
	// An analyst lowered the held account's ticket by hand; the case
	// coming undone makes it urgent again.
	if err := q.SetPriority(context.Background(), m.TicketRef("h-1"), PriorityNormal); err != nil {
		t.Fatal(err)
	}
	act(t, m, home("h-1", "e3", t0.Add(72*time.Hour)), home("a-2", "e4", t0.Add(72*time.Hour)), home("a-3", "e5", t0.Add(72*time.Hour)),
		home("h-1", "e6", t0.Add(73*time.Hour))) // told once
	drain(t, m)
	byAcct := func() map[string]FileTicket {
		ts, err := q.List(true)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]FileTicket{}
		for _, x := range ts {
			out[x.AccountID] = x
		}
		return out
	}
	ts := byAcct()
	if len(ts) != 2 {
		t.Fatalf("%d tickets (%v), want 2: a case that came undone opens none", len(ts), slices.Collect(maps.Keys(ts)))
	}
	if c := ts["h-1"].Comments; len(c) != 1 || !strings.Contains(c[0].Body, "may have come undone") || !strings.Contains(c[0].Body, "held on the earlier evidence") {
		t.Errorf("held account: comments %+v, want one saying the case came undone and the account is held", c)
	}
	if p := ts["h-1"].Priority; p != PriorityUrgent {
		t.Errorf("held account: priority %v, want urgent", p)
	}
	if c := ts["a-2"].Comments; len(c) != 1 || !strings.Contains(c[0].Body, "The account is not held") || !strings.Contains(c[0].Body, "flagged_came_home") {
		t.Errorf("unheld account: comments %+v, want one saying the account is not held", c)
	}
	if p := ts["a-2"].Priority; p != PriorityNormal {
		t.Errorf("unheld account: priority %v, want normal (unchanged)", p)
	}
	rows := audit.Actions(verdictstore.ActionComment)
	if len(rows) != 2 || !strings.HasPrefix(rows[0].Reason, "flag came undone: ") {
		t.Errorf("audit comment rows %+v, want 2 saying the flag came undone", rows)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	// After a restart: told already, so nothing; escalated since, so told
	// again.
	m = newManager(t, q, dir, opts)
	defer m.Close()
	act(t, m, home("h-1", "e7", t0.Add(96*time.Hour)),
		verdict("a-2", "e8", t0.Add(120*time.Hour), sharing, "ticket", 0.9),
		home("a-2", "e9", t0.Add(150*time.Hour)))
	drain(t, m)
	ts = byAcct()
	if n := len(ts["h-1"].Comments); n != 1 {
		t.Errorf("held account after a restart: %d comments, want 1", n)
	}
	if c := ts["a-2"].Comments; len(c) != 3 || !strings.Contains(c[1].Body, "Escalated") || !strings.Contains(c[2].Body, "may have come undone") {
		t.Errorf("escalated, then undone again: %d comments, want escalation then a second undone comment", len(c))
	}
}

// TestOutboxCrashBeforeSend: the intent is durable, the process dies before
// sending; a new Manager sends it exactly once.
func TestOutboxCrashBeforeSend(t *testing.T) {
	q := fileQueue(t)
	dir := t.TempDir()
	m := newManager(t, q, dir, managerOpts{})
	act(t, m, verdict("c-1", "e1", t0, sharing, "ticket", 0.8), verdict("c-2", "e2", t0, suspected, "ticket", 0.6))
	if err := m.Close(); err != nil { // "crash": nothing was sent
		t.Fatal(err)
	}
	if ts, _ := q.List(false); len(ts) != 0 {
		t.Fatalf("tickets before the restart: %d", len(ts))
	}
	m = newManager(t, q, dir, managerOpts{})
	defer m.Close()
	if m.Pending() != 2 {
		t.Fatalf("pending after restart = %d, want 2", m.Pending())
	}
	drain(t, m)
	// A redelivery of the same events after the restart adds nothing.
	act(t, m, verdict("c-1", "e1", t0, sharing, "ticket", 0.8), verdict("c-2", "e2", t0, suspected, "ticket", 0.6))
	if m.Pending() != 0 {
		t.Fatalf("redelivered verdicts made %d intents", m.Pending())
	}
	if ts, _ := q.List(false); len(ts) != 2 {
		t.Fatalf("%d tickets, want 2", len(ts))
	}
}

// TestOutboxLostAckNoDuplicate: Create succeeded but its answer was lost
// and the process restarted; FindOpen-before-Create adopts the ticket.
func TestOutboxLostAckNoDuplicate(t *testing.T) {
	q := fileQueue(t)
	f := &flaky{Helpdesk: q, loseCreates: 1}
	dir := t.TempDir()
	audit := &testaudit.Log{}
	m := newManager(t, f, dir, managerOpts{audit: audit})
	act(t, m, verdict("l-1", "e1", t0, sharing, "ticket", 0.8))
	// Run until the lost create has happened, then "crash".
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	for f.n("CreateDone") == 0 { // the create has reached the helpdesk
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	m.Close()

	m = newManager(t, f, dir, managerOpts{audit: audit})
	defer m.Close()
	drain(t, m)
	ts, _ := q.List(false)
	if len(ts) != 1 {
		t.Fatalf("%d tickets after a lost acknowledgement and restart, want 1", len(ts))
	}
	if f.n("Create") != 1 {
		t.Errorf("Create called %d times, want 1", f.n("Create"))
	}
	if m.TicketRef("l-1") != ts[0].Ref {
		t.Errorf("TicketRef = %q, want %q", m.TicketRef("l-1"), ts[0].Ref)
	}
	if rows := audit.Actions(verdictstore.ActionTicket); len(rows) != 1 || !strings.Contains(rows[0].Reason, "found") {
		t.Errorf("audit rows %+v, want one adoption row", rows)
	}
}

// TestSenderRetriesHelpdeskAndAuditFailures: nothing is lost, nothing is
// repeated, and errors are counted by kind.
func TestSenderRetriesHelpdeskAndAuditFailures(t *testing.T) {
	q := fileQueue(t)
	f := &flaky{Helpdesk: q, failNext: 3}
	audit := testaudit.Failing(2)
	m := newManager(t, f, t.TempDir(), managerOpts{audit: audit})
	defer m.Close()
	act(t, m, verdict("r-1", "e1", t0, suspected, "ticket", 0.6))
	drain(t, m)
	act(t, m, verdict("r-1", "e2", t0.Add(time.Hour), sharing, "hold", 0.9))
	drain(t, m)
	ts, _ := q.List(false)
	if len(ts) != 1 || len(ts[0].Comments) != 1 || ts[0].Priority != PriorityUrgent {
		t.Fatalf("tickets %+v, want one urgent ticket with one comment", ts)
	}
	if got := testutil.ToFloat64(m.m.errors[kindServer]); got != 3 {
		t.Errorf("server errors = %v, want 3", got)
	}
	if f.n("Comment") != 1 {
		t.Errorf("Comment called %d times, want 1 (audit retries must not repeat it)", f.n("Comment"))
	}
}

// TestOutboxBackpressure: Act blocks at the limit and resumes when the
// sender makes room.
func TestOutboxBackpressure(t *testing.T) {
	q := fileQueue(t)
	m := newManager(t, q, t.TempDir(), managerOpts{limit: 2})
	defer m.Close()
	act(t, m, verdict("b-1", "e1", t0, sharing, "ticket", 0.8), verdict("b-2", "e2", t0, sharing, "ticket", 0.8))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	err := m.Act(ctx, []scoring.Verdict{verdict("b-3", "e3", t0, sharing, "ticket", 0.8)})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Act on a full outbox = %v, want it to block until the deadline", err)
	}
	drain(t, m)
	act(t, m, verdict("b-3", "e3", t0, sharing, "ticket", 0.8))
	drain(t, m)
	if ts, _ := q.List(false); len(ts) != 3 {
		t.Fatalf("%d tickets, want 3", len(ts))
	}
}

// TestOutboxJournalRecovery: a torn last line is dropped; a corrupt line in
// the middle stops the start; compaction keeps only live records.
func TestOutboxJournalRecovery(t *testing.T) {
	q := fileQueue(t)
	dir := t.TempDir()
	m := newManager(t, q, dir, managerOpts{})
	for i := range 30 {
		act(t, m, verdict("j-"+string(rune('a'+i%26))+"x", "e", t0, sharing, "ticket", 0.8))
	}
	drain(t, m)
	act(t, m, verdict("j-pending", "e", t0, sharing, "ticket", 0.8))
	m.Close()
	path := filepath.Join(dir, journalName)
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"op":"intent","intent":{"seq":99,"kind":"op`) // torn
	f.Close()

	m = newManager(t, q, dir, managerOpts{})
	if m.Pending() != 1 {
		t.Fatalf("pending = %d after a torn tail, want 1", m.Pending())
	}
	m.Close()
	b, _ := os.ReadFile(path)
	lines := strings.Count(string(b), "\n")
	// 26 accounts' states + j-pending's state + its intent.
	if lines != 28 {
		t.Errorf("compacted journal has %d lines, want 28:\n%s", lines, b)
	}

	bad := strings.Replace(string(b), `{"op":"state"`, `{"op":"sta`, 1)
	os.WriteFile(path, []byte(bad), 0o644)
	_, err := NewManager(ManagerOptions{Helpdesk: q, Config: Config{OutboxDir: dir}})
	if err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("NewManager on a corrupt journal = %v, want a corrupt-line error", err)
	}
}

func TestOutboxLockedByAnotherManager(t *testing.T) {
	q := fileQueue(t)
	dir := t.TempDir()
	m := newManager(t, q, dir, managerOpts{})
	defer m.Close()
	_, err := NewManager(ManagerOptions{Helpdesk: q, Config: Config{OutboxDir: dir}})
	if !errors.Is(err, ErrOutboxLocked) {
		t.Fatalf("second Manager on one outbox: %v, want ErrOutboxLocked", err)
	}
}

// TestDecisionsFromFileQueue: a not_sharing decision reaches the handler
// once, is audited with its reason, closes the ticket state, and a later
// verdict opens a new ticket.
func TestDecisionsFromFileQueue(t *testing.T) {
	q := fileQueue(t)
	audit := &testaudit.Log{}
	reg := prometheus.NewRegistry()
	m := newManager(t, q, t.TempDir(), managerOpts{audit: audit, reg: reg})
	defer m.Close()
	act(t, m, verdict("d-1", "e1", t0, sharing, "hold", 0.9))
	drain(t, m)
	ref := m.TicketRef("d-1")
	if ref == "" {
		t.Fatal("no ticket ref")
	}
	if err := q.Resolve(ref, "maybe", "x", "ann"); !errors.Is(err, ErrBadOutcome) {
		t.Fatalf("Resolve with a bad outcome: %v", err)
	}
	if err := q.Resolve(ref, OutcomeNotSharing, "", "ann"); !errors.Is(err, ErrNoReason) {
		t.Fatalf("Resolve without a reason: %v", err)
	}
	if err := q.Resolve(ref, OutcomeNotSharing, "Student child at university in Lyon.", "ann"); err != nil {
		t.Fatal(err)
	}
	var got []Decision
	handler := func(d Decision) error { got = append(got, d); return nil }
	ctx := context.Background()
	failing := func(Decision) error { return errors.New("release failed") }
	if err := m.PollOnce(ctx, failing); err == nil {
		t.Fatal("PollOnce with a failing handler returned nil")
	}
	for range 2 {
		if err := m.PollOnce(ctx, handler); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 1 || got[0].Outcome != OutcomeNotSharing || got[0].Reason != "Student child at university in Lyon." || got[0].Analyst != "ann" {
		t.Fatalf("decisions %+v, want one not_sharing with its reason", got)
	}
	rows := audit.Actions(verdictstore.ActionDecision)
	if len(rows) != 1 || rows[0].Actor != "ann" || !strings.Contains(rows[0].Reason, "not_sharing: Student child") || rows[0].TicketRef != ref {
		t.Fatalf("decision audit rows %+v", rows)
	}
	if m.TicketRef("d-1") != "" {
		t.Fatal("ticket still on record after its decision")
	}
	if n := testutil.CollectAndCount(reg, "sharewatch_tickets_open_age_seconds"); n != 1 {
		t.Fatalf("open age histogram series = %d", n)
	}
	act(t, m, verdict("d-1", "e9", t0.Add(48*time.Hour), sharing, "ticket", 0.9))
	drain(t, m)
	if ts, _ := q.List(true); len(ts) != 1 || ts[0].Ref == ref {
		t.Fatalf("open tickets after decision and new evidence: %+v", ts)
	}
}

func TestPollDecisionsStopsWithContext(t *testing.T) {
	q := fileQueue(t)
	m := newManager(t, q, t.TempDir(), managerOpts{})
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := m.PollDecisions(ctx, 10*time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
}

// TestPopulationOneTicketPerAccount: over a simulated population of
// flagged accounts, each gets exactly one ticket, at most two escalation
// comments, urgent priority iff it was ever held; replaying every event
// (a redelivery after a restart) changes nothing.
func TestPopulationOneTicketPerAccount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type acct struct {
		id   string
		held bool
	}
	var accounts []acct
	var events []scoring.Verdict
	for i := range 300 {
		a := acct{id: fmt.Sprintf("p-%03d", i)}
		at := t0.Add(time.Duration(rng.IntN(3600)) * time.Second)
		for j := range 1 + rng.IntN(12) {
			l, action := suspected, "ticket"
			if rng.IntN(3) == 0 {
				l = sharing
			}
			if l == sharing && rng.IntN(3) == 0 {
				action, a.held = "hold", true
			}
			events = append(events, verdict(a.id, fmt.Sprintf("%s-e%d", a.id, j), at, l, action, 0.5+rng.Float64()/2))
			at = at.Add(time.Duration(1+rng.IntN(20)) * time.Hour)
		}
		accounts = append(accounts, a)
	}
	slices.SortStableFunc(events, func(x, y scoring.Verdict) int { return x.Time.Compare(y.Time) })

	hd := &memHelpdesk{}
	dir := t.TempDir()
	m := newManager(t, hd, dir, managerOpts{})
	for i := 0; i < len(events); i += 100 {
		act(t, m, events[i:min(i+100, len(events))]...)
	}
	drain(t, m)
	check := func(when string) {
		t.Helper()
		byAcct := map[string][]*memTicket{}
		for _, tk := range hd.tickets {
			byAcct[tk.AccountID] = append(byAcct[tk.AccountID], tk)
		}
		for _, a := range accounts {
			ts := byAcct[a.id]
			if len(ts) != 1 {
				t.Fatalf("%s: %s has %d tickets, want 1", when, a.id, len(ts))
			}
			if (ts[0].Priority == PriorityUrgent) != a.held {
				t.Errorf("%s: %s priority %v, held %v", when, a.id, ts[0].Priority, a.held)
			}
			if n := hd.comments[ts[0].Ref]; n > 2 {
				t.Errorf("%s: %s has %d comments, want at most 2", when, a.id, n)
			}
		}
	}
	check("first pass")
	comments := maps.Clone(hd.comments)
	m.Close()
	m = newManager(t, hd, dir, managerOpts{})
	defer m.Close()
	for i := 0; i < len(events); i += 100 {
		act(t, m, events[i:min(i+100, len(events))]...)
	}
	if m.Pending() != 0 {
		t.Fatalf("replay made %d intents", m.Pending())
	}
	check("replay")
	if !maps.Equal(comments, hd.comments) {
		t.Fatal("replay added comments")
	}
}
