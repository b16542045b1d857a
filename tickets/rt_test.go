package tickets

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/internal/testaudit"
	"github.com/sharewatch/sharewatch/internal/testrt"
)

// rtFor returns an adapter for the test binary's shared RT.
func rtFor(t *testing.T, s *testrt.Server, o RTOptions) *RT {
	t.Helper()
	o.URL = s.URL()
	if o.Token == "" {
		o.User, o.Password = testrt.User, testrt.Password
	}
	r, err := NewRT(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// rtAll returns the ids of every ticket (any status) of an account.
func rtAll(t *testing.T, r *RT, account string) []string {
	t.Helper()
	ts, err := r.search(context.Background(), fmt.Sprintf("CF.{%s} = %s", RTFieldAccount, rtQuote(account)), "Status", "id")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tk := range ts {
		ids = append(ids, tk.ID)
	}
	return ids
}

// rtComments counts a ticket's comment transactions.
func rtComments(t *testing.T, r *RT, ref string) int {
	t.Helper()
	id, _ := splitRef("rt", ref)
	// Items carry both "type" (always "transaction") and "Type";
	// encoding/json would match either to a Type field, so use a map.
	var page struct {
		Items []map[string]any `json:"items"`
	}
	q := url.Values{"fields": {"Type"}, "per_page": {"100"}}
	if err := r.do(context.Background(), http.MethodGet, "/ticket/"+id+"/history", q, nil, &page); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, it := range page.Items {
		if it["Type"] == "Comment" {
			n++
		}
	}
	return n
}

// rtDecide resolves a ticket as an analyst would in the web UI.
func rtDecide(t *testing.T, r *RT, ref string, o Outcome, reason string) {
	t.Helper()
	id, _ := splitRef("rt", ref)
	in := map[string]any{"Status": "resolved", "CustomFields": map[string]string{RTFieldDecision: string(o), RTFieldReason: reason}}
	if err := r.do(context.Background(), http.MethodPut, "/ticket/"+id, nil, in, nil); err != nil {
		t.Fatal(err)
	}
}

// TestRTTicketLifecycle runs the Manager against a real RT 5: create,
// redelivery, a lost acknowledgement across a restart, escalation
// comments and their daily limit, hold priority, and a decision read back.
func TestRTTicketLifecycle(t *testing.T) {
	s := testrt.Start(t)
	r := rtFor(t, s, RTOptions{})
	run := fmt.Sprintf("%d", time.Now().UnixNano()%1e9) // the shared RT outlives -count runs
	a1, a2 := "rt-a1-"+run, "rt-a2-"+run
	dir := t.TempDir()
	audit := &testaudit.Log{}

	m := newManager(t, r, dir, managerOpts{audit: audit})
	act(t, m, verdict(a1, "e1", t0, suspected, "ticket", 0.6))
	drain(t, m)
	open, err := r.FindOpen(context.Background(), a1)
	if err != nil || open == nil {
		t.Fatalf("FindOpen(%s) = %v, %v", a1, open, err)
	}
	if open.Ref != m.TicketRef(a1) || open.Priority != PriorityNormal || !strings.Contains(open.Subject, a1) {
		t.Fatalf("ticket %+v, manager has %q", open, m.TicketRef(a1))
	}
	act(t, m, verdict(a1, "e1", t0, suspected, "ticket", 0.6)) // redelivery
	if m.Pending() != 0 {
		t.Fatal("a redelivered verdict made an intent")
	}

	// a2: RT creates the ticket but the answer is lost, then the process
	// "crashes" and a new Manager takes over the same outbox.
	f := &flaky{Helpdesk: r, loseCreates: 1}
	m.Close()
	m = newManager(t, f, dir, managerOpts{audit: audit})
	act(t, m, verdict(a2, "e1", t0, sharing, "ticket", 0.8))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	for f.n("CreateDone") == 0 { // the create has reached the helpdesk
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	m.Close()
	m = newManager(t, r, dir, managerOpts{audit: audit})
	defer m.Close()
	drain(t, m)
	if ids := rtAll(t, r, a2); len(ids) != 1 {
		t.Fatalf("%s has tickets %v after a lost ack and a restart, want exactly one", a2, ids)
	}
	if ids := rtAll(t, r, a1); len(ids) != 1 {
		t.Fatalf("%s has tickets %v, want exactly one", a1, ids)
	}

	// Escalation: one comment; the hold the same day raises the priority
	// but adds no second comment.
	ref := m.TicketRef(a1)
	act(t, m, verdict(a1, "e2", t0.Add(2*time.Hour), sharing, "ticket", 0.8))
	drain(t, m)
	if n := rtComments(t, r, ref); n != 1 {
		t.Fatalf("%d comments after an escalation, want 1", n)
	}
	act(t, m, verdict(a1, "e3", t0.Add(3*time.Hour), sharing, "hold", 0.9))
	drain(t, m)
	if n := rtComments(t, r, ref); n != 1 {
		t.Fatalf("%d comments after a second escalation the same day, want 1", n)
	}
	open, _ = r.FindOpen(context.Background(), a1)
	if open == nil || open.Priority != PriorityUrgent {
		t.Fatalf("held account's ticket %+v, want urgent", open)
	}
	if ids := rtAll(t, r, a1); len(ids) != 1 {
		t.Fatalf("%s has tickets %v after escalations, want one", a1, ids)
	}

	// Even with the outbox lost, FindOpen-before-Create adopts the open
	// ticket instead of duplicating it.
	lost := newManager(t, r, t.TempDir(), managerOpts{})
	act(t, lost, verdict(a1, "e1", t0, suspected, "ticket", 0.6))
	drain(t, lost)
	lost.Close()
	if ids := rtAll(t, r, a1); len(ids) != 1 {
		t.Fatalf("%s has tickets %v after a restart with an empty outbox, want one", a1, ids)
	}

	// An analyst decides not_sharing in RT; the poll reads it back once.
	rtDecide(t, r, ref, OutcomeNotSharing, "Second home in Annecy, same family; confirmed by phone.")
	got := make(chan Decision, 10)
	pctx, pcancel := context.WithCancel(context.Background())
	pdone := make(chan error, 1)
	start := time.Now()
	go func() {
		pdone <- m.PollDecisions(pctx, 500*time.Millisecond, func(d Decision) error {
			if d.AccountID == a1 || d.AccountID == a2 {
				got <- d
			}
			return nil
		})
	}()
	var d Decision
	select {
	case d = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("no decision read back within 30s")
	}
	t.Logf("decision read back %v after it was set (poll interval 500ms)", time.Since(start))
	time.Sleep(1200 * time.Millisecond) // two more polls: no repeat
	pcancel()
	<-pdone
	if len(got) != 0 {
		t.Fatalf("decision handled again: %+v", <-got)
	}
	if d.Ref != ref || d.Outcome != OutcomeNotSharing || d.Analyst != testrt.User ||
		d.Reason != "Second home in Annecy, same family; confirmed by phone." {
		t.Fatalf("decision %+v", d)
	}
	if m.TicketRef(a1) != "" {
		t.Fatal("decided ticket still on record")
	}
	if open, _ := r.FindOpen(context.Background(), a1); open != nil {
		t.Fatalf("FindOpen after resolution = %+v", open)
	}
}

// TestRTAuthModesAndLatency checks token and session auth, re-login after
// a lost session, and logs the per-request latency of each mode.
func TestRTAuthModesAndLatency(t *testing.T) {
	s := testrt.Start(t)
	ctx := context.Background()
	measure := func(name string, r *RT) time.Duration {
		t.Helper()
		if _, err := r.FindOpen(ctx, "nobody"); err != nil { // warm up (login)
			t.Fatalf("%s: %v", name, err)
		}
		const n = 5
		start := time.Now()
		for range n {
			if _, err := r.FindOpen(ctx, "nobody"); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		d := time.Since(start) / n
		t.Logf("RT %s: %v per request", name, d.Round(time.Millisecond))
		return d
	}
	session := rtFor(t, s, RTOptions{})
	measure("session cookie", session)
	if session.Logins() != 1 {
		t.Errorf("session logins = %d, want 1", session.Logins())
	}
	basic := rtFor(t, s, RTOptions{})
	basic.mode = rtAuthBasic
	measure("basic auth", basic)
	measure("token", rtFor(t, s, RTOptions{Token: s.Token()}))

	// A lost session (RT restarted its sessions, or it expired) is
	// replaced by a new login.
	u, _ := url.Parse(s.URL() + "/")
	for _, c := range session.c.hc.Jar.Cookies(u) {
		c.Value = "stale"
		c.Path = "/"
		session.c.hc.Jar.SetCookies(u, []*http.Cookie{c})
	}
	if _, err := session.FindOpen(ctx, "nobody"); err != nil {
		t.Fatalf("after losing the session: %v", err)
	}
	if session.Logins() != 2 {
		t.Errorf("logins after a stale session = %d, want 2", session.Logins())
	}

	bad, _ := NewRT(RTOptions{URL: s.URL(), User: testrt.User, Password: "wrong"})
	if _, err := bad.FindOpen(ctx, "nobody"); err == nil {
		t.Fatal("wrong password accepted")
	}
}
