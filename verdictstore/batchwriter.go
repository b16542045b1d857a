package verdictstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/sharewatch/sharewatch/scoring"
)

// BatchWriterOptions configures a BatchWriter.
type BatchWriterOptions struct {
	// Sink receives the batches; the BatchWriter owns and closes it.
	Sink Sink
	// BatchSize is the number of verdicts at which a batch is flushed.
	// Default: 10000
	BatchSize int
	// FlushInterval is the longest a partial batch waits.
	// Default: 1s
	FlushInterval time.Duration
	// QueueSize is how many full batches may wait for the sink before
	// Enqueue blocks.
	// Default: 4
	QueueSize int
}

// BatchWriter coalesces verdicts from many small writes into batches for a
// Sink, flushing on size or time. Its queue is bounded: when the sink is slow
// or down, Enqueue blocks, so consumption slows instead of memory growing.
// Each Enqueue returns a Completion that resolves when the sink has made its
// verdicts durable; commit Kafka offsets only then.
//
// The pipeline's writer stage already batches, so it can call a Sink's Write
// directly; a BatchWriter helps when many small writers share one sink.
type BatchWriter struct {
	sink     Sink
	size     int
	interval time.Duration

	in      chan enqueueReq
	queue   chan *pendingBatch
	closing chan struct{}
	written chan struct{} // closed when the writer loop is done

	writeCtx    context.Context
	cancelWrite context.CancelFunc
	closeOnce   sync.Once
	closeErr    error
}

var _ Sink = (*BatchWriter)(nil)

// Completion is the outcome of an enqueued batch.
type Completion struct {
	done chan struct{}
	err  error
}

// Done is closed once the batch is durable or has failed.
func (c *Completion) Done() <-chan struct{} { return c.done }

// Err is the sink's error for the batch; valid once Done is closed.
func (c *Completion) Err() error {
	<-c.done
	return c.err
}

// Wait waits for the batch and returns its error, or ctx's error first.
func (c *Completion) Wait(ctx context.Context) error {
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

type pendingBatch struct {
	vs []scoring.Verdict
	c  *Completion
}

type enqueueReq struct {
	vs    []scoring.Verdict
	reply chan *Completion
}

// NewBatchWriter starts a BatchWriter around opts.Sink.
func NewBatchWriter(opts BatchWriterOptions) (*BatchWriter, error) {
	if opts.Sink == nil {
		return nil, errors.New("batch writer: no sink")
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &BatchWriter{
		sink:        opts.Sink,
		size:        opts.BatchSize,
		interval:    opts.FlushInterval,
		in:          make(chan enqueueReq),
		queue:       make(chan *pendingBatch, opts.QueueSize),
		closing:     make(chan struct{}),
		written:     make(chan struct{}),
		writeCtx:    ctx,
		cancelWrite: cancel,
	}
	go w.accumulate()
	go w.write()
	return w, nil
}

// Enqueue adds vs (copied) to the current batch and returns the batch's
// Completion. It blocks while the queue is full, until ctx is done.
func (w *BatchWriter) Enqueue(ctx context.Context, vs []scoring.Verdict) (*Completion, error) {
	req := enqueueReq{vs: vs, reply: make(chan *Completion, 1)}
	select {
	case w.in <- req:
		return <-req.reply, nil
	case <-w.closing:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Write enqueues vs and waits until they are durable. If ctx ends first the
// verdicts stay queued and are still written.
func (w *BatchWriter) Write(ctx context.Context, vs []scoring.Verdict) error {
	if len(vs) == 0 {
		return nil
	}
	c, err := w.Enqueue(ctx, vs)
	if err != nil {
		return err
	}
	return c.Wait(ctx)
}

func (w *BatchWriter) accumulate() {
	var (
		cur    *pendingBatch
		timer  = time.NewTimer(w.interval)
		timerC <-chan time.Time
	)
	timer.Stop()
	defer timer.Stop()
	flush := func() {
		if cur != nil {
			w.queue <- cur // blocks when full: the back-pressure
			cur = nil
		}
		timer.Stop()
		timerC = nil
	}
	for {
		select {
		case req := <-w.in:
			if cur == nil {
				cur = &pendingBatch{vs: make([]scoring.Verdict, 0, w.size), c: &Completion{done: make(chan struct{})}}
				timer.Reset(w.interval)
				timerC = timer.C
			}
			cur.vs = append(cur.vs, req.vs...)
			req.reply <- cur.c
			if len(cur.vs) >= w.size {
				flush()
			}
		case <-timerC:
			timerC = nil
			flush()
		case <-w.closing:
			flush()
			close(w.queue)
			return
		}
	}
}

func (w *BatchWriter) write() {
	defer close(w.written)
	for b := range w.queue {
		b.c.err = w.sink.Write(w.writeCtx, b.vs)
		close(b.c.done)
	}
}

// Shutdown stops accepting verdicts, writes every queued batch and closes
// the sink. If ctx ends first, pending writes are cancelled, their
// Completions fail, and Shutdown returns ctx's error.
func (w *BatchWriter) Shutdown(ctx context.Context) error {
	w.closeOnce.Do(func() {
		close(w.closing)
		var err error
		select {
		case <-w.written:
		case <-ctx.Done():
			err = ctx.Err()
			w.cancelWrite()
			<-w.written
		}
		w.cancelWrite()
		w.closeErr = errors.Join(err, w.sink.Close())
	})
	return w.closeErr
}

// Close is Shutdown without a deadline: it waits until every queued batch is
// durable, however long the sink retries.
func (w *BatchWriter) Close() error { return w.Shutdown(context.Background()) }
