package verdictstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/scoring"
)

// recordingSink records batches; while gate is non-nil each Write waits for
// a value from it.
type recordingSink struct {
	mu      sync.Mutex
	batches [][]scoring.Verdict
	gate    chan struct{}
	closed  bool
}

func (s *recordingSink) Write(ctx context.Context, vs []scoring.Verdict) error {
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches = append(s.batches, append([]scoring.Verdict(nil), vs...))
	return nil
}

func (s *recordingSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func (s *recordingSink) sizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n []int
	for _, b := range s.batches {
		n = append(n, len(b))
	}
	return n
}

func verdicts(n int, prefix string) []scoring.Verdict {
	vs := make([]scoring.Verdict, n)
	for i := range vs {
		vs[i] = scoring.Verdict{EventID: fmt.Sprintf("%s-%d", prefix, i), AccountID: "a", Time: time.Unix(1e9, 0)}
	}
	return vs
}

func TestBatchWriterFlushesOnSizeAndTime(t *testing.T) {
	sink := &recordingSink{}
	w, err := NewBatchWriter(BatchWriterOptions{Sink: sink, BatchSize: 10, FlushInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var cs []*Completion
	for i := range 3 {
		c, err := w.Enqueue(ctx, verdicts(4, fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	// 12 verdicts with BatchSize 10: all three share the first batch.
	for _, c := range cs {
		if err := c.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// A partial batch is flushed by the timer.
	start := time.Now()
	if err := w.Write(ctx, verdicts(3, "late")); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Fatalf("partial batch flushed after %v, before FlushInterval", d)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := sink.sizes(); len(got) != 2 || got[0] != 12 || got[1] != 3 {
		t.Fatalf("batch sizes = %v, want [12 3]", got)
	}
	if !sink.closed {
		t.Fatal("sink not closed")
	}
	if _, err := w.Enqueue(ctx, verdicts(1, "x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Enqueue after Close = %v, want ErrClosed", err)
	}
}

func TestBatchWriterBackPressure(t *testing.T) {
	sink := &recordingSink{gate: make(chan struct{})}
	w, err := NewBatchWriter(BatchWriterOptions{Sink: sink, BatchSize: 1, QueueSize: 1, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Batch 1 is taken by the blocked sink, batch 2 fills the queue, batch 3
	// is held by the accumulator; batch 4 must block.
	var cs []*Completion
	for i := range 3 {
		c, err := w.Enqueue(ctx, verdicts(1, fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := w.Enqueue(short, verdicts(1, "blocked")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Enqueue on a full queue = %v, want it to block until the deadline", err)
	}
	select {
	case <-cs[0].Done():
		t.Fatal("batch completed while the sink is blocked")
	default:
	}
	for range 3 {
		sink.gate <- struct{}{}
	}
	for _, c := range cs {
		if err := c.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := sink.sizes(); len(got) != 3 {
		t.Fatalf("batches = %v, want 3 of 1", got)
	}
}

func TestBatchWriterShutdownDeadline(t *testing.T) {
	sink := &recordingSink{gate: make(chan struct{})} // never opened
	w, err := NewBatchWriter(BatchWriterOptions{Sink: sink, BatchSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	c, err := w.Enqueue(context.Background(), verdicts(1, "x"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want deadline exceeded", err)
	}
	if err := c.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("pending completion = %v, want canceled", err)
	}
}
