package evaluate

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/scoring"
	"github.com/sharewatch/sharewatch/simulate"
)

func TestEvaluateCounts(t *testing.T) {
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	at := func(h int) *time.Time { x := t0.Add(time.Duration(h) * time.Hour); return &x }
	labels := []Label{
		{AccountID: "h1", Scenario: "household"},
		{AccountID: "h2", Scenario: "household"},
		{AccountID: "t1", Scenario: "traveller"},
		{AccountID: "s1", Scenario: "friend_sharer", Sharing: true, SharingStart: at(10)},
		{AccountID: "s2", Scenario: "friend_sharer", Sharing: true, SharingStart: at(10)},
		{AccountID: "s3", Scenario: "reseller", Sharing: true, SharingStart: at(0)},
		{AccountID: "missing", Scenario: "household"},
	}
	sums := []scoring.AccountSummary{
		{AccountID: "h1", Verdict: scoring.LabelOK},
		{AccountID: "h2", Verdict: scoring.LabelSuspectedSharing, FirstFlagged: at(5), ImpossibleTravel: at(3)},
		{AccountID: "t1", Verdict: scoring.LabelSharing, FirstFlagged: at(40), ImpossibleTravel: at(2)},
		{AccountID: "s1", Verdict: scoring.LabelSharing, FirstFlagged: at(34)},
		{AccountID: "s2", Verdict: scoring.LabelSuspectedSharing, FirstFlagged: at(5)}, // before sharing began
		{AccountID: "s3", Verdict: scoring.LabelOK, ImpossibleTravel: at(1)},
	}
	r := Evaluate(labels, sums)
	m, b := r.Model, r.Baseline
	check := func(name string, got, want float64) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("honest sharing", m.HonestSharing, 1.0/4)
	check("honest flagged", m.HonestFlagged, 2.0/4)
	check("traveller sharing", m.TravellerSharing, 1)
	check("recall sharing", m.RecallSharing, 1.0/3)
	check("recall flagged", m.RecallFlagged, 2.0/3)
	if m.TTDCount != 2 || m.EarlyFlags != 1 || m.TTDMedian != 0 || m.TTDP90 != 24*time.Hour {
		t.Errorf("ttd: count %d early %d median %s p90 %s", m.TTDCount, m.EarlyFlags, m.TTDMedian, m.TTDP90)
	}
	check("baseline honest flagged", b.HonestFlagged, 2.0/4)
	check("baseline recall", b.RecallFlagged, 1.0/3)
	if r.Missing != 1 {
		t.Errorf("missing = %d, want 1", r.Missing)
	}
}

