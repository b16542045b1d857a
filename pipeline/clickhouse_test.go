package pipeline_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/sharewatch/sharewatch/internal/readmesql"
	"github.com/sharewatch/sharewatch/internal/testch"
	"github.com/sharewatch/sharewatch/pipeline"
	"github.com/sharewatch/sharewatch/scoring"
	"github.com/sharewatch/sharewatch/simulate"
	"github.com/sharewatch/sharewatch/tickets"
	"github.com/sharewatch/sharewatch/verdictstore"
)

// TestBackfillIntoClickHouse is the verdict-store issue's "done when":
// `score --config` over a simulated population leaves exactly one verdict
// row per distinct event after FINAL, a second run leaves the count
// unchanged, and explain shows a readable history for a flagged account.
func TestBackfillIntoClickHouse(t *testing.T) {
	dsn := testch.Start(t)
	p := newPopulation(t, 60, 14, 5)
	cfg := p.scoringConfig()
	on, off := true, false
	cfg.ClickHouse.Enabled = &on
	cfg.ClickHouse.DSN = dsn
	cfg.ClickHouse.Database = ""
	cfg.ClickHouse.Config = cfg.ClickHouse.Config.WithDefaults()
	cfg.Helpdesk.Kind = tickets.KindNone
	cfg.Holds.Enabled = &off

	var in bytes.Buffer
	for _, l := range p.lines {
		in.Write(l)
		in.WriteByte('\n')
	}
	distinct := map[string]bool{}
	for _, ev := range p.events {
		distinct[ev.EventID] = true
	}
	ctx := context.Background()
	var flagged string
	for run := 0; run < 2; run++ {
		st, err := pipeline.BuildStages(ctx, cfg, pipeline.StageOptions{Outputs: true, KeepSummaries: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pipeline.ScoreStream(ctx, st.Processor, pipeline.BatchOptions{In: bytes.NewReader(in.Bytes()), Out: io.Discard}); err != nil {
			t.Fatal(err)
		}
		for _, s := range st.Scorer.Summaries() {
			if s.Verdict.Flagged() && flagged == "" {
				flagged = s.AccountID
			}
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		if got := countFinal(t, dsn, cfg.ClickHouse.Database); got != uint64(len(distinct)) {
			t.Fatalf("run %d: %d verdict rows after FINAL, want %d distinct events", run+1, got, len(distinct))
		}
	}
	t.Run("README queries run", func(t *testing.T) { runReadmeQueries(t, dsn, cfg.ClickHouse.Database) })
	if flagged == "" {
		t.Skip("no flagged account in this population")
	}
	store, err := verdictstore.NewClickHouse(verdictstore.ClickHouseOptions{Config: cfg.ClickHouse.Config})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var out strings.Builder
	if err := pipeline.Explain(ctx, store, flagged, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"account " + flagged, "places", "devices:", "verdict changes:", scoring.LabelSuspectedSharing.String(), "reasons:", "actions:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("explain output lacks %q:\n%s", want, out.String())
		}
	}
	t.Logf("explain %s:\n%s", flagged, out.String())
}

func countFinal(t *testing.T, dsn, db string) uint64 {
	t.Helper()
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n uint64
	if err := conn.QueryRow(context.Background(), "SELECT count() FROM "+db+".verdicts FINAL").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// runReadmeQueries runs every statement of the README's SQL block against
// the test database, so the documented analyst queries stay valid.
func runReadmeQueries(t *testing.T, dsn, db string) {
	queries, err := readmesql.Queries("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	n := 0
	for _, q := range queries {
		n++
		q = strings.ReplaceAll(q, "sharewatch.", db+".")
		rows, err := conn.Query(context.Background(), q)
		if err != nil {
			t.Errorf("README query fails on ClickHouse: %v\n%s", err, q)
			continue
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			t.Errorf("README query: %v\n%s", err, q)
		}
		rows.Close()
	}
	if n < 4 {
		t.Errorf("ran %d README queries, want at least 4", n)
	}
}

// TestDemoWithClickHouse runs `sharewatch demo --clickhouse DSN` on a
// small population: the summary is printed and ClickHouse holds one
// verdict per event.
func TestDemoWithClickHouse(t *testing.T) {
	dsn := testch.Start(t)
	var out strings.Builder
	pop := simulate.Config{Accounts: 40, Days: 5, Seed: 3}
	err := pipeline.Demo(context.Background(), pipeline.DemoOptions{Population: pop, Dir: t.TempDir(), ClickHouseDSN: dsn, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"events/s", "accounts by true scenario", "example explanations", "tickets opened", "holds placed", "dead-lettered 3"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	st, err := simulate.NewStream(pop)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range st.All() {
		n++
	}
	db := dsn[strings.LastIndex(dsn, "/")+1:]
	if got := countFinal(t, dsn, db); got != uint64(n) {
		t.Errorf("%d verdict rows after FINAL, want %d events", got, n)
	}
}
