package tickets

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/scoring"
)

func cameHomeVerdict(account, event string, at time.Time) scoring.Verdict {
	v := verdict(account, event, at, scoring.LabelTravel, "none", 0.2)
	v.Reasons = []string{scoring.ReasonTravelKnownDevice, scoring.ReasonFlaggedCameHome}
	return v
}

// TestUndoneAfterAHoldThatOnlyRaisedPriority: a hold that came the same
// day as an escalation comment only raised the ticket's priority, so the
// ticket state still says "ticket"; the account is held all the same, and
// when its case comes undone the comment says so and the ticket is urgent
// again. (Found by a review.)
func TestUndoneAfterAHoldThatOnlyRaisedPriority(t *testing.T) {
	q := fileQueue(t)
	held := map[string]bool{}
	m := newManager(t, q, t.TempDir(), managerOpts{holdSet: func(a string) bool { return held[a] }})
	defer m.Close()
	act(t, m, verdict("h-1", "e1", t0, suspected, "ticket", 0.7))
	act(t, m, verdict("h-1", "e2", t0.Add(time.Hour), sharing, "ticket", 0.9))  // escalation comment
	held["h-1"] = true                                                          // the holder placed the hold
	act(t, m, verdict("h-1", "e3", t0.Add(2*time.Hour), sharing, "hold", 0.99)) // same day: priority only
	drain(t, m)
	// An analyst lowers the ticket while working it.
	if err := q.SetPriority(context.Background(), m.TicketRef("h-1"), PriorityNormal); err != nil {
		t.Fatal(err)
	}
	act(t, m, cameHomeVerdict("h-1", "e4", t0.Add(50*time.Hour)))
	drain(t, m)
	ts, _ := q.List(true)
	if len(ts) != 1 {
		t.Fatalf("%d tickets", len(ts))
	}
	c := ts[0].Comments
	last := c[len(c)-1].Body
	if !strings.Contains(last, "held on the earlier evidence") {
		t.Errorf("held account's undone comment says:\n%s", strings.SplitN(last, "\nWhy:", 2)[0])
	}
	if ts[0].Priority != PriorityUrgent {
		t.Errorf("held account's ticket priority %v after the case came undone, want urgent", ts[0].Priority)
	}
}

// TestUndoneRacingADecision: the decision poll closes the ticket while Act
// plans the undone comment (here it runs inside the HoldPlaced call that
// planning makes). The comment is then not journalled: it would leave a
// state with no ticket that nothing closes, whose urgent priority the
// account's next case would inherit. (Found by a review.)
func TestUndoneRacingADecision(t *testing.T) {
	q := fileQueue(t)
	var m *Manager
	pollDuring := false
	holdSet := func(a string) bool {
		if pollDuring {
			pollDuring = false
			if err := m.PollOnce(context.Background(), nil); err != nil {
				t.Error(err)
			}
		}
		return true
	}
	m = newManager(t, q, t.TempDir(), managerOpts{holdSet: holdSet})
	defer m.Close()
	act(t, m, verdict("h-1", "e1", t0, sharing, "hold", 0.99))
	drain(t, m)
	ref := m.TicketRef("h-1")
	if err := q.Resolve(ref, OutcomeNotSharing, "was on a long stay", "ana"); err != nil {
		t.Fatal(err)
	}
	pollDuring = true // the decision is read while Act plans
	act(t, m, cameHomeVerdict("h-1", "e2", t0.Add(50*time.Hour)))
	drain(t, m)
	if st, ok := m.ob.state("h-1"); ok {
		t.Errorf("state after the decision: %+v, want none", st)
	}
	// Weeks later, a fresh suspected case: a first verdict opens a normal ticket.
	act(t, m, verdict("h-1", "e3", t0.Add(30*24*time.Hour), suspected, "ticket", 0.7))
	drain(t, m)
	ts, _ := q.List(true)
	if len(ts) != 1 {
		t.Fatalf("%d open tickets, want 1", len(ts))
	}
	if ts[0].Priority != PriorityNormal {
		t.Errorf("new suspected case opened with priority %v, want normal", ts[0].Priority)
	}
}
