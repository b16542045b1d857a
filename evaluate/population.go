package evaluate

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sharewatch/sharewatch/enrich"
	"github.com/sharewatch/sharewatch/ingest"
	"github.com/sharewatch/sharewatch/scoring"
	"github.com/sharewatch/sharewatch/simulate"
)

// Run simulates a population, scores it in-process through the real GeoIP
// enricher (over the simulator's databases) and returns the report. Tap,
// if set, sees every event's features with its ground truth (the account
// is shared at that event's time).
func Run(pop simulate.Config, sc scoring.Config, model *scoring.Model, dir string, tap func(ev *ingest.Event, x *scoring.Features, shared bool)) (Report, error) {
	r, err := RunPopulation(pop, sc, model, dir, tap)
	return r.Report, err
}

// Result is a scored population.
type Result struct {
	Report    Report
	Labels    []Label
	Summaries []scoring.AccountSummary
}

// RunPopulation is Run, returning the labels and summaries too.
func RunPopulation(pop simulate.Config, sc scoring.Config, model *scoring.Model, dir string, tap func(ev *ingest.Event, x *scoring.Features, shared bool)) (Result, error) {
	return runPopulation(pop, sc, model, dir, tap, nil, time.Time{})
}

// RunWarm is RunPopulation after a warm-up: the events before countFrom
// build the accounts' state but do not count (scoring.Options.CountFrom),
// so the report describes accounts with history.
func RunWarm(pop simulate.Config, sc scoring.Config, model *scoring.Model, dir string, countFrom time.Time) (Result, error) {
	return runPopulation(pop, sc, model, dir, nil, nil, countFrom)
}

// Perturb rewrites a population's event stream before it is scored: given
// the simulator's next-event function, it returns the one scoring reads
// (dropping fields, dropping events, reordering them).
type Perturb func(next func() (ingest.Event, bool)) func() (ingest.Event, bool)

// RunPerturbed is RunPopulation over a rewritten event stream, to check
// that verdicts hold when a producer sends less than the contract allows
// or sends it in another order.
func RunPerturbed(pop simulate.Config, sc scoring.Config, model *scoring.Model, dir string, p Perturb) (Result, error) {
	return runPopulation(pop, sc, model, dir, nil, p, time.Time{})
}

func runPopulation(pop simulate.Config, sc scoring.Config, model *scoring.Model, dir string, tap func(ev *ingest.Event, x *scoring.Features, shared bool), perturb Perturb, countFrom time.Time) (Result, error) {
	stream, err := simulate.NewStream(pop)
	if err != nil {
		return Result{}, err
	}
	city := filepath.Join(dir, fmt.Sprintf("city-%d.mmdb", pop.Seed))
	asn := filepath.Join(dir, fmt.Sprintf("asn-%d.mmdb", pop.Seed))
	if err := simulate.WriteGeoIP(pop, city, asn); err != nil {
		return Result{}, err
	}
	defer os.Remove(city)
	defer os.Remove(asn)
	e, err := enrich.New(enrich.Config{City: city, ASN: asn}, enrich.Options{})
	if err != nil {
		return Result{}, err
	}
	defer e.Close()
	labels := stream.Labels()
	start := make(map[string]time.Time, len(labels))
	for _, l := range labels {
		if l.Sharing && l.SharingStart != nil {
			start[l.AccountID] = *l.SharingStart
		}
	}
	opts := scoring.Options{Locator: e, Model: model, KeepSummaries: true, CountFrom: countFrom}
	if tap != nil {
		opts.Tap = func(ev *ingest.Event, x *scoring.Features) {
			t, ok := start[ev.AccountID]
			tap(ev, x, ok && !ev.Time.Before(t))
		}
	}
	s, err := scoring.New(sc, opts)
	if err != nil {
		return Result{}, err
	}
	next := stream.Next
	if perturb != nil {
		next = perturb(next)
	}
	for {
		ev, ok := next()
		if !ok {
			break
		}
		s.Score(&ev)
	}
	ls, sums := LabelsOf(labels), s.Summaries()
	return Result{Report: Evaluate(ls, sums), Labels: ls, Summaries: sums}, nil
}

// LabelsOf converts the simulator's labels.
func LabelsOf(ls []simulate.Label) []Label {
	out := make([]Label, len(ls))
	for i, l := range ls {
		out[i] = Label{AccountID: l.AccountID, Scenario: l.Scenario, Sharing: l.Sharing, SharingStart: l.SharingStart}
	}
	return out
}
