package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"

	"github.com/sharewatch/sharewatch/config"
	"github.com/sharewatch/sharewatch/evaluate"
	"github.com/sharewatch/sharewatch/ingest"
	"github.com/sharewatch/sharewatch/internal/testkafka"
	"github.com/sharewatch/sharewatch/scoring"
	"github.com/sharewatch/sharewatch/simulate"
	"github.com/sharewatch/sharewatch/tickets"
)

// DemoOptions configure `sharewatch demo`.
type DemoOptions struct {
	Options
	// Population is simulated into the embedded broker.
	Population simulate.Config
	// Dir receives the GeoIP databases, verdicts, tickets and hold state.
	// Default: ./sharewatch-demo
	Dir string
	// ClickHouseDSN, when set, also writes verdicts and actions to ClickHouse.
	ClickHouseDSN string
	// Listen serves /metrics and /healthz while the demo runs; "" disables.
	Listen string
	// Partitions of the logins topic. Default: 4
	Partitions int
	// Linger keeps the pipeline and the HTTP listener up after the
	// population is scored, until ctx ends (to scrape its metrics).
	Linger bool
	// Out receives the summary.
	Out io.Writer
}

// demo topics
const (
	demoTopic = "logins"
	demoDLQ   = "logins.dlq"
	demoHolds = "account-holds"
)

// Demo runs the production pipeline against an in-process Kafka-protocol
// broker (kfake) loaded with a simulated population, then prints a summary.
func Demo(ctx context.Context, o DemoOptions) error {
	o.fill()
	o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if o.Dir == "" {
		o.Dir = "sharewatch-demo"
	}
	if o.Partitions == 0 {
		o.Partitions = 4
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	// Start from a clean slate: outputs of an earlier demo would make
	// tickets look like duplicates of nothing.
	for _, sub := range []string{"verdicts.jsonl", "accounts.jsonl", "tickets", "holds", "city.mmdb", "asn.mmdb", "labels.jsonl"} {
		if err := os.RemoveAll(filepath.Join(o.Dir, sub)); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return err
	}
	pop := o.Population.WithDefaults()
	stream, err := simulate.NewStream(pop)
	if err != nil {
		return err
	}
	city, asn := filepath.Join(o.Dir, "city.mmdb"), filepath.Join(o.Dir, "asn.mmdb")
	if err := simulate.WriteGeoIP(pop, city, asn); err != nil {
		return err
	}
	labels := stream.Labels()
	if err := writeLabels(filepath.Join(o.Dir, "labels.jsonl"), labels); err != nil {
		return err
	}

	broker, err := testkafka.Start(ctx, testkafka.Options{Partitions: o.Partitions, Topics: []string{demoTopic, demoDLQ, demoHolds}})
	if err != nil {
		return fmt.Errorf("starting embedded broker: %w", err)
	}
	defer broker.Close()

	cfg := config.Default()
	cfg.Kafka.Brokers = broker.Addrs()
	cfg.Kafka.Topic, cfg.Kafka.DLQTopic, cfg.Kafka.Group = demoTopic, demoDLQ, "sharewatch-demo"
	cfg.GeoIP.City, cfg.GeoIP.ASN = city, asn
	cfg.Verdicts.Path = filepath.Join(o.Dir, "verdicts.jsonl")
	on := o.ClickHouseDSN != ""
	cfg.ClickHouse.Enabled = &on
	if on {
		cfg.ClickHouse.DSN = o.ClickHouseDSN
	}
	cfg.Helpdesk.Kind = "file"
	cfg.Helpdesk.File.Dir = filepath.Join(o.Dir, "tickets", "queue")
	cfg.Helpdesk.OutboxDir = filepath.Join(o.Dir, "tickets", "outbox")
	cfg.Helpdesk.PollInterval = time.Second
	cfg.Holds.Topic = demoHolds
	cfg.Holds.StateDir = filepath.Join(o.Dir, "holds")
	if err := cfg.Validate(); err != nil {
		return err
	}

	st, err := BuildStages(ctx, cfg, StageOptions{Options: o.Options, Outputs: true, KeepSummaries: true, ConfigPath: "sharewatch.yml"})
	if err != nil {
		return err
	}
	defer st.Close()
	var processed atomic.Int64
	done := make(chan struct{})
	var want atomic.Int64
	want.Store(-1)
	proc := ingest.ProcessorFunc(func(ctx context.Context, batch []ingest.Record) error {
		if err := st.Processor.Process(ctx, batch); err != nil {
			return err
		}
		if n := processed.Add(int64(len(batch))); n == want.Load() {
			close(done)
		}
		return nil
	})
	cons, err := ingest.NewConsumer(cfg.Kafka, ingest.Options{Logger: o.Logger, Registerer: o.Registry, Processor: proc})
	if err != nil {
		return err
	}

	fmt.Fprintf(o.Out, "sharewatch demo: %d accounts over %d days (seed %d, profile %s), embedded Kafka at %s\n",
		pop.Accounts, pop.Days, pop.Seed, pop.Profile, strings.Join(broker.Addrs(), ","))
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	g, gctx := errgroup.WithContext(runCtx)
	if o.Listen != "" {
		g.Go(func() error {
			return serve(gctx, o.Listen, o.Options, func(*errgroup.Group, context.Context) {})
		})
	}
	st.StartWorkers(gctx, g, cfg.Helpdesk.PollInterval)
	start := time.Now()
	var valid, bad int64
	g.Go(func() error {
		v, b, err := produce(gctx, cfg.Kafka.Brokers, stream)
		valid, bad = v, b
		if err != nil {
			return err
		}
		want.Store(v)
		if processed.Load() == v {
			close(done)
		}
		return nil
	})
	g.Go(func() error { return cons.Run(gctx) })
	g.Go(func() error {
		select {
		case <-done:
		case <-gctx.Done():
			return nil
		}
		elapsed := time.Since(start)
		// Let the helpdesk sender drain the outbox before reporting.
		for i := 0; i < 200 && st.Tickets != nil && st.Tickets.Pending() > 0; i++ {
			time.Sleep(50 * time.Millisecond)
		}
		if err := summarize(o.Out, elapsed, valid, bad, broker, st, cfg, labels); err != nil {
			return err
		}
		if o.Linger {
			fmt.Fprintf(o.Out, "\nstill serving %s/metrics; Ctrl-C to stop\n", o.Listen)
			return nil
		}
		stopRun()
		return nil
	})
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// produce loads the population into the logins topic, plus three malformed
// messages that must end up on the dead-letter topic.
func produce(ctx context.Context, brokers []string, stream *simulate.Stream) (valid, bad int64, err error) {
	p, err := ingest.NewProducer(brokers, demoTopic)
	if err != nil {
		return 0, 0, err
	}
	defer p.Close()
	malformed := []kafka.Message{
		{Key: []byte("acc-bad"), Value: []byte(`{"event_id":"bad-1","type":"login",`)},
		{Key: []byte("acc-bad"), Value: []byte(`{"event_id":"bad-2","type":"login","time":"2026-10-01T18:00:00Z","account_id":"acc-bad","ip":"81.2.69.1"}`)},
		{Key: []byte("acc-bad"), Value: []byte(`{"event_id":"bad-3","type":"login","time":"2026-10-01T18:00:00Z","account_id":"acc-bad","device_id":"d","ip":"999.1.1.1"}`)},
	}
	if err := p.ProduceRaw(ctx, malformed...); err != nil {
		return 0, 0, err
	}
	bad = int64(len(malformed))
	batch := make([]kafka.Message, 0, 2000)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := p.ProduceRaw(ctx, batch...)
		batch = batch[:0]
		return err
	}
	for {
		ev, ok := stream.Next()
		if !ok {
			break
		}
		batch = append(batch, kafka.Message{Key: []byte(ev.AccountID), Value: simulate.AppendJSON(nil, ev)})
		valid++
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return valid, bad, err
			}
		}
	}
	return valid, bad, flush()
}

