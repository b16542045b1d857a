package scoring_test

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/sharewatch/sharewatch/enrich"
	"github.com/sharewatch/sharewatch/ingest"
	"github.com/sharewatch/sharewatch/scoring"
	"github.com/sharewatch/sharewatch/simulate"
)

// memLocator answers from a map filled from the real enricher beforehand,
// so that a benchmark measures scoring alone, not GeoIP lookups.
type memLocator map[netip.Addr]enrich.Location

func (m memLocator) Lookup(ip netip.Addr) enrich.Location { return m[ip] }

// benchWorld is a simulated population's events with an enricher over its
// GeoIP databases, and the same lookups in memory.
type benchWorld struct {
	events   []ingest.Event
	enricher *enrich.Enricher
	mem      memLocator
}

func newBenchWorld(b testing.TB, cfg simulate.Config) *benchWorld {
	b.Helper()
	s, err := simulate.NewStream(cfg)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	city, asn := filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")
	if err := simulate.WriteGeoIP(cfg, city, asn); err != nil {
		b.Fatal(err)
	}
	e, err := enrich.New(enrich.Config{City: city, ASN: asn}, enrich.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	w := &benchWorld{enricher: e, mem: memLocator{}}
	for ev := range s.All() {
		w.events = append(w.events, ev)
		if _, ok := w.mem[ev.IP]; !ok {
			w.mem[ev.IP] = e.Lookup(ev.IP)
		}
	}
	return w
}

func newScorer(b *testing.B, loc scoring.Locator) *scoring.Scorer {
	b.Helper()
	s, err := scoring.New(scoring.DefaultConfig(), scoring.Options{Locator: loc})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkScore measures Scorer.Score on a simulated population (300
// accounts, 14 days), one fresh scorer per pass over its events. The
// memory locator isolates scoring; the enricher adds real GeoIP lookups
// (through its cache).
func BenchmarkScore(b *testing.B) {
	w := newBenchWorld(b, simulate.Config{Accounts: 300, Days: 14, Seed: 1})
	for _, bc := range []struct {
		name string
		loc  scoring.Locator
	}{
		{"locator=memory", w.mem},
		{"locator=enricher", w.enricher},
	} {
		b.Run(bc.name, func(b *testing.B) {
			verdicts := 0
			for b.Loop() {
				b.StopTimer()
				s := newScorer(b, bc.loc)
				b.StartTimer()
				for i := range w.events {
					if _, ok := s.Score(&w.events[i]); ok {
						verdicts++
					}
				}
			}
			if verdicts == 0 {
				b.Fatal("no verdicts")
			}
			b.ReportMetric(float64(b.N*len(w.events))/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(w.events)), "ns/event")
		})
	}
}

// BenchmarkStateBytesPerAccount scores a whole population of 30 days and
// reports the live heap the scorer holds afterwards, per account: for the
// default scenario mix and for each scenario alone.
func BenchmarkStateBytesPerAccount(b *testing.B) {
	cases := []struct {
		name     string
		accounts int
		mix      map[string]float64
	}{{"mix=default", 500, nil}}
	for _, sc := range simulate.Scenarios {
		cases = append(cases, struct {
			name     string
			accounts int
			mix      map[string]float64
		}{"scenario=" + sc, 100, map[string]float64{sc: 1}})
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			w := newBenchWorld(b, simulate.Config{Accounts: bc.accounts, Days: 30, Seed: 2, Mix: bc.mix})
			var perAccount, checkpoint float64
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				s := newScorer(b, w.mem)
				for i := range w.events {
					s.Score(&w.events[i])
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				if s.Accounts() == 0 {
					b.Fatal("no accounts held")
				}
				perAccount = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(s.Accounts())
				var cw countingWriter
				if err := s.Checkpoint(&cw); err != nil {
					b.Fatal(err)
				}
				checkpoint = float64(cw) / float64(s.Accounts())
				runtime.KeepAlive(s)
			}
			runtime.KeepAlive(w)
			b.ReportMetric(perAccount, "bytes/account")
			b.ReportMetric(checkpoint, "checkpoint-bytes/account")
			b.ReportMetric(float64(len(w.events))/float64(bc.accounts), "events/account")
		})
	}
}

type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// BenchmarkCheckpoint measures writing and restoring the state of a scored
// population (500 accounts, 30 days), per account.
func BenchmarkCheckpoint(b *testing.B) {
	w := newBenchWorld(b, simulate.Config{Accounts: 500, Days: 30, Seed: 2})
	s := newScorer(b, w.mem)
	for i := range w.events {
		s.Score(&w.events[i])
	}
	var buf bytes.Buffer
	if err := s.Checkpoint(&buf); err != nil {
		b.Fatal(err)
	}
	b.Run("write", func(b *testing.B) {
		for b.Loop() {
			var cw countingWriter
			if err := s.Checkpoint(&cw); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*s.Accounts())/b.Elapsed().Seconds(), "accounts/s")
	})
	b.Run("restore", func(b *testing.B) {
		for b.Loop() {
			r := newScorer(b, w.mem)
			if err := r.Restore(bytes.NewReader(buf.Bytes())); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*s.Accounts())/b.Elapsed().Seconds(), "accounts/s")
	})
}
