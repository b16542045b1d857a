package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/sharewatch/sharewatch/config"
	"github.com/sharewatch/sharewatch/enrich"
	"github.com/sharewatch/sharewatch/holds"
	"github.com/sharewatch/sharewatch/ingest"
	"github.com/sharewatch/sharewatch/rules"
	"github.com/sharewatch/sharewatch/scoring"
	"github.com/sharewatch/sharewatch/tickets"
	"github.com/sharewatch/sharewatch/verdictstore"
)

// Options are what every mode shares.
type Options struct {
	Logger   *slog.Logger
	Registry *prometheus.Registry // nil: a fresh one
	// ActFrom, when set, makes the events before it a backfill: they are
	// scored and their verdicts written, but they open no ticket and
	// place no hold. Replaying weeks of logins with it gives a new
	// deployment (or a restart) accounts with history before it acts.
	ActFrom time.Time
	// StateFile, for Run: where the scorer's state is kept across clean
	// restarts (see runstate.go). Empty: every start is a cold start.
	StateFile string
}

func (o *Options) fill() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
}

// Stages are the scoring stages and the configured outputs, built from a
// config the same way for run, score and demo.
type Stages struct {
	Enricher   *enrich.Enricher
	Scorer     *scoring.Scorer
	Processor  *Processor
	ClickHouse *verdictstore.ClickHouse // nil when disabled
	Holder     *holds.Holder            // nil when holds are off
	Tickets    *tickets.Manager         // nil when the helpdesk is none
	closers    []io.Closer
	log        *slog.Logger
}

// Close closes every output.
func (s *Stages) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i].Close())
	}
	return errors.Join(errs...)
}

// StageOptions select what BuildStages wires.
type StageOptions struct {
	Options
	// Outputs enables the configured outputs (ClickHouse, verdict file,
	// helpdesk, holds); without it only scoring is built.
	Outputs bool
	// KeepSummaries keeps evicted accounts' summaries (batch mode).
	KeepSummaries bool
	// CountFrom ends a warm-up: see scoring.Options.CountFrom.
	CountFrom time.Time
	// Locator overrides the GeoIP enricher (tests).
	Locator scoring.Locator
	// ExtraWriters are added to the configured verdict writers.
	ExtraWriters []VerdictWriter
	// ConfigPath is quoted in tickets' "full history" command.
	ConfigPath string
}

// BuildStages builds enrich → score → decide and, if asked, the outputs.
// ClickHouse migrations are applied before it returns.
func BuildStages(ctx context.Context, cfg config.Config, o StageOptions) (*Stages, error) {
	o.fill()
	st := &Stages{log: o.Logger}
	loc := o.Locator
	if loc == nil {
		e, err := enrich.New(cfg.GeoIP, enrich.Options{Logger: o.Logger, Registerer: o.Registry})
		if err != nil {
			return nil, err
		}
		st.Enricher = e
		st.closers = append(st.closers, e)
		loc = e
	}
	sc, err := scoring.New(cfg.Scoring, scoring.Options{Locator: loc, Logger: o.Logger, Registerer: o.Registry, KeepSummaries: o.KeepSummaries, CountFrom: o.CountFrom})
	if err != nil {
		st.Close()
		return nil, err
	}
	st.Scorer = sc
	policy := rules.Default()
	if cfg.Rules.Policy != "" {
		if policy, err = rules.Load(cfg.Rules.Policy); err != nil {
			st.Close()
			return nil, err
		}
	}
	var writers []VerdictWriter
	if o.Outputs {
		if cfg.Verdicts.Path != "" {
			j, err := verdictstore.NewJSONL(verdictstore.JSONLOptions{Path: cfg.Verdicts.Path, Logger: o.Logger})
			if err != nil {
				st.Close()
				return nil, err
			}
			st.closers = append(st.closers, j)
			writers = append(writers, j)
		}
		if cfg.ClickHouse.On() {
			ch, err := verdictstore.NewClickHouse(verdictstore.ClickHouseOptions{Config: cfg.ClickHouse.Config, Logger: o.Logger, Registerer: o.Registry})
			if err != nil {
				st.Close()
				return nil, err
			}
			st.closers = append(st.closers, ch)
			if err := ch.Migrate(ctx); err != nil {
				st.Close()
				return nil, fmt.Errorf("clickhouse migrations: %w", err)
			}
			st.ClickHouse = ch
			writers = append(writers, ch)
		}
	}
	writers = append(writers, o.ExtraWriters...)
	var actors []Actor
	if o.Outputs {
		if err := st.buildActors(cfg, o); err != nil {
			st.Close()
			return nil, err
		}
		if st.Holder != nil {
			actors = append(actors, st.Holder) // before tickets: they ask whether the hold was placed
		}
		if st.Tickets != nil {
			actors = append(actors, st.Tickets)
		}
	}
	p, err := NewProcessor(ProcessorOptions{Scorer: sc, Policy: policy, Writers: writers, Actors: actors, Logger: o.Logger, Registerer: o.Registry, ActFrom: o.ActFrom})
	if err != nil {
		st.Close()
		return nil, err
	}
	st.Processor = p
	return st, nil
}

