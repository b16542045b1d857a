// Package evaluate measures verdicts against labelled populations: per
// scenario detection rates, false positives on honest accounts, recall and
// time-to-detect, for sharewatch and for the naive impossible-travel rule
// side by side.
package evaluate

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sharewatch/sharewatch/scoring"
)

// Label is one line of a labels file (the simulator writes them).
type Label struct {
	AccountID    string     `json:"account_id"`
	Scenario     string     `json:"scenario"`
	Sharing      bool       `json:"sharing"`
	SharingStart *time.Time `json:"sharing_start"`
}

// ReadLabels reads a JSON-lines labels file.
func ReadLabels(r io.Reader) ([]Label, error) {
	var out []Label
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var l Label
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("labels line %d: %w", n, err)
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// ReadSummaries reads a JSON-lines account summary file.
func ReadSummaries(r io.Reader) ([]scoring.AccountSummary, error) {
	var out []scoring.AccountSummary
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4<<20), 4<<20)
	for n := 1; sc.Scan(); n++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var s scoring.AccountSummary
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, fmt.Errorf("accounts line %d: %w", n, err)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// Detector is one system's results.
type Detector struct {
	Name string
	// Per scenario: accounts, flagged sharing, flagged suspected or higher.
	Scenarios map[string]*Counts
	// HonestSharing is the share of honest accounts flagged sharing.
	HonestSharing float64
	// HonestFlagged is the share of honest accounts flagged suspected or higher.
	HonestFlagged float64
	// TravellerSharing is the share of travellers flagged sharing.
	TravellerSharing float64
	// RecallSharing and RecallFlagged are the shares of sharing accounts
	// flagged sharing, and suspected or higher.
	RecallSharing, RecallFlagged float64
	// TTD is time-to-detect after sharing began, over detected sharing
	// accounts; EarlyFlags counts sharing accounts flagged before sharing began.
	TTDMedian, TTDP90 time.Duration
	TTDCount          int
	EarlyFlags        int
	// WarmupStarts counts sharing accounts whose sharing began before the
	// summaries' warm-up ended: they count for recall, not for
	// time-to-detect (the scorer did not record when it first saw them).
	WarmupStarts int
	// SettledSharing is the share of sharing accounts flagged sharing
	// among the SettledCount whose account has SettledDays or more of
	// data after sharing began. No target: a sharing verdict waits until
	// another household has lasted longer than a trip
	// (scoring.Config.SharingMinSpanDays), so a friend who started in the
	// last days of the data cannot be called sharing yet by design; this
	// figure shows the rest.
	SettledSharing float64
	SettledCount   int
	// BeforeData counts sharing accounts whose sharing began before the
	// account's first event (a label from outside the data): their
	// time-to-detect counts from that first event, the earliest moment
	// any detector could have seen the sharing.
	BeforeData int
}

// Counts are per-scenario tallies.
type Counts struct {
	Accounts, Sharing, Flagged int
}

// Report compares sharewatch and the baseline on one population.
type Report struct {
	Accounts, Missing int
	Model, Baseline   Detector
	// CountedFrom is the end of the scorer's warm-up, if there was one.
	CountedFrom *time.Time
}

// Evaluate joins labels and summaries by account id. Accounts with a label
// but no summary (no events) count as not flagged.
func Evaluate(labels []Label, sums []scoring.AccountSummary) Report {
	byID := make(map[string]*scoring.AccountSummary, len(sums))
	for i := range sums {
		byID[sums[i].AccountID] = &sums[i]
	}
	r := Report{Accounts: len(labels)}
	model := tally{name: "sharewatch"}
	base := tally{name: "impossible-travel (900 km/h, >100 km, >=5 min)"}
	for _, l := range labels {
		s := byID[l.AccountID]
		if s == nil {
			r.Missing++
			model.add(l, false, false, nil, nil)
			base.add(l, false, false, nil, nil)
			continue
		}
		if s.CountedFrom != nil {
			r.CountedFrom = s.CountedFrom
		}
		model.add(l, s.Verdict == scoring.LabelSharing, s.Verdict.Flagged(), s.FirstFlagged, s)
		bf := s.ImpossibleTravel != nil
		base.add(l, bf, bf, s.ImpossibleTravel, s)
	}
	r.Model, r.Baseline = model.result(), base.result()
	return r
}

