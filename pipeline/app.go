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
	"github.com/sharewatch/sharewatch/ingest"
	"github.com/sharewatch/sharewatch/rules"
	"github.com/sharewatch/sharewatch/scoring"
	"github.com/sharewatch/sharewatch/verdictstore"
)

// Options are what every mode shares.
type Options struct {
	Logger   *slog.Logger
	Registry *prometheus.Registry // nil: a fresh one
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
	closers    []io.Closer
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
	// Locator overrides the GeoIP enricher (tests).
	Locator scoring.Locator
	// ExtraWriters are added to the configured verdict writers.
	ExtraWriters []VerdictWriter
}

// BuildStages builds enrich → score → decide and, if asked, the outputs.
// ClickHouse migrations are applied before it returns.
func BuildStages(ctx context.Context, cfg config.Config, o StageOptions) (*Stages, error) {
	o.fill()
	st := &Stages{}
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
	sc, err := scoring.New(cfg.Scoring, scoring.Options{Locator: loc, Logger: o.Logger, Registerer: o.Registry, KeepSummaries: o.KeepSummaries})
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
	p, err := NewProcessor(ProcessorOptions{Scorer: sc, Policy: policy, Writers: writers, Logger: o.Logger, Registerer: o.Registry})
	if err != nil {
		st.Close()
		return nil, err
	}
	st.Processor = p
	return st, nil
}

// Run is `sharewatch run`: consume, score, write, act, until ctx ends.
func Run(ctx context.Context, cfg config.Config, o Options) error {
	o.fill()
	o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	st, err := BuildStages(ctx, cfg, StageOptions{Options: o, Outputs: true})
	if err != nil {
		return err
	}
	defer st.Close()
	cons, err := ingest.NewConsumer(cfg.Kafka, ingest.Options{Logger: o.Logger, Registerer: o.Registry, Processor: st.Processor})
	if err != nil {
		return err
	}
	return serve(ctx, cfg.Server.Listen, o, func(g *errgroup.Group, ctx context.Context) {
		if st.Enricher != nil {
			g.Go(func() error { return st.Enricher.Run(ctx) })
		}
		g.Go(func() error { return cons.Run(ctx) })
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
