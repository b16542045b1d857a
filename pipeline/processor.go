// Package pipeline wires the stages together: decode → enrich → score →
// decide → write verdicts → tickets and holds. It is the only package that
// knows every stage; `run`, `score` and `demo` all go through Processor, so
// batch and streaming verdicts are the same.
package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sharewatch/sharewatch/ingest"
	"github.com/sharewatch/sharewatch/rules"
	"github.com/sharewatch/sharewatch/scoring"
	"github.com/sharewatch/sharewatch/tickets"
)

// VerdictWriter makes verdicts durable. Write returns only when they are,
// retrying internally; an error means the batch was not written and must
// not be committed.
type VerdictWriter interface {
	Write(ctx context.Context, vs []scoring.Verdict) error
}

// Actor carries out actions (tickets, holds) for verdicts whose action is
// not none, and for verdicts saying that a case came undone (see
// tickets.CameHome), which an actor with nothing open for the account
// ignores. Like VerdictWriter it returns once the intents are durable.
type Actor interface {
	Act(ctx context.Context, vs []scoring.Verdict) error
}

// Processor scores batches of events and hands the verdicts to the
// outputs. It is not safe for concurrent use; the consumer calls it from
// one goroutine, in partition order.
type Processor struct {
	scorer  *scoring.Scorer
	policy  *rules.Policy
	writers []VerdictWriter
	actors  []Actor
	log     *slog.Logger
	m       *procMetrics
	actFrom time.Time

	verdicts []scoring.Verdict
	acted    []scoring.Verdict
}

// ProcessorOptions builds a Processor.
type ProcessorOptions struct {
	Scorer     *scoring.Scorer
	Policy     *rules.Policy // nil: rules.Default()
	Writers    []VerdictWriter
	Actors     []Actor
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// ActFrom: events before it get no action (see Options.ActFrom).
	ActFrom time.Time
}

// NewProcessor builds a Processor.
func NewProcessor(o ProcessorOptions) (*Processor, error) {
	if o.Scorer == nil {
		return nil, fmt.Errorf("pipeline: a scorer is required")
	}
	if o.Policy == nil {
		o.Policy = rules.Default()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Processor{scorer: o.Scorer, policy: o.Policy, writers: o.Writers, actors: o.Actors, log: o.Logger, m: newProcMetrics(o.Registerer), actFrom: o.ActFrom}, nil
}

// Score scores events and applies the policy, without writing anything.
// The returned slice is reused by the next call.
func (p *Processor) Score(events []ingest.Event) []scoring.Verdict {
	p.verdicts = p.verdicts[:0]
	for i := range events {
		v, ok := p.scorer.Score(&events[i])
		if !ok {
			continue
		}
		p.decide(&v)
		p.verdicts = append(p.verdicts, v)
	}
	return p.verdicts
}

func (p *Processor) decide(v *scoring.Verdict) {
	if v.Time.Before(p.actFrom) {
		// Backfill: the verdict builds history and is written, but
		// nobody is contacted about the past.
		v.Action = string(rules.ActionNone)
		p.m.backfill.Inc()
		return
	}
	d := p.policy.Decide(v)
	v.Action = string(d.Action)
	if d.DryRun {
		p.m.dryRun.Inc()
		p.log.Debug("dry-run rule matched", "rule", d.Rule, "would", d.WouldAction, "account", v.AccountID, "event", v.EventID, "score", v.Score)
	}
	p.m.actions[d.Action].Inc()
}

// Write hands verdicts to every writer, then to every actor. It returns
// when all outputs have the batch durably.
func (p *Processor) Write(ctx context.Context, vs []scoring.Verdict) error {
	for _, w := range p.writers {
		if err := w.Write(ctx, vs); err != nil {
			return fmt.Errorf("writing verdicts: %w", err)
		}
	}
	if len(p.actors) == 0 {
		return nil
	}
	p.acted = p.acted[:0]
	for i := range vs {
		// A case that came undone is news for its open ticket (a
		// customer may be held wrongly), unless the verdict is backfill.
		if vs[i].Action != string(rules.ActionNone) || (tickets.CameHome(&vs[i]) && !vs[i].Time.Before(p.actFrom)) {
			p.acted = append(p.acted, vs[i])
		}
	}
	if len(p.acted) == 0 {
		return nil
	}
	for _, a := range p.actors {
		if err := a.Act(ctx, p.acted); err != nil {
			return fmt.Errorf("acting on verdicts: %w", err)
		}
	}
	return nil
}

// Process implements ingest.Processor: score the batch, then write it.
func (p *Processor) Process(ctx context.Context, batch []ingest.Record) error {
	p.verdicts = p.verdicts[:0]
	for i := range batch {
		v, ok := p.scorer.Score(&batch[i].Event)
		if !ok {
			continue
		}
		p.decide(&v)
		if t := batch[i].Time; !t.IsZero() {
			p.m.latency.Observe(time.Since(t).Seconds())
		}
		p.verdicts = append(p.verdicts, v)
	}
	return p.Write(ctx, p.verdicts)
}

type procMetrics struct {
	actions  map[rules.Action]prometheus.Counter
	dryRun   prometheus.Counter
	backfill prometheus.Counter
	latency  prometheus.Histogram
}

func newProcMetrics(reg prometheus.Registerer) *procMetrics {
	actions := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sharewatch_rules_actions_total",
		Help: "Verdicts by the action the policy decided.",
	}, []string{"action"})
	m := &procMetrics{
		actions: map[rules.Action]prometheus.Counter{},
		dryRun: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sharewatch_rules_dry_run_matches_total",
			Help: "Verdicts matched by a dry-run rule (logged, not actioned).",
		}),
		backfill: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sharewatch_pipeline_backfill_verdicts_total",
			Help: "Verdicts of events before the backfill's end (--act-from): written, never actioned.",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "sharewatch_pipeline_event_to_verdict_seconds",
			Help:    "Time from the Kafka message timestamp to its verdict.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
	}
	for _, a := range []rules.Action{rules.ActionNone, rules.ActionTicket, rules.ActionHold} {
		m.actions[a] = actions.WithLabelValues(string(a))
	}
	if reg != nil {
		reg.MustRegister(actions, m.dryRun, m.backfill, m.latency)
	}
	return m
}
