package tickets

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sharewatch/sharewatch/tickets/zendesktest"
)

func zendeskFor(t *testing.T, s *zendesktest.Server) *Zendesk {
	t.Helper()
	z, err := NewZendesk(ZendeskOptions{URL: s.URL(), Email: s.Email(), Token: s.Token()})
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func TestZendeskAdapter(t *testing.T) {
	s := zendesktest.New(t, zendesktest.Options{})
	z := zendeskFor(t, s)
	ctx := context.Background()

	if got, err := z.FindOpen(ctx, "z-1"); err != nil || got != nil {
		t.Fatalf("FindOpen on an empty helpdesk = %v, %v", got, err)
	}
	first, err := z.Create(ctx, NewTicket{AccountID: "z-1", Subject: "s1", Body: "b1", Priority: PriorityHigh, Tags: []string{"sharewatch_ticket"}})
	if err != nil {
		t.Fatal(err)
	}
	// external_id is not unique: a solved ticket of the same account and a
	// newer open one must not be picked.
	id, _ := strconv.ParseInt(strings.TrimPrefix(first.Ref, "zendesk:"), 10, 64)
	if _, err := z.Create(ctx, NewTicket{AccountID: "z-1", Subject: "s2", Body: "b2", Priority: PriorityNormal}); err != nil {
		t.Fatal(err)
	}
	got, err := z.FindOpen(ctx, "z-1")
	if err != nil || got == nil || got.Ref != first.Ref || got.Priority != PriorityHigh {
		t.Fatalf("FindOpen = %+v, %v; want the oldest open, %s", got, err, first.Ref)
	}
	if err := z.Comment(ctx, first.Ref, "more evidence"); err != nil {
		t.Fatal(err)
	}
	if err := z.SetPriority(ctx, first.Ref, PriorityUrgent); err != nil {
		t.Fatal(err)
	}
	tk := s.Tickets()[0]
	if tk.Priority != "urgent" || len(tk.Comments) != 2 || tk.Comments[1].Public || tk.Comments[0].Public ||
		!slices.Contains(tk.Tags, ZendeskTag) || tk.ExternalID != "z-1" {
		t.Fatalf("ticket on the server: %+v", tk)
	}
	before := time.Now().Add(-time.Second)
	s.Solve(id, ZendeskTagNotSharing, "Same household: the second place is a holiday home.")
	ds, err := z.Decisions(ctx, before)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Ref != first.Ref || ds[0].Outcome != OutcomeNotSharing || ds[0].AccountID != "z-1" ||
		ds[0].Reason != "Same household: the second place is a holiday home." {
		t.Fatalf("Decisions = %+v", ds)
	}
	if got, _ := z.FindOpen(ctx, "z-1"); got == nil || got.Ref == first.Ref {
		t.Fatalf("FindOpen after solving = %+v, want the other open ticket", got)
	}
	if err := z.Comment(ctx, "rt:1", "x"); !errors.Is(err, ErrBadRef) {
		t.Fatalf("Comment on an RT ref: %v", err)
	}
	if err := z.Comment(ctx, "zendesk:999", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Comment on a missing ticket: %v", err)
	}
}

func TestZendeskAuthFailureIsNotTemporary(t *testing.T) {
	s := zendesktest.New(t, zendesktest.Options{})
	z, _ := NewZendesk(ZendeskOptions{URL: s.URL(), Email: s.Email(), Token: "wrong"})
	_, err := z.FindOpen(context.Background(), "x")
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusUnauthorized || he.Temporary() {
		t.Fatalf("err = %v, want a non-temporary 401", err)
	}
	if errorKind(err) != kindClient {
		t.Fatalf("kind = %s", errorKind(err))
	}
}

// TestZendeskRateLimitedNothingLost: every 3rd request is a 429 with
// Retry-After: 1; every intent still arrives exactly once, and the sender
// waits out each Retry-After (one worker, so that no other request is in
// flight when the 429 arrives).
func TestZendeskRateLimitedNothingLost(t *testing.T) {
	s := zendesktest.New(t, zendesktest.Options{RateLimitEvery: 3, RetryAfter: "1"})
	z := zendeskFor(t, s)
	m := newManager(t, z, t.TempDir(), managerOpts{conc: 1})
	defer m.Close()
	accounts := []string{"zr-1", "zr-2", "zr-3", "zr-4"}
	for i, a := range accounts {
		act(t, m, verdict(a, "e"+strconv.Itoa(i), t0, suspected, "ticket", 0.6))
	}
	act(t, m, verdict("zr-1", "e9", t0.Add(time.Hour), sharing, "hold", 0.9))
	drain(t, m)

	byAcct := map[string][]zendesktest.Ticket{}
	for _, tk := range s.Tickets() {
		byAcct[tk.ExternalID] = append(byAcct[tk.ExternalID], tk)
	}
	for _, a := range accounts {
		if len(byAcct[a]) != 1 {
			t.Errorf("%s has %d tickets, want 1", a, len(byAcct[a]))
		}
	}
	if tk := byAcct["zr-1"][0]; len(tk.Comments) != 2 || tk.Priority != "urgent" {
		t.Errorf("escalated ticket: %d comments, priority %s; want 2 (body + escalation), urgent", len(tk.Comments), tk.Priority)
	}
	_, limited := s.Stats()
	if limited == 0 {
		t.Fatal("the server never rate-limited")
	}
	if got := testutil.ToFloat64(m.m.errors[kindRateLimited]); int(got) != limited {
		t.Errorf("rate_limited errors = %v, want %d", got, limited)
	}
	// Retry-After is a floor on the wait after each 429.
	log := s.Requests()
	for i, r := range log[:len(log)-1] {
		if r.Status == http.StatusTooManyRequests {
			if gap := log[i+1].Time.Sub(r.Time); gap < 900*time.Millisecond {
				t.Errorf("request %d came %v after a 429 with Retry-After: 1", i+1, gap)
			}
		}
	}
}

// TestZendeskDecisionsThroughManager: solved with a tag, read back once.
func TestZendeskDecisionsThroughManager(t *testing.T) {
	s := zendesktest.New(t, zendesktest.Options{})
	m := newManager(t, zendeskFor(t, s), t.TempDir(), managerOpts{})
	defer m.Close()
	act(t, m, verdict("zd-1", "e1", t0, sharing, "hold", 0.9))
	drain(t, m)
	s.Solve(s.Tickets()[0].ID, ZendeskTagSharing, "Confirmed: three households, password shared in a forum.")
	var got []Decision
	for range 2 {
		if err := m.PollOnce(context.Background(), func(d Decision) error { got = append(got, d); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 1 || got[0].Outcome != OutcomeSharing || got[0].Analyst != "zendesk-user:2002" {
		t.Fatalf("decisions %+v", got)
	}
}