func (st *Stages) buildActors(cfg config.Config, o StageOptions) error {
	var audit interface {
		WriteActions(context.Context, []verdictstore.ActionRecord) error
	}
	if st.ClickHouse != nil {
		audit = st.ClickHouse
	}
	if cfg.Holds.On() {
		pub, err := holds.NewKafkaPublisher(holds.KafkaOptions{Brokers: cfg.Kafka.Brokers, Topic: cfg.Holds.Topic})
		if err != nil {
			return err
		}
		st.closers = append(st.closers, pub)
		ho := holds.Options{
			Config: cfg.Holds, Publishers: []holds.Publisher{pub}, ActiveAccounts: st.Scorer.Accounts,
			TicketRef: func(id string) string {
				if st.Tickets == nil {
					return ""
				}
				return st.Tickets.TicketRef(id)
			},
			Logger: o.Logger, Registerer: o.Registry,
		}
		if audit != nil {
			ho.Audit = audit
		}
		h, err := holds.New(ho)
		if err != nil {
			return err
		}
		st.Holder = h
	}
	if cfg.Helpdesk.Kind != "none" {
		hd, err := cfg.Helpdesk.NewHelpdesk()
		if err != nil {
			return err
		}
		mo := tickets.ManagerOptions{Helpdesk: hd, Config: cfg.Helpdesk, ConfigPath: o.ConfigPath, Logger: o.Logger, Registerer: o.Registry}
		if audit != nil {
			mo.Audit = audit
		}
		if st.Holder != nil {
			mo.HoldPlaced = st.Holder.Held
		} else {
			mo.HoldPlaced = func(string) bool { return false }
		}
		m, err := tickets.NewManager(mo)
		if err != nil {
			return err
		}
		st.Tickets = m
		st.closers = append(st.closers, m)
	}
	return nil
}

// StartWorkers starts the outputs' background loops in g: the helpdesk
// sender, the analyst-decision poller and GeoIP reloads.
func (st *Stages) StartWorkers(ctx context.Context, g *errgroup.Group, pollInterval time.Duration) {
	if st.Enricher != nil {
		g.Go(func() error { return st.Enricher.Run(ctx) })
	}
	if st.ClickHouse != nil {
		g.Go(func() error { return st.retention(ctx) })
	}
	if st.Tickets == nil {
		return
	}
	g.Go(func() error { return st.Tickets.Run(ctx) })
	g.Go(func() error { return st.Tickets.PollDecisions(ctx, pollInterval, st.decide) })
}

// retention drops verdict and action partitions older than the configured
// retention, at start and then daily. A failure is logged and retried the
// next day; it never stops the pipeline.
func (st *Stages) retention(ctx context.Context) error {
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		dropped, err := st.ClickHouse.ApplyRetention(ctx, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			st.log.Warn("clickhouse retention failed; retrying tomorrow", "err", err)
		case len(dropped) > 0:
			st.log.Info("clickhouse retention dropped partitions", "partitions", dropped)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// decide applies an analyst's decision: not sharing releases any hold and
// teaches the scorer that the account's current lines are its own.
// (The manager records the decision in the audit log itself.)
func (st *Stages) decide(d tickets.Decision) error {
	st.log.Info("analyst decision", "account", d.AccountID, "outcome", d.Outcome, "ticket", d.Ref, "analyst", d.Analyst)
	if d.Outcome != tickets.OutcomeNotSharing {
		return nil // confirmed: the hold stays
	}
	st.Scorer.Teach(d.AccountID)
	if st.Holder != nil {
		return st.Holder.Release(context.Background(), d.AccountID, d.Reason, d.Analyst)
	}
	return nil
}

// Run is `sharewatch run`: consume, score, write, act, until ctx ends.
func Run(ctx context.Context, cfg config.Config, configPath string, o Options) error {
	o.fill()
	o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	st, err := BuildStages(ctx, cfg, StageOptions{Options: o, Outputs: true, ConfigPath: configPath})
	if err != nil {
		return err
	}
	defer st.Close()
	cons, err := ingest.NewConsumer(cfg.Kafka, ingest.Options{Logger: o.Logger, Registerer: o.Registry, Processor: st.Processor})
	if err != nil {
		return err
	}
	return serve(ctx, cfg.Server.Listen, o, func(g *errgroup.Group, ctx context.Context) {
		st.StartWorkers(ctx, g, cfg.Helpdesk.PollInterval)
		g.Go(func() error {
			// The state is read while /healthz and /metrics are up: it
			// may wait for the broker.
			var start map[int]int64
			if o.StateFile != "" {
				var err error
				if start, err = restoreRunState(ctx, cfg, st.Scorer, o.StateFile, o.Logger); err != nil {
					if ctx.Err() != nil {
						return nil // stopped while waiting for the broker
					}
					return err
				}
			}
			if err := cons.Run(ctx); err != nil {
				return err // not a clean stop: the next start is a cold one
			}
			if o.StateFile == "" {
				return nil
			}
			processed, rewound := cons.Processed()
			if rewound {
				// The state may hold events past the offsets it could
				// record. The old file stays: it still matches if nothing
				// was committed since, else the next start is cold.
				o.Logger.Warn("a partition was read again during the run (a rebalance); the state is not saved", "state", o.StateFile)
				return nil
			}
			return saveRunState(st.Scorer, start, processed, o.StateFile, o.Logger)
		})
	})
}

// serve runs the HTTP listener beside the workers started by start, and
// shuts everything down when ctx ends or any worker fails.
func serve(ctx context.Context, listen string, o Options, start func(*errgroup.Group, context.Context)) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("server.listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{Registry: o.Registry}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	o.Logger.Info("listening", "addr", ln.Addr().String())
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	start(g, gctx)
	return g.Wait()
}