type tally struct {
	name                        string
	scen                        map[string]*Counts
	honest, honestS, honestF    int
	travel, travelS             int
	sharing, sharingS, sharingF int
	ttd                         []float64
	early, warm, before         int
	settled, settledS           int
}

// SettledDays is how much data after sharing began makes a sharer count
// for Detector.SettledSharing: two weeks, longer than the 12 days a
// sharing verdict waits for by default.
const SettledDays = 14

// add counts one account, first flagged at first (nil: never). s is its
// summary, nil when it had no events: its warm-up end and first event
// bound time-to-detect.
func (t *tally) add(l Label, sharing, flagged bool, first *time.Time, s *scoring.AccountSummary) {
	if t.scen == nil {
		t.scen = map[string]*Counts{}
	}
	c := t.scen[l.Scenario]
	if c == nil {
		c = &Counts{}
		t.scen[l.Scenario] = c
	}
	c.Accounts++
	if sharing {
		c.Sharing++
	}
	if flagged {
		c.Flagged++
	}
	if !l.Sharing {
		t.honest++
		if sharing {
			t.honestS++
		}
		if flagged {
			t.honestF++
		}
		if l.Scenario == "traveller" {
			t.travel++
			if sharing {
				t.travelS++
			}
		}
		return
	}
	t.sharing++
	if sharing {
		t.sharingS++
	}
	if s != nil && l.SharingStart != nil {
		from := *l.SharingStart
		if from.Before(s.FirstSeen) {
			from = s.FirstSeen // a label from before the data
		}
		if !s.LastSeen.Before(from.Add(SettledDays * 24 * time.Hour)) {
			t.settled++
			if sharing {
				t.settledS++
			}
		}
	}
	warm := s != nil && s.CountedFrom != nil && l.SharingStart != nil && l.SharingStart.Before(*s.CountedFrom)
	if warm {
		t.warm++
	}
	start := l.SharingStart
	if start != nil && !warm && s != nil && !s.FirstSeen.IsZero() && start.Before(s.FirstSeen) {
		start = &s.FirstSeen
		t.before++
	}
	if flagged {
		t.sharingF++
		if first != nil && start != nil && !warm {
			d := first.Sub(*start)
			if d < 0 {
				t.early++
				d = 0
			}
			t.ttd = append(t.ttd, d.Hours())
		}
	}
}

func frac(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (t *tally) result() Detector {
	d := Detector{
		Name:             t.name,
		Scenarios:        t.scen,
		HonestSharing:    frac(t.honestS, t.honest),
		HonestFlagged:    frac(t.honestF, t.honest),
		TravellerSharing: frac(t.travelS, t.travel),
		RecallSharing:    frac(t.sharingS, t.sharing),
		RecallFlagged:    frac(t.sharingF, t.sharing),
		TTDCount:         len(t.ttd),
		EarlyFlags:       t.early,
		WarmupStarts:     t.warm,
		BeforeData:       t.before,
		SettledSharing:   frac(t.settledS, t.settled),
		SettledCount:     t.settled,
	}
	if len(t.ttd) > 0 {
		sort.Float64s(t.ttd)
		d.TTDMedian = hours(quantile(t.ttd, 0.5))
		d.TTDP90 = hours(quantile(t.ttd, 0.9))
	}
	return d
}

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)).Round(time.Minute) }

// quantile of sorted xs, nearest-rank.
func quantile(xs []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(xs)))) - 1
	if i < 0 {
		i = 0
	}
	return xs[i]
}

// Targets are the acceptance figures from the scoring issue.
var Targets = struct {
	HonestSharing, TravellerSharing, HonestFlagged, RecallSharing, RecallFlagged float64
	TTDMedian                                                                    time.Duration
}{0.005, 0.01, 0.03, 0.90, 0.97, 72 * time.Hour}

