package verdictstore

import (
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/internal/testch"
	"github.com/sharewatch/sharewatch/scoring"
)

// BenchmarkClickHouseWrite writes 10k-row batches (verdicts plus the
// account_verdicts upsert) and reports rows/s. Batches are built before the
// timer starts and cycled; a cycled batch is a redelivery, which costs the
// same to insert.
//
//   - accounts-hot: 2,000 accounts shared by every batch.
//   - accounts-new: 5,000 accounts per batch, never seen before.
//   - parallel: two writers at once, as two pipeline writer shards would.
func BenchmarkClickHouseWrite(b *testing.B) {
	testch.Start(b) // starts the server before the batches are built
	const batch = 10000
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	build := func(n, accounts int, fresh bool) [][]scoring.Verdict {
		out := make([][]scoring.Verdict, n)
		for i := range out {
			out[i] = genVerdicts(batch, accounts, base.Add(time.Duration(i)*10*time.Second), i*batch)
			if fresh {
				for j := range out[i] {
					out[i][j].AccountID += "-" + strconv.Itoa(i)
				}
			}
		}
		return out
	}
	for _, bc := range []struct {
		name    string
		batches [][]scoring.Verdict
	}{
		{"accounts-hot", build(16, 2000, false)},
		{"accounts-new", build(16, 5000, true)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			// A database per case, so no case pays for the merges that
			// another one left behind.
			dsn := testch.Start(b)
			s := newStore(b, Config{DSN: dsn}, nil)
			ctx := testCtx(b)
			b.ReportAllocs()
			cpu := startCPU(b, dsn)
			for i := 0; b.Loop(); i++ {
				if err := s.Write(ctx, bc.batches[i%len(bc.batches)]); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b, batch)
		})
	}
	b.Run("parallel", func(b *testing.B) {
		dsn := testch.Start(b)
		s := newStore(b, Config{DSN: dsn}, nil)
		ctx := testCtx(b)
		batches := build(16, 2000, false)
		var next atomic.Int64
		b.SetParallelism(1) // GOMAXPROCS writers: 2 here
		b.ReportAllocs()
		b.ResetTimer()
		cpu := startCPU(b, dsn)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := s.Write(ctx, batches[int(next.Add(1))%len(batches)]); err != nil {
					b.Error(err)
					return
				}
			}
		})
		cpu.report(b, batch)
	})
}

// cpuMeter measures the CPU time of the benchmark process and the server,
// which on a shared machine says more than wall time.
type cpuMeter struct {
	srv            *testch.Server
	server, client time.Duration
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU(b *testing.B, dsn string) *cpuMeter {
	m := &cpuMeter{srv: testch.ServerFor(dsn), client: processCPU()}
	if m.srv != nil {
		m.server, _ = m.srv.CPUTime()
	}
	return m
}

// report adds rows/s (wall), CPU per batch, and rows per CPU-second of
// client plus server: on an idle machine with N cores and N writers,
// throughput approaches N times that.
func (m *cpuMeter) report(b *testing.B, batch int) {
	rows := float64(b.N * batch)
	b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
	client := processCPU() - m.client
	b.ReportMetric(client.Seconds()*1000/float64(b.N), "client-cpu-ms/op")
	if m.srv == nil {
		return
	}
	if now, err := m.srv.CPUTime(); err == nil {
		server := now - m.server
		b.ReportMetric(server.Seconds()*1000/float64(b.N), "server-cpu-ms/op")
		b.ReportMetric(rows/(client+server).Seconds(), "rows/cpu-s")
	}
}
