package scoring

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/ingest"
)

// splitRun scores events[:cut] in one scorer, checkpoints it, restores
// into a new scorer and scores events[cut:]; it also scores everything in
// one scorer. Both with KeepSummaries, as `score` builds them.
func splitRun(t *testing.T, events []ingest.Event, cut int) (ref, got []Verdict, refSum, gotSum []AccountSummary) {
	t.Helper()
	fresh := func() *Scorer {
		sc, err := New(Config{}, Options{Locator: testLocator(), KeepSummaries: true})
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	run := func(sc *Scorer, evs []ingest.Event) (vs []Verdict) {
		for i := range evs {
			if v, ok := sc.Score(&evs[i]); ok {
				vs = append(vs, v)
			}
		}
		return vs
	}
	one := fresh()
	ref = run(one, events)
	first := fresh()
	got = run(first, events[:cut])
	var buf bytes.Buffer
	if err := first.Checkpoint(&buf); err != nil {
		t.Fatal(err)
	}
	second := fresh()
	if err := second.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	got = append(got, run(second, events[cut:])...)
	return ref, got, one.Summaries(), second.Summaries()
}

// sharerScript: account "acct-a", a household at home and a friend's
// household every other evening for three weeks: flagged (suspected_sharing).
func sharerScript(t *testing.T) []ingest.Event {
	s := &script{t: t, acct: "acct-a"}
	atHome(s, 21)
	friendEveryOtherDay(s, malmoFriend)
	sortEvents(s.events)
	return s.events
}

func login(acct, id, dev string, at time.Time) ingest.Event {
	return ingest.Event{EventID: id, Type: ingest.TypeLogin, Time: at, AccountID: acct, SessionID: id, DeviceID: dev, IP: stockholmOther.Addr().Next(), Success: true}
}

func summaryFor(sums []AccountSummary, id string) *AccountSummary {
	for i := range sums {
		if sums[i].AccountID == id {
			return &sums[i]
		}
	}
	return nil
}

// TestRestoreKeepsTheSweepClock: idle accounts are swept at most once an
// hour of event time; a restored scorer sweeps when the one it replaced
// would have, so an account that comes back just at the end of its 45
// days keeps its history, as in one run. (Found by a review: the first
// version swept on the first event after a restore.)
func TestRestoreKeepsTheSweepClock(t *testing.T) {
	events := sharerScript(t)
	last := events[len(events)-1].Time
	ttl := 45 * 24 * time.Hour
	events = append(events,
		login("acct-b", "b-1", "b-phone", last.Add(ttl-10*time.Minute)), // sweep: acct-a still within TTL
	)
	cut := len(events) // --- one file ends here ---
	events = append(events,
		login("acct-b", "b-2", "b-phone", last.Add(ttl+1*time.Minute)),
		login("acct-a", "a-back", "phone-a", last.Add(ttl+2*time.Minute)),
	)
	ref, got, refSum, gotSum := splitRun(t, events, cut)
	if len(ref) != len(got) {
		t.Errorf("%d verdicts after a restore, want %d", len(got), len(ref))
	}
	r, g := summaryFor(refSum, "acct-a"), summaryFor(gotSum, "acct-a")
	if !reflect.DeepEqual(r, g) {
		t.Errorf("acct-a's summary differs after a restore:\n one run: verdict=%s events=%d first_seen=%s\nrestored: verdict=%s events=%d first_seen=%s",
			r.Verdict, r.Events, r.FirstSeen, g.Verdict, g.Events, g.FirstSeen)
	}
}

// TestRestoreKeepsEvictedSummaries: a batch run keeps the summaries of
// accounts evicted after 45 idle days; so does a run restored from a
// checkpoint written after the eviction. (Found by a review.)
func TestRestoreKeepsEvictedSummaries(t *testing.T) {
	events := sharerScript(t)
	last := events[len(events)-1].Time
	ttl := 45 * 24 * time.Hour
	events = append(events, login("acct-b", "b-1", "b-phone", last.Add(ttl+2*time.Hour))) // evicts acct-a
	cut := len(events)
	events = append(events, login("acct-b", "b-2", "b-phone", last.Add(ttl+26*time.Hour)))
	_, _, refSum, gotSum := splitRun(t, events, cut)
	r, g := summaryFor(refSum, "acct-a"), summaryFor(gotSum, "acct-a")
	if r == nil {
		t.Fatal("one run has no summary for acct-a")
	}
	if g == nil {
		t.Errorf("acct-a (peak %s, %d events) is in one run's summaries but missing after a restore: %d vs %d summaries",
			r.Verdict, r.Events, len(refSum), len(gotSum))
	}
}

// TestRestoreKeepsTheEventIDWindow: an event redelivered within the 6 h
// window, more than eight events of its account later (beyond the
// account's own last ids), is dropped by a restored scorer as by one that
// never stopped. (Found by a review.)
func TestRestoreKeepsTheEventIDWindow(t *testing.T) {
	var events []ingest.Event
	for i := 0; i < 10; i++ {
		events = append(events, login("acct-c", fmt.Sprintf("c-%d", i), "c-phone", day0.Add(time.Duration(i)*time.Minute)))
	}
	cut := len(events)
	events = append(events, events[0]) // redelivered after the restart, 10 minutes later
	ref, got, refSum, gotSum := splitRun(t, events, cut)
	if len(ref) != len(got) {
		t.Errorf("redelivered event: %d verdicts after a restore, %d in one run", len(got), len(ref))
	}
	if !reflect.DeepEqual(refSum, gotSum) {
		t.Errorf("summaries differ: events %d in one run, %d after a restore", refSum[0].Events, gotSum[0].Events)
	}
}

// TestRestoreRefusesStatesScoreCannotUse: states that decode but would
// make Score loop forever (places whose predecessors go round in a
// circle) or write summaries JSON cannot carry (NaN) are refused.
// (Found by a review.)
func TestRestoreRefusesStatesScoreCannotUse(t *testing.T) {
	t0 := day0.Unix()
	for name, a := range map[string]*account{
		"predecessors in a circle": {firstSeen: t0, lastSeen: t0,
			devices: []device{{id: fnv64("d"), firstSeen: t0, lastSeen: t0}},
			places: []place{
				{key: 1, used: true, prev: 2, firstSeen: t0, lastSeen: t0},
				{key: 2, used: true, prev: 1, firstSeen: t0, lastSeen: t0},
			}},
		"a NaN peak": {firstSeen: t0, lastSeen: t0, peak: float32(math.NaN()), peakLabel: LabelSharing, peakExplain: "x", events: 1},
	} {
		src, _ := New(Config{}, Options{Locator: testLocator()})
		src.accounts["acct"] = a
		var buf bytes.Buffer
		if err := src.Checkpoint(&buf); err != nil {
			t.Fatal(err)
		}
		dst, _ := New(Config{}, Options{Locator: testLocator()})
		if err := dst.Restore(&buf); !errors.Is(err, ErrCheckpoint) {
			t.Errorf("%s: restore gave %v, want ErrCheckpoint", name, err)
		}
	}
}

// TestRestoreDistrustsAFutureWatermark: a watermark far ahead of every
// account kept would stop idle sweeps for good (and be written back at
// every checkpoint); the restored scorer takes its accounts' latest
// event instead. (Found by a review.)
func TestRestoreDistrustsAFutureWatermark(t *testing.T) {
	t0 := day0.Unix()
	src, _ := New(Config{}, Options{Locator: testLocator()})
	src.accounts["old"] = &account{firstSeen: t0, lastSeen: t0}
	src.watermark, src.nextSweep = t0+100*365*86400, t0+100*365*86400+3600
	var buf bytes.Buffer
	if err := src.Checkpoint(&buf); err != nil {
		t.Fatal(err)
	}
	sc, _ := New(Config{}, Options{Locator: testLocator()})
	if err := sc.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	for d := int64(1); d <= 90; d++ {
		ev := login("new", fmt.Sprintf("e-%d", d), "p", time.Unix(t0+d*86400, 0))
		sc.Score(&ev)
	}
	if _, held := sc.accounts["old"]; held {
		t.Errorf("an account idle for 90 days is still held (TTL 45 days)")
	}
}

// TestRestoreOfATinyFileAllocatesLittle: counts in a file are not trusted
// to size memory before the data behind them is read. (Found by a
// review.)
func TestRestoreOfATinyFileAllocatesLittle(t *testing.T) {
	for _, where := range []string{"event ids", "accounts", "evicted", "cleared"} {
		src, _ := New(Config{}, Options{Locator: testLocator()})
		var buf bytes.Buffer
		if err := src.Checkpoint(&buf); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		// An empty scorer's checkpoint ends with five zero counts: the two
		// event-id generations, the accounts, the evicted summaries and
		// the cleared accounts.
		i := map[string]int{"event ids": len(b) - 5, "accounts": len(b) - 3, "evicted": len(b) - 2, "cleared": len(b) - 1}[where]
		big := append(binary.AppendUvarint(append([]byte(nil), b[:i]...), 1<<40), b[i+1:]...)
		sc, _ := New(Config{}, Options{Locator: testLocator()})
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		err := sc.Restore(bytes.NewReader(big))
		runtime.ReadMemStats(&m1)
		if !errors.Is(err, ErrCheckpoint) {
			t.Errorf("%s: a count of 2^40 with nothing behind it gave %v", where, err)
		}
		if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 1<<20 {
			t.Errorf("%s: a %d-byte file made Restore allocate %d MB", where, len(big), alloc>>20)
		}
	}
}

// TestRestoreKeepsPendingClearings: an analyst's "not sharing" decision is
// applied by the next event; a checkpoint written before that event keeps
// it, so a restart does not lose it. (Found by a review.)
func TestRestoreKeepsPendingClearings(t *testing.T) {
	events := sharerScript(t)
	cut := len(events) * 2 / 3
	one, _ := New(Config{}, Options{Locator: testLocator()})
	first, _ := New(Config{}, Options{Locator: testLocator()})
	var ref, got []Verdict
	for i := range events[:cut] {
		if v, ok := one.Score(&events[i]); ok {
			ref = append(ref, v)
		}
		if v, ok := first.Score(&events[i]); ok {
			got = append(got, v)
		}
	}
	one.Teach("acct-a")
	first.Teach("acct-a")
	var buf bytes.Buffer
	if err := first.Checkpoint(&buf); err != nil {
		t.Fatal(err)
	}
	second, _ := New(Config{}, Options{Locator: testLocator()})
	if err := second.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	for i := range events[cut:] {
		ev := events[cut+i]
		if v, ok := one.Score(&ev); ok {
			ref = append(ref, v)
		}
		if v, ok := second.Score(&ev); ok {
			got = append(got, v)
		}
	}
	if !reflect.DeepEqual(got, ref) {
		t.Error("verdicts after a restart with a clearing pending differ from one run's")
	}
	if ref[len(ref)-1].Verdict.Flagged() {
		t.Fatalf("the cleared account is still flagged (%s): the test does not show the clearing", ref[len(ref)-1].Verdict)
	}
}
