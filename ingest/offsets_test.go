package ingest

import (
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestOffsetTracker(t *testing.T) {
	type step struct {
		op     string // register, done, rewind, commit
		p      int
		offset int64
		mark   int // index into marks, for done
	}
	tests := []struct {
		name  string
		steps []step
		want  []offsetMark // committable at the end (epoch ignored)
	}{
		{"nothing done", []step{{op: "register", p: 0, offset: 9}}, nil},
		{"done in order", []step{
			{op: "register", p: 0, offset: 9}, {op: "register", p: 0, offset: 19},
			{op: "done", mark: 0}, {op: "done", mark: 1},
		}, []offsetMark{{partition: 0, offset: 19}}},
		{"gap holds back later work", []step{
			{op: "register", p: 0, offset: 9}, {op: "register", p: 0, offset: 19}, {op: "register", p: 0, offset: 29},
			{op: "done", mark: 1}, {op: "done", mark: 2},
		}, nil},
		{"gap filled", []step{
			{op: "register", p: 0, offset: 9}, {op: "register", p: 0, offset: 19}, {op: "register", p: 0, offset: 29},
			{op: "done", mark: 1}, {op: "done", mark: 0},
		}, []offsetMark{{partition: 0, offset: 19}}},
		{"partitions independent", []step{
			{op: "register", p: 0, offset: 9}, {op: "register", p: 1, offset: 4}, {op: "register", p: 2, offset: 7},
			{op: "done", mark: 1}, {op: "done", mark: 2},
		}, []offsetMark{{partition: 1, offset: 4}, {partition: 2, offset: 7}}},
		{"already committed not repeated", []step{
			{op: "register", p: 0, offset: 9}, {op: "done", mark: 0}, {op: "commit"},
		}, nil},
		{"stale epoch ignored after rewind", []step{
			{op: "register", p: 0, offset: 9}, {op: "register", p: 0, offset: 19},
			{op: "done", mark: 0}, {op: "commit"},
			{op: "rewind", p: 0}, {op: "register", p: 0, offset: 14},
			{op: "done", mark: 1}, // old batch up to 19 finishes: must not count
		}, nil},
		{"after rewind progress past the last commit is committed", []step{
			{op: "register", p: 0, offset: 9}, {op: "done", mark: 0}, {op: "commit"},
			{op: "rewind", p: 0}, {op: "register", p: 0, offset: 5}, {op: "register", p: 0, offset: 12},
			{op: "done", mark: 1}, {op: "done", mark: 2},
		}, []offsetMark{{partition: 0, offset: 12}}},
		{"after rewind progress behind the last commit waits", []step{
			{op: "register", p: 0, offset: 9}, {op: "done", mark: 0}, {op: "commit"},
			{op: "rewind", p: 0}, {op: "register", p: 0, offset: 5}, {op: "done", mark: 1},
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newOffsetTracker()
			var marks []offsetMark
			for _, s := range tt.steps {
				switch s.op {
				case "register":
					marks = append(marks, tr.register(s.p, s.offset))
				case "done":
					tr.markDone(marks[s.mark])
				case "rewind":
					tr.rewind(s.p)
				case "commit":
					tr.markCommitted(tr.committable())
				}
			}
			got := tr.committable()
			for i := range got {
				got[i].epoch = 0
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("committable = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLagGaugeExpiresForPartitionsNoLongerProcessed(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	m.setLag(0, 5, t0)
	m.setLag(1, 7, t0)
	m.setLag(0, 3, t0.Add(3*time.Minute)) // partition 1 was taken away in a rebalance
	m.expireLag(t0.Add(3 * time.Minute))
	if got := testutil.CollectAndCount(m.lag); got != 1 {
		t.Fatalf("%d lag series, want only partition 0", got)
	}
	if got := testutil.ToFloat64(m.lag.WithLabelValues("0")); got != 3 {
		t.Errorf("partition 0 lag = %v, want 3", got)
	}
}
