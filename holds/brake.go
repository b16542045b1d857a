package holds

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// brakeState is the blast-radius brake: the event times of the automatic
// holds placed within the window, and whether the brake is engaged. It is
// persisted in StateDir/brake.json.
//
// The window is in event time, sliding on each candidate hold's own time:
// a hold at event time t counts the holds placed in (t-Window, t]. Event
// time makes the brake deterministic and replayable, and a catch-up after
// an outage (hours of backlog processed in minutes of wall time) is not
// mistaken for a burst; what a bad GeoIP database or model does is make
// many accounts look like sharing in the same stretch of event time, and
// that is what it measures. Anchoring on each hold's own time, not on the
// latest time seen, keeps one event with a clock far in the future from
// emptying the window.
type brakeState struct {
	Engaged bool      `json:"engaged"`
	Reason  string    `json:"reason,omitempty"`
	Since   time.Time `json:"since,omitzero"` // wall time it engaged
	// Holds are the event times of the automatic holds placed, sorted,
	// pruned to Window before the latest.
	Holds []time.Time `json:"holds"`
}

func (b *brakeState) clone() brakeState {
	c := *b
	c.Holds = slices.Clone(b.Holds)
	return c
}

// limit is the most holds allowed within a window, and how it was made.
func limit(c BrakeConfig, active int) (int, string) {
	if active <= 0 {
		return c.MaxHolds, fmt.Sprintf("max_holds %d", c.MaxHolds)
	}
	frac := max(c.MinHolds, int(math.Floor(c.MaxFraction*float64(active))))
	if frac < c.MaxHolds {
		return frac, fmt.Sprintf("%.2g%% of %d active accounts, at least min_holds %d", c.MaxFraction*100, active, c.MinHolds)
	}
	return c.MaxHolds, fmt.Sprintf("max_holds %d", c.MaxHolds)
}

// admit reports whether one more hold at event time t stays within the
// limit; if not, it says why.
func (b *brakeState) admit(t time.Time, c BrakeConfig, active int) (bool, string) {
	from := t.Add(-c.Window)
	n := 0
	for _, h := range b.Holds {
		if h.After(from) && !h.After(t) {
			n++
		}
	}
	lim, how := limit(c, active)
	if n+1 <= lim {
		return true, ""
	}
	return false, fmt.Sprintf("%d automatic holds within %v of event time up to %s would exceed the limit of %d (%s)",
		n+1, c.Window, t.UTC().Format(time.RFC3339), lim, how)
}

// record adds a placed hold and prunes the window.
func (b *brakeState) record(t time.Time, window time.Duration) {
	i, _ := slices.BinarySearchFunc(b.Holds, t, func(a, b time.Time) int { return a.Compare(b) })
	b.Holds = slices.Insert(b.Holds, i, t)
	latest := b.Holds[len(b.Holds)-1]
	cut := 0
	for cut < len(b.Holds) && !b.Holds[cut].After(latest.Add(-window)) {
		cut++
	}
	b.Holds = b.Holds[cut:]
}

// BrakeStatus is the brake as an operator sees it.
type BrakeStatus struct {
	Engaged bool      `json:"engaged"`
	Reason  string    `json:"reason,omitempty"`
	Since   time.Time `json:"since,omitzero"`
	// HoldsInWindow is how many automatic holds are within the window of
	// the latest one.
	HoldsInWindow int `json:"holds_in_window"`
}
