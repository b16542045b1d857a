package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/sharewatch/sharewatch/config"
	"github.com/sharewatch/sharewatch/ingest"
	"github.com/sharewatch/sharewatch/internal/testch"
	"github.com/sharewatch/sharewatch/pipeline"
	"github.com/sharewatch/sharewatch/simulate"
)

func TestMain(m *testing.M) {
	code := testch.Run(m)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// population is a simulated population, its contract events as JSON lines
// and the GeoIP databases for its addresses.
type population struct {
	cfg       simulate.Config
	city, asn string
	events    []ingest.Event
	lines     [][]byte // events[i] as contract JSON, without newline
	labels    []simulate.Label
}

// newPopulation simulates accounts over days and writes the GeoIP databases
// into a temporary directory.
func newPopulation(tb testing.TB, accounts, days int, seed uint64) *population {
	tb.Helper()
	cfg := simulate.Config{Accounts: accounts, Days: days, Seed: seed}
	s, err := simulate.NewStream(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	p := &population{cfg: cfg, city: filepath.Join(dir, "city.mmdb"), asn: filepath.Join(dir, "asn.mmdb"), labels: s.Labels()}
	if err := simulate.WriteGeoIP(cfg, p.city, p.asn); err != nil {
		tb.Fatal(err)
	}
	for ev := range s.All() {
		p.events = append(p.events, ev)
		p.lines = append(p.lines, simulate.AppendJSON(nil, ev))
	}
	if len(p.events) == 0 {
		tb.Fatal("simulated population has no events")
	}
	return p
}

// jsonl joins lines with newlines, with a trailing newline.
func jsonl(lines [][]byte) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		b.Write(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// scoringConfig is the default config reading p's GeoIP databases, without
// reloading them.
func (p *population) scoringConfig() config.Config {
	cfg := config.Default()
	cfg.GeoIP.City, cfg.GeoIP.ASN = p.city, p.asn
	cfg.GeoIP.ReloadInterval = 0
	return cfg
}

// batchStages builds what `sharewatch score` builds without --config:
// scoring only, keeping every account's summary.
func batchStages(tb testing.TB, p *population) *pipeline.Stages {
	tb.Helper()
	st, err := pipeline.BuildStages(context.Background(), p.scoringConfig(), pipeline.StageOptions{KeepSummaries: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := st.Close(); err != nil {
			tb.Error(err)
		}
	})
	return st
}
