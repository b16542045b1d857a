package pipeline_test

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/enrich"
	"github.com/sharewatch/sharewatch/pipeline"
	"github.com/sharewatch/sharewatch/scoring"
)

type nowhere struct{}

func (nowhere) Lookup(netip.Addr) enrich.Location { return enrich.Location{} }

type recordingActor struct{ got []string }

func (a *recordingActor) Act(_ context.Context, vs []scoring.Verdict) error {
	for _, v := range vs {
		a.got = append(a.got, v.EventID)
	}
	return nil
}

// TestActorsHearOfCasesThatCameUndone: besides the verdicts with an
// action, the actors get the unflagged verdicts saying that a case came
// undone (its open ticket is told), except in a backfill.
func TestActorsHearOfCasesThatCameUndone(t *testing.T) {
	sc, err := scoring.New(scoring.Config{}, scoring.Options{Locator: nowhere{}})
	if err != nil {
		t.Fatal(err)
	}
	actFrom := time.Date(2026, 10, 6, 0, 0, 0, 0, time.UTC)
	a := &recordingActor{}
	p, err := pipeline.NewProcessor(pipeline.ProcessorOptions{Scorer: sc, Actors: []pipeline.Actor{a}, ActFrom: actFrom})
	if err != nil {
		t.Fatal(err)
	}
	came := []string{scoring.ReasonTravelKnownDevice, scoring.ReasonFlaggedCameHome}
	vs := []scoring.Verdict{
		{EventID: "ok", Time: actFrom.Add(time.Hour), Verdict: scoring.LabelOK, Action: "none", Reasons: []string{scoring.ReasonSingleHousehold}},
		{EventID: "undone", Time: actFrom.Add(2 * time.Hour), Verdict: scoring.LabelTravel, Action: "none", Reasons: came},
		{EventID: "undone-backfill", Time: actFrom.Add(-time.Hour), Verdict: scoring.LabelTravel, Action: "none", Reasons: came},
		{EventID: "ticket", Time: actFrom.Add(3 * time.Hour), Verdict: scoring.LabelSuspectedSharing, Action: "ticket", Reasons: []string{scoring.ReasonSecondHousehold}},
	}
	if err := p.Write(context.Background(), vs); err != nil {
		t.Fatal(err)
	}
	if want := []string{"undone", "ticket"}; !slices.Equal(a.got, want) {
		t.Errorf("actors got %v, want %v", a.got, want)
	}
}