func writeLabels(path string, labels []simulate.Label) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := simulate.WriteLabels(f, labels); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// summarize prints what the demo did.
func summarize(w io.Writer, elapsed time.Duration, valid, bad int64, broker *testkafka.Cluster, st *Stages, cfg config.Config, labels []simulate.Label) error {
	sums := st.Scorer.Summaries()
	byID := make(map[string]*scoring.AccountSummary, len(sums))
	for i := range sums {
		byID[sums[i].AccountID] = &sums[i]
	}
	af, err := os.Create(filepath.Join(filepath.Dir(cfg.Verdicts.Path), "accounts.jsonl"))
	if err == nil {
		err = WriteSummaries(af, sums)
		af.Close()
	}
	if err != nil {
		return err
	}
	dead := int64(0)
	if offs, err := broker.EndOffsets(demoDLQ); err == nil {
		for _, n := range offs {
			dead += n
		}
	}
	fmt.Fprintf(w, "\nconsumed %d events in %.1fs: %.0f events/s end to end (kafka-go consumer group → score → verdict file%s)\n",
		valid+bad, elapsed.Seconds(), float64(valid+bad)/elapsed.Seconds(), map[bool]string{true: " + ClickHouse", false: ""}[cfg.ClickHouse.On()])
	fmt.Fprintf(w, "dead-lettered %d malformed messages to %s (reason in header sharewatch-dlq-reason)\n\n", dead, demoDLQ)

	// Verdicts by true scenario: the most severe verdict each account reached.
	fmt.Fprintln(w, "accounts by true scenario and the most severe verdict they reached:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "scenario\taccounts\tok\ttravel\tsuspected_sharing\tsharing\t\n")
	counts := map[string]*[5]int{}
	for _, l := range labels {
		c := counts[l.Scenario]
		if c == nil {
			c = new([5]int)
			counts[l.Scenario] = c
		}
		c[0]++
		if s := byID[l.AccountID]; s != nil {
			c[1+int(s.Verdict)]++
		} else {
			c[1]++
		}
	}
	for _, sc := range simulate.Scenarios {
		c := counts[sc]
		if c == nil {
			continue
		}
		kind := ""
		if simulate.IsSharing(sc) {
			kind = " (sharing)"
		}
		fmt.Fprintf(tw, "%s%s\t%d\t%d\t%d\t%d\t%d\t\n", sc, kind, c[0], c[1], c[2], c[3], c[4])
	}
	tw.Flush()
	fmt.Fprintln(w)
	rep := evaluate.Evaluate(evaluate.LabelsOf(labels), sums)
	fmt.Fprintf(w, "honest accounts flagged sharing %.1f%%, suspected or worse %.1f%%; sharing accounts flagged sharing %.1f%%, suspected or worse %.1f%%; median time to detect %.0fh\n",
		100*rep.Model.HonestSharing, 100*rep.Model.HonestFlagged, 100*rep.Model.RecallSharing, 100*rep.Model.RecallFlagged, rep.Model.TTDMedian.Hours())
	fmt.Fprintf(w, "the naive impossible-travel rule would flag %.1f%% of honest accounts\n\n", 100*rep.Baseline.HonestFlagged)

	fmt.Fprintln(w, "example explanations:")
	for _, ex := range examples(labels, byID) {
		fmt.Fprintf(w, "  %s (%s, truly %s): %s\n    %s\n", ex.AccountID, ex.Verdict, ex.scenario, strings.Join(ex.Reasons, ", "), ex.Explanation)
	}
	fmt.Fprintln(w)

	if st.Tickets != nil {
		q, err := tickets.NewFileQueue(cfg.Helpdesk.File.Dir)
		if err == nil {
			ts, err := q.List(false)
			if err == nil {
				prio := map[string]int{}
				for _, t := range ts {
					prio[t.Priority.String()]++
				}
				fmt.Fprintf(w, "tickets opened: %d in %s (by priority: %s); %d intents still in the outbox\n", len(ts), cfg.Helpdesk.File.Dir, formatCounts(prio), st.Tickets.Pending())
				sort.Slice(ts, func(i, j int) bool { return ts[i].Created.Before(ts[j].Created) })
				for i, t := range ts {
					if i == 3 {
						fmt.Fprintf(w, "  ...\n")
						break
					}
					fmt.Fprintf(w, "  %s %s [%s] %s\n", t.Ref, t.AccountID, t.Priority, t.Subject)
				}
			}
		}
	}
	if st.Holder != nil {
		b := st.Holder.Brake()
		state := "off"
		if b.Engaged {
			state = "ENGAGED: " + b.Reason
		}
		fmt.Fprintf(w, "holds placed: %d, published to %s; blast-radius brake %s\n", st.Holder.HeldCount(), demoHolds, state)
	}
	fmt.Fprintf(w, "verdicts: %s; account summaries: %s\n", cfg.Verdicts.Path, filepath.Join(filepath.Dir(cfg.Verdicts.Path), "accounts.jsonl"))
	return nil
}

type example struct {
	scoring.AccountSummary
	scenario string
}

// examples picks a sharing account, a traveller and an honest household.
func examples(labels []simulate.Label, byID map[string]*scoring.AccountSummary) []example {
	var out []example
	pick := func(match func(l simulate.Label, s *scoring.AccountSummary) bool) {
		for _, l := range labels {
			if s := byID[l.AccountID]; s != nil && match(l, s) {
				out = append(out, example{*s, l.Scenario})
				return
			}
		}
	}
	pick(func(l simulate.Label, s *scoring.AccountSummary) bool {
		return l.Scenario == simulate.ScenarioFriendSharer && s.Verdict == scoring.LabelSharing
	})
	pick(func(l simulate.Label, s *scoring.AccountSummary) bool {
		return l.Scenario == simulate.ScenarioTraveller && s.Verdict == scoring.LabelTravel
	})
	pick(func(l simulate.Label, s *scoring.AccountSummary) bool {
		return l.Scenario == simulate.ScenarioVPNUser && s.Verdict == scoring.LabelOK
	})
	return out
}

func formatCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