// Pass reports whether the model meets every target.
func (r Report) Pass() bool {
	m := r.Model
	return m.HonestSharing <= Targets.HonestSharing && m.TravellerSharing <= Targets.TravellerSharing &&
		m.HonestFlagged <= Targets.HonestFlagged && m.RecallSharing >= Targets.RecallSharing &&
		m.RecallFlagged >= Targets.RecallFlagged && m.TTDMedian <= Targets.TTDMedian
}

// Write prints the report as aligned tables.
func (r Report) Write(w io.Writer, scenarioOrder []string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "scenario\taccounts\tsharewatch sharing\tsharewatch >=suspected\tbaseline flagged\t\n")
	seen := map[string]bool{}
	order := append([]string{}, scenarioOrder...)
	var rest []string
	for k := range r.Model.Scenarios {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	order = append(order, rest...)
	for _, sc := range order {
		c := r.Model.Scenarios[sc]
		if c == nil || seen[sc] {
			continue
		}
		seen[sc] = true
		b := r.Baseline.Scenarios[sc]
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t\n", sc, c.Accounts, pct(c.Sharing, c.Accounts), pct(c.Flagged, c.Accounts), pct(b.Flagged, b.Accounts))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "figure\ttarget\tsharewatch\tbaseline\t\n")
	m, b := r.Model, r.Baseline
	row := func(name, target string, mv, bv float64) {
		fmt.Fprintf(tw, "%s\t%s\t%.2f%%\t%.2f%%\t\n", name, target, 100*mv, 100*bv)
	}
	row("honest accounts flagged sharing", "<= 0.5%", m.HonestSharing, b.HonestSharing)
	row("travellers flagged sharing", "<= 1%", m.TravellerSharing, b.TravellerSharing)
	row("honest accounts flagged >= suspected (FPR)", "<= 3%", m.HonestFlagged, b.HonestFlagged)
	row("sharing accounts flagged sharing", ">= 90%", m.RecallSharing, b.RecallSharing)
	fmt.Fprintf(tw, "  of those with %d+ days of data after sharing began (%d)\t\t%.2f%%\t%.2f%%\t\n", SettledDays, m.SettledCount, 100*m.SettledSharing, 100*b.SettledSharing)
	row("sharing accounts flagged >= suspected (recall)", ">= 97%", m.RecallFlagged, b.RecallFlagged)
	fmt.Fprintf(tw, "median time-to-detect\t<= 72h\t%s\t%s\t\n", dur(m.TTDMedian, m.TTDCount), dur(b.TTDMedian, b.TTDCount))
	fmt.Fprintf(tw, "p90 time-to-detect\t\t%s\t%s\t\n", dur(m.TTDP90, m.TTDCount), dur(b.TTDP90, b.TTDCount))
	fmt.Fprintf(tw, "sharing accounts flagged before sharing began\t\t%d\t%d\t\n", m.EarlyFlags, b.EarlyFlags)
	if r.CountedFrom != nil {
		fmt.Fprintf(tw, "sharing began in the warm-up (recall only, not timed)\t\t%d\t%d\t\n", m.WarmupStarts, b.WarmupStarts)
	}
	if m.BeforeData > 0 {
		fmt.Fprintf(tw, "sharing began before the account's first event (timed from it)\t\t%d\t%d\t\n", m.BeforeData, b.BeforeData)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "MET"
	if !r.Pass() {
		verdict = "NOT MET"
	}
	missing := ""
	if r.Missing > 0 {
		missing = fmt.Sprintf(", %d without events", r.Missing)
	}
	if r.CountedFrom != nil {
		missing += ", counted from " + r.CountedFrom.Format(time.RFC3339) + " after a warm-up"
	}
	_, err := fmt.Fprintf(w, "\ntargets: %s (%d accounts%s)\n", verdict, r.Accounts, missing)
	return err
}

func pct(a, b int) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
}

func dur(d time.Duration, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fh", d.Hours())
}