// With a warm-up, sharers whose sharing began before it ended count for
// recall but not for time-to-detect, and the report says so.
func TestEvaluateWarmup(t *testing.T) {
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	at := func(h int) *time.Time { x := t0.Add(time.Duration(h) * time.Hour); return &x }
	from := at(14 * 24)
	labels := []Label{
		{AccountID: "h1", Scenario: "household"},
		{AccountID: "early", Scenario: "friend_sharer", Sharing: true, SharingStart: at(24)},
		{AccountID: "late", Scenario: "friend_sharer", Sharing: true, SharingStart: at(20 * 24)},
	}
	sums := []scoring.AccountSummary{
		{AccountID: "h1", Verdict: scoring.LabelOK, CountedFrom: from},
		// Flagged in the warm-up and still flagged after: the summary's
		// first flag is the first counted one, days after sharing began.
		{AccountID: "early", Verdict: scoring.LabelSharing, FirstFlagged: at(14*24 + 1), CountedFrom: from},
		{AccountID: "late", Verdict: scoring.LabelSuspectedSharing, FirstFlagged: at(20*24 + 30), CountedFrom: from},
	}
	r := Evaluate(labels, sums)
	m := r.Model
	if m.RecallFlagged != 1 || m.TTDCount != 1 || m.TTDMedian != 30*time.Hour || m.WarmupStarts != 1 || m.EarlyFlags != 0 {
		t.Errorf("recall %v, ttd count %d median %s, warm-up starts %d, early %d; want 1, 1, 30h, 1, 0",
			m.RecallFlagged, m.TTDCount, m.TTDMedian, m.WarmupStarts, m.EarlyFlags)
	}
	if r.CountedFrom == nil || !r.CountedFrom.Equal(*from) {
		t.Errorf("report counted from %v, want %v", r.CountedFrom, from)
	}
	var out strings.Builder
	if err := r.Write(&out, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sharing began in the warm-up", "counted from 2026-10-15T00:00:00Z after a warm-up"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// Labels from outside the data may date sharing before the account's first
// event (a friend who has shared the password for a year). No detector can
// see it before that event, so time-to-detect counts from it.
func TestEvaluateSharingBeforeTheData(t *testing.T) {
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	at := func(h int) *time.Time { x := t0.Add(time.Duration(h) * time.Hour); return &x }
	labels := []Label{
		{AccountID: "old", Scenario: "friend_sharer", Sharing: true, SharingStart: at(-200 * 24)},
		{AccountID: "new", Scenario: "friend_sharer", Sharing: true, SharingStart: at(5 * 24)},
	}
	sums := []scoring.AccountSummary{
		{AccountID: "old", Verdict: scoring.LabelSharing, FirstFlagged: at(2 + 48), FirstSeen: *at(2)},
		{AccountID: "new", Verdict: scoring.LabelSharing, FirstFlagged: at(5*24 + 48), FirstSeen: *at(1)},
	}
	r := Evaluate(labels, sums)
	m := r.Model
	if m.TTDCount != 2 || m.TTDMedian != 48*time.Hour || m.TTDP90 != 48*time.Hour || m.BeforeData != 1 || m.EarlyFlags != 0 {
		t.Errorf("ttd count %d median %s p90 %s, before the data %d, early %d; want 2, 48h, 48h, 1, 0",
			m.TTDCount, m.TTDMedian, m.TTDP90, m.BeforeData, m.EarlyFlags)
	}
	var out strings.Builder
	if err := r.Write(&out, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "sharing began before the account's first event (timed from it)") {
		t.Errorf("report does not say some sharing began before the data:\n%s", out.String())
	}
}

// TestGeneralisation scores populations the built-in model was not fitted
// on (fresh seeds; the default and the changed-parameter profile) and
// guards against regressions. The bounds are looser than the issue's
// targets, which the model does not yet meet on every population (see the
// README); the figures are logged.
func TestGeneralisation(t *testing.T) {
	if testing.Short() {
		t.Skip("scores two populations")
	}
	for _, prof := range []string{simulate.ProfileDefault, simulate.ProfileAlt} {
		t.Run(prof, func(t *testing.T) {
			pop := simulate.Config{Accounts: 600, Days: 30, Seed: 4242, Profile: prof}
			r, err := Run(pop, scoring.Config{}, nil, t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			m, b := r.Model, r.Baseline
			t.Logf("%s: honest sharing %.2f%%, travellers sharing %.2f%%, honest flagged %.2f%%, recall sharing %.1f%%, recall flagged %.1f%%, median TTD %s (baseline flags %.1f%% of honest)",
				prof, 100*m.HonestSharing, 100*m.TravellerSharing, 100*m.HonestFlagged, 100*m.RecallSharing, 100*m.RecallFlagged, m.TTDMedian, 100*b.HonestFlagged)
			if m.HonestSharing > 0.015 || m.HonestFlagged > 0.06 {
				t.Errorf("false positives regressed: sharing %.2f%%, flagged %.2f%%", 100*m.HonestSharing, 100*m.HonestFlagged)
			}
			if m.RecallFlagged < 0.75 || m.RecallSharing < 0.5 {
				t.Errorf("recall regressed: flagged %.1f%%, sharing %.1f%%", 100*m.RecallFlagged, 100*m.RecallSharing)
			}
			if m.HonestFlagged*5 > b.HonestFlagged {
				t.Errorf("not clearly better than impossible travel: %.2f%% vs %.2f%%", 100*m.HonestFlagged, 100*b.HonestFlagged)
			}
		})
	}
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }

// TestWarmup: with two weeks of history, the same accounts raise far
// fewer false flags, and sharers are still caught. The alt profile is the
// one whose false positives are mostly a cold start.
func TestWarmup(t *testing.T) {
	if testing.Short() {
		t.Skip("scores a 44-day population twice")
	}
	pop := simulate.Config{Accounts: 600, Days: 44, Seed: 4343, Profile: simulate.ProfileAlt}
	from := pop.WithDefaults().Start.Add(14 * 24 * time.Hour)
	cold, err := Run(pop, scoring.Config{}, nil, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	warm, err := RunWarm(pop, scoring.Config{}, nil, t.TempDir(), from)
	if err != nil {
		t.Fatal(err)
	}
	c, w := cold.Model, warm.Report.Model
	t.Logf("honest flagged %.2f%% -> %.2f%%, travellers sharing %.2f%% -> %.2f%%, recall flagged %.1f%% -> %.1f%%, median TTD %s -> %s (%d sharers began in the warm-up)",
		100*c.HonestFlagged, 100*w.HonestFlagged, 100*c.TravellerSharing, 100*w.TravellerSharing, 100*c.RecallFlagged, 100*w.RecallFlagged, c.TTDMedian, w.TTDMedian, w.WarmupStarts)
	if warm.Report.CountedFrom == nil || w.WarmupStarts == 0 {
		t.Fatalf("the report does not show the warm-up (counted from %v, %d sharers began in it)", warm.Report.CountedFrom, w.WarmupStarts)
	}
	if w.HonestFlagged > 0.7*c.HonestFlagged {
		t.Errorf("history should cut false flags well down: honest flagged %.2f%% with it, %.2f%% without", 100*w.HonestFlagged, 100*c.HonestFlagged)
	}
	if w.RecallFlagged < c.RecallFlagged-0.02 {
		t.Errorf("history lost sharers: recall %.1f%% with it, %.1f%% without", 100*w.RecallFlagged, 100*c.RecallFlagged)
	}
}

// TestInputRobustness scores one population as a producer other than the
// simulator might send it, and checks the verdicts hold: without session
// ids (sessions fall back to devices), delivered up to five minutes out of
// order, or as logins only (no heartbeats or logouts, so sessions are only
// as long as the session timeout). Without user agents, with hotel TVs
// that do not announce a hospitality platform, and with browsers whose
// device ids reset, the figures are logged and only loosely bounded: a
// traveller's hotel TV then looks like a friend's new household for its
// first days (README, "How well it works").
func TestInputRobustness(t *testing.T) {
	if testing.Short() {
		t.Skip("scores a population five times")
	}
	pop := simulate.Config{Accounts: 400, Days: 30, Seed: 777}
	base, err := RunPopulation(pop, scoring.Config{}, nil, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	b := base.Report.Model
	t.Logf("as simulated: honest sharing %.2f%%, honest flagged %.2f%%, recall flagged %.1f%%, median TTD %s",
		100*b.HonestSharing, 100*b.HonestFlagged, 100*b.RecallFlagged, b.TTDMedian)
	tests := []struct {
		name    string
		perturb Perturb
		// how far each figure may move from the unperturbed run
		honestFlagged, recallFlagged float64
	}{
		{"no session ids", NoSessionIDs(), 0.01, 0.02},
		{"up to 5 minutes out of order", Late(5 * time.Minute), 0.01, 0.02},
		{"logins only", LoginsOnly(), 0.01, 0.03},
		{"no user agents", NoUserAgents(), 0.05, 0.02},
		{"hotel TVs with an ordinary smart-TV user agent", PlainHotelTVs(), 0.05, 0.02},
		{"browser device ids reset weekly", BrowserIDReset(7 * 24 * time.Hour), 0.03, 0.02},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := RunPerturbed(pop, scoring.Config{}, nil, t.TempDir(), tc.perturb)
			if err != nil {
				t.Fatal(err)
			}
			m := r.Report.Model
			t.Logf("honest sharing %.2f%%, honest flagged %.2f%%, recall flagged %.1f%%, median TTD %s",
				100*m.HonestSharing, 100*m.HonestFlagged, 100*m.RecallFlagged, m.TTDMedian)
			if m.HonestSharing > b.HonestSharing+0.005 {
				t.Errorf("honest accounts flagged sharing: %.2f%%, %.2f%% as simulated", 100*m.HonestSharing, 100*b.HonestSharing)
			}
			if m.HonestFlagged > b.HonestFlagged+tc.honestFlagged {
				t.Errorf("honest accounts flagged: %.2f%%, %.2f%% as simulated", 100*m.HonestFlagged, 100*b.HonestFlagged)
			}
			if m.RecallFlagged < b.RecallFlagged-tc.recallFlagged {
				t.Errorf("recall at suspected: %.1f%%, %.1f%% as simulated", 100*m.RecallFlagged, 100*b.RecallFlagged)
			}
		})
	}
}

// Sharers with two weeks of data after their sharing began are counted
// apart: a sharing verdict waits longer than a trip, so one who started
// in the last days cannot be called sharing yet. A label from before the
// account's first event counts from that event.
func TestEvaluateSettledSharing(t *testing.T) {
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return t0.Add(time.Duration(d) * 24 * time.Hour) }
	at := func(d int) *time.Time { x := day(d); return &x }
	labels := []Label{
		{AccountID: "early", Scenario: "friend_sharer", Sharing: true, SharingStart: at(2)},
		{AccountID: "early-missed", Scenario: "friend_sharer", Sharing: true, SharingStart: at(5)},
		{AccountID: "late", Scenario: "friend_sharer", Sharing: true, SharingStart: at(20)},
		{AccountID: "before-data", Scenario: "friend_sharer", Sharing: true, SharingStart: at(-100)},
		{AccountID: "no-events", Scenario: "friend_sharer", Sharing: true, SharingStart: at(1)},
	}
	sums := []scoring.AccountSummary{
		{AccountID: "early", Verdict: scoring.LabelSharing, FirstFlagged: at(8), FirstSeen: day(0), LastSeen: day(29)},
		{AccountID: "early-missed", Verdict: scoring.LabelSuspectedSharing, FirstFlagged: at(9), FirstSeen: day(0), LastSeen: day(29)},
		{AccountID: "late", Verdict: scoring.LabelSuspectedSharing, FirstFlagged: at(23), FirstSeen: day(0), LastSeen: day(29)},
		// Sharing since long before, but only ten days of data.
		{AccountID: "before-data", Verdict: scoring.LabelSuspectedSharing, FirstFlagged: at(22), FirstSeen: day(19), LastSeen: day(29)},
	}
	r := Evaluate(labels, sums)
	m := r.Model
	if m.SettledCount != 2 || m.SettledSharing != 0.5 {
		t.Errorf("settled: %d sharers, %.2f flagged sharing; want 2 (early, early-missed) and 0.5", m.SettledCount, m.SettledSharing)
	}
	if m.RecallSharing != 0.2 {
		t.Errorf("recall at sharing %.2f, want 0.2 over all five", m.RecallSharing)
	}
	var b strings.Builder
	if err := r.Write(&b, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "of those with 14+ days of data after sharing began (2)") {
		t.Errorf("report lacks the settled row:\n%s", b.String())
	}
}
