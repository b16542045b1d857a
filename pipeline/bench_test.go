package pipeline_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/ingest"
	"github.com/sharewatch/sharewatch/pipeline"
)

// The roadmap's target is that scoring costs no more than twice decoding
// and looking up IPs. BenchmarkScoreStream is the whole batch path (decode,
// GeoIP, score, rules, encode); BenchmarkDecodeOnly is its decode + GeoIP
// part; BenchmarkScoreVsDecode reports their ratio directly.

const benchAccounts, benchDays = 200, 14

// freshStages builds scoring stages (a cold GeoIP cache, empty state) for
// one pass; the caller closes them.
func freshStages(b *testing.B, p *population) *pipeline.Stages {
	b.Helper()
	st, err := pipeline.BuildStages(context.Background(), p.scoringConfig(), pipeline.StageOptions{KeepSummaries: true})
	if err != nil {
		b.Fatal(err)
	}
	return st
}

// scorePass runs ScoreStream over in and returns how long it took.
func scorePass(b *testing.B, p *population, in []byte) time.Duration {
	b.StopTimer()
	st := freshStages(b, p)
	b.StartTimer()
	start := time.Now()
	stats, err := pipeline.ScoreStream(context.Background(), st.Processor, pipeline.BatchOptions{In: bytes.NewReader(in), Out: io.Discard})
	d := time.Since(start)
	b.StopTimer()
	if err != nil || stats.Verdicts != len(p.events) {
		b.Fatalf("ScoreStream: %v, %+v", err, stats)
	}
	st.Close()
	b.StartTimer()
	return d
}

// decodePass decodes every line and looks its IP up, and returns how long
// it took.
func decodePass(b *testing.B, p *population) time.Duration {
	b.StopTimer()
	st := freshStages(b, p)
	b.StartTimer()
	start := time.Now()
	var public int
	for _, line := range p.lines {
		ev, err := ingest.Decode(line)
		if err != nil {
			b.Fatal(err)
		}
		if loc := st.Enricher.Lookup(ev.IP); loc.HasCoords {
			public++
		}
	}
	d := time.Since(start)
	b.StopTimer()
	if public == 0 {
		b.Fatal("no address was located")
	}
	st.Close()
	b.StartTimer()
	return d
}

func reportEvents(b *testing.B, n int, d time.Duration) {
	b.ReportMetric(float64(n)/d.Seconds(), "events/s")
	b.ReportMetric(float64(d.Nanoseconds())/float64(n), "ns/event")
}

// BenchmarkScoreStream: JSON lines in, verdict JSON lines out.
func BenchmarkScoreStream(b *testing.B) {
	p := newPopulation(b, benchAccounts, benchDays, 1)
	in := jsonl(p.lines)
	b.SetBytes(int64(len(in)))
	var total time.Duration
	for b.Loop() {
		total += scorePass(b, p, in)
	}
	reportEvents(b, b.N*len(p.lines), total)
}

// BenchmarkDecodeOnly: ingest.Decode and the enricher's lookup of each
// line, nothing else.
func BenchmarkDecodeOnly(b *testing.B) {
	p := newPopulation(b, benchAccounts, benchDays, 1)
	var total time.Duration
	for b.Loop() {
		total += decodePass(b, p)
	}
	reportEvents(b, b.N*len(p.lines), total)
}

// BenchmarkScoreVsDecode alternates both passes over the same lines and
// reports score-stream time / decode+lookup time ("x-total"), and the same
// for the part of ScoreStream beyond decode+lookup ("x-beyond").
func BenchmarkScoreVsDecode(b *testing.B) {
	p := newPopulation(b, benchAccounts, benchDays, 1)
	in := jsonl(p.lines)
	var score, decode time.Duration
	for b.Loop() {
		decode += decodePass(b, p)
		score += scorePass(b, p, in)
	}
	b.ReportMetric(float64(score)/float64(decode), "x-total")
	b.ReportMetric(float64(score-decode)/float64(decode), "x-beyond")
	b.ReportMetric(float64(decode.Nanoseconds())/float64(b.N*len(p.lines)), "decode-ns/event")
	b.ReportMetric(float64(score.Nanoseconds())/float64(b.N*len(p.lines)), "score-ns/event")
}
