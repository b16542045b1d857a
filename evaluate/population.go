package evaluate

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
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
func Run(pop simulate.Config, sc scoring.Config, model *scoring.Model, dir string, tap func(x *scoring.Features, shared bool)) (Report, error) {
	stream, err := simulate.NewStream(pop)
	if err != nil {
		return Report{}, err
	}
	city := filepath.Join(dir, fmt.Sprintf("city-%d.mmdb", pop.Seed))
	asn := filepath.Join(dir, fmt.Sprintf("asn-%d.mmdb", pop.Seed))
	if err := simulate.WriteGeoIP(pop, city, asn); err != nil {
		return Report{}, err
	}
	defer os.Remove(city)
	defer os.Remove(asn)
	e, err := enrich.New(enrich.Config{City: city, ASN: asn}, enrich.Options{})
	if err != nil {
		return Report{}, err
	}
	defer e.Close()
	labels := stream.Labels()
	start := make(map[string]time.Time, len(labels))
	for _, l := range labels {
		if l.Sharing && l.SharingStart != nil {
			start[l.AccountID] = *l.SharingStart
		}
	}
	opts := scoring.Options{Locator: e, Model: model, KeepSummaries: true}
	if tap != nil {
		opts.Tap = func(ev *ingest.Event, x *scoring.Features) {
			t, ok := start[ev.AccountID]
			tap(x, ok && !ev.Time.Before(t))
		}
	}
	s, err := scoring.New(sc, opts)
	if err != nil {
		return Report{}, err
	}
	for {
		ev, ok := stream.Next()
		if !ok {
			break
		}
		s.Score(&ev)
	}
	return Evaluate(toLabels(labels), s.Summaries()), nil
}

func toLabels(ls []simulate.Label) []Label {
	out := make([]Label, len(ls))
	for i, l := range ls {
		out[i] = Label{AccountID: l.AccountID, Scenario: l.Scenario, Sharing: l.Sharing, SharingStart: l.SharingStart}
	}
	return out
}

// Fit simulates the training populations and fits a model on every
// event's features. Identical feature vectors are aggregated, so memory
// stays small however many events there are.
func Fit(pops []simulate.Config, sc scoring.Config, dir string, version string) (*scoring.Model, error) {
	agg := map[scoring.Features]*[2]float64{}
	prior, err := scoring.BuiltinModel()
	if err != nil {
		return nil, err
	}
	var seeds []uint64
	events := 0
	for _, pop := range pops {
		_, err := Run(pop, sc, prior, dir, func(x *scoring.Features, shared bool) {
			c := agg[*x]
			if c == nil {
				c = new([2]float64)
				agg[*x] = c
			}
			if shared {
				c[1]++
			} else {
				c[0]++
			}
			events++
		})
		if err != nil {
			return nil, err
		}
		seeds = append(seeds, pop.WithDefaults().Seed)
	}
	keys := make([]scoring.Features, 0, len(agg))
	for k := range agg {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		for f := range keys[i] {
			if keys[i][f] != keys[j][f] {
				return keys[i][f] < keys[j][f]
			}
		}
		return false
	})
	var samples []scoring.Sample
	for _, k := range keys {
		c := agg[k]
		if c[0] > 0 {
			samples = append(samples, scoring.Sample{X: k, Y: 0, Weight: c[0]})
		}
		if c[1] > 0 {
			samples = append(samples, scoring.Sample{X: k, Y: 1, Weight: c[1]})
		}
	}
	w, b, err := scoring.Fit(samples, scoring.FitOptions{})
	if err != nil {
		return nil, err
	}
	return &scoring.Model{
		Version:  version,
		Features: append([]string(nil), scoring.FeatureNames...),
		Weights:  w,
		Bias:     b,
		Trained: map[string]any{
			"populations":     len(pops),
			"seeds":           seeds,
			"events":          events,
			"distinct_inputs": len(keys),
			"method":          "L2-penalised logistic regression, gonum/optimize BFGS, event-weighted",
		},
	}, nil
}
