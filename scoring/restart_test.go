package scoring_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/sharewatch/sharewatch/ingest"
	"github.com/sharewatch/sharewatch/scoring"
	"github.com/sharewatch/sharewatch/simulate"
)

// TestRestoredScorerGivesTheSameVerdicts: a scorer stopped anywhere in a
// stream, checkpointed, and restored into a new scorer goes on with the
// verdicts, and ends with the account summaries, of one that never
// stopped.
func TestRestoredScorerGivesTheSameVerdicts(t *testing.T) {
	w := newBenchWorld(t, simulate.Config{Accounts: 150, Days: 21, Seed: 5})
	events, loc := w.events, w.enricher
	fresh := func() *scoring.Scorer {
		sc, err := scoring.New(scoring.DefaultConfig(), scoring.Options{Locator: loc, KeepSummaries: true})
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	run := func(sc *scoring.Scorer, evs []ingest.Event) []scoring.Verdict {
		var vs []scoring.Verdict
		for i := range evs {
			if v, ok := sc.Score(&evs[i]); ok {
				vs = append(vs, v)
			}
		}
		return vs
	}
	ref := fresh()
	want := run(ref, events)
	flagged := 0
	for _, v := range want {
		if v.Verdict.Flagged() {
			flagged++
		}
	}
	if flagged == 0 {
		t.Fatal("no flagged verdicts: the population does not exercise the state")
	}
	for _, frac := range []int{25, 50, 90} {
		cut := len(events) * frac / 100
		first := fresh()
		got := run(first, events[:cut])
		var buf bytes.Buffer
		if err := first.Checkpoint(&buf); err != nil {
			t.Fatal(err)
		}
		second := fresh()
		if err := second.Restore(bytes.NewReader(buf.Bytes())); err != nil {
			t.Fatal(err)
		}
		got = append(got, run(second, events[cut:])...)
		if len(got) != len(want) {
			t.Fatalf("stopped at %d%%: %d verdicts, want %d", frac, len(got), len(want))
		}
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("stopped at %d%% (event %d of %d): verdict %d differs:\n got %+v\nwant %+v", frac, cut, len(events), i, got[i], want[i])
			}
		}
		if !reflect.DeepEqual(second.Summaries(), ref.Summaries()) {
			t.Errorf("stopped at %d%%: account summaries differ from an uninterrupted run's", frac)
		}
		t.Logf("stopped at %d%%: %d accounts in %d bytes (%d per account)", frac, first.Accounts(), buf.Len(), buf.Len()/max(first.Accounts(), 1))
	}
}
