package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
)

// Errors returned by NewConsumer and Run.
var (
	ErrMissingProcessor = errors.New("ingest: a Processor is required")
	ErrAlreadyRun       = errors.New("ingest: Run may be called only once per Consumer")
	ErrShutdownTimeout  = errors.New("ingest: shutdown timed out; the in-flight batch will be redelivered")
)

// Record is one decoded event and where it came from.
type Record struct {
	Event     Event
	Partition int
	Offset    int64
	Time      time.Time // the message's Kafka timestamp
}

// Processor makes the outputs of a batch of events durable.
//
// Process returns only once the outputs for the whole batch are durable; the
// batch's offsets are committed after that. It may block to apply
// backpressure and may retry internally; it should give up when ctx is done.
// If it returns an error the Consumer stops without committing the batch,
// which is delivered again after a restart. Records of one account arrive in
// offset order, and batches never overlap. Process must not keep batch after
// it returns: the slice is reused.
type Processor interface {
	Process(ctx context.Context, batch []Record) error
}

// ProcessorFunc adapts a function to Processor.
type ProcessorFunc func(ctx context.Context, batch []Record) error

// Process calls f.
func (f ProcessorFunc) Process(ctx context.Context, batch []Record) error { return f(ctx, batch) }

// Options are a Consumer's collaborators.
type Options struct {
	// Logger receives operational logs. Nil discards them.
	Logger *slog.Logger
	// Registerer receives the metrics listed in the package doc. Nil
	// registers them with a private registry, so they are not exported.
	Registerer prometheus.Registerer
	// Processor handles decoded events. Required.
	Processor Processor
}

// Consumer reads the login topic as a member of a consumer group, hands
// decoded events to a Processor in batches, dead-letters undecodable messages
// and commits offsets once their batch is durable.
type Consumer struct {
	cfg       Config
	log       *slog.Logger
	proc      Processor
	m         *metrics
	offsets   *offsetTracker
	readerCfg kafka.ReaderConfig
	writer    *kafka.Writer
	dlq       *deadLetterWriter
	ran       atomic.Bool
}

// NewConsumer validates cfg and builds a Consumer. It does not connect; Run
// does.
func NewConsumer(cfg Config, opts Options) (*Consumer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Processor == nil {
		return nil, ErrMissingProcessor
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "ingest")
	reg := opts.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	sec, err := newSecurity(cfg)
	if err != nil {
		return nil, err
	}
	rc := kafka.ReaderConfig{
		Brokers:     cfg.Brokers,
		GroupID:     cfg.Group,
		Topic:       cfg.Topic,
		Dialer:      sec.dialer(),
		MinBytes:    cfg.MinBytes,
		MaxBytes:    cfg.MaxBytes,
		MaxWait:     cfg.MaxWait,
		StartOffset: kafka.FirstOffset,
		// Zero makes CommitMessages synchronous; the Consumer's own
		// committer decides when and what to commit.
		CommitInterval: 0,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			log.Warn(fmt.Sprintf(msg, args...), "source", "kafka-go")
		}),
	}
	if log.Enabled(context.Background(), slog.LevelDebug) {
		rc.Logger = kafka.LoggerFunc(func(msg string, args ...any) {
			log.Debug(fmt.Sprintf(msg, args...), "source", "kafka-go")
		})
	}
	if err := rc.Validate(); err != nil {
		return nil, fmt.Errorf("kafka reader config: %w", err)
	}
	w := newDLQWriter(cfg, sec)
	return &Consumer{
		cfg:       cfg,
		log:       log,
		proc:      opts.Processor,
		m:         m,
		offsets:   newOffsetTracker(),
		readerCfg: rc,
		writer:    w,
		dlq:       &deadLetterWriter{w: w, log: log, m: m},
	}, nil
}

// batch is a run of fetched messages, handed from the fetcher to the
// processor goroutine.
type batch struct {
	records []Record
	dead    []deadLetter
	marks   []offsetMark // last offset per partition, for the tracker
	hwm     []int64      // high watermark per mark, for the lag gauge

	n           int // messages
	decoded     [len(typeNames)]int
	keyMismatch int
}

func (b *batch) reset() {
	clear(b.records) // drop references to events of the previous batch
	clear(b.dead)
	b.records, b.dead, b.marks, b.hwm = b.records[:0], b.dead[:0], b.marks[:0], b.hwm[:0]
	b.n, b.decoded, b.keyMismatch = 0, [len(typeNames)]int{}, 0
}

// reader is the part of *kafka.Reader the Consumer uses.
type reader interface {
	FetchMessage(ctx context.Context) (kafka.Message, error)
	CommitMessages(ctx context.Context, msgs ...kafka.Message) error
}

// batchesInFlight is one being filled, one queued, one being processed:
// fetching and decoding overlap processing.
const batchesInFlight = 3

const (
	fetchBackoffMin = 100 * time.Millisecond
	fetchBackoffMax = 5 * time.Second
	commitTimeout   = 10 * time.Second
)

// Run consumes until ctx is cancelled or processing fails. On cancellation
// it stops fetching, lets the in-flight batch finish (bounded by
// ShutdownTimeout), commits once more, closes the reader and the dead-letter
// writer, and returns nil. Batches fetched but not started are dropped and
// delivered again on the next start. If Process or the dead-letter writer
// fails, Run commits what was processed before and returns the error.
func (c *Consumer) Run(ctx context.Context) error {
	if !c.ran.CompareAndSwap(false, true) {
		return ErrAlreadyRun
	}
	r := kafka.NewReader(c.readerCfg)
	c.log.Info("consuming", "brokers", c.cfg.Brokers, "topic", c.cfg.Topic, "group", c.cfg.Group)

	// stop ends fetching and keeps new batches from starting; it fires on
	// ctx cancellation or on a processing error.
	stopCtx, stop := context.WithCancel(ctx)
	defer stop()
	// procCtx outlives stopCtx by up to ShutdownTimeout so that the
	// in-flight batch can finish; the final commit has its own deadline.
	procCtx, cancelProc := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelProc()
	var shutdownTimer atomic.Pointer[time.Timer]
	unhook := context.AfterFunc(stopCtx, func() {
		shutdownTimer.Store(time.AfterFunc(c.cfg.ShutdownTimeout, cancelProc))
	})
	defer func() {
		if !unhook() {
			if t := shutdownTimer.Load(); t != nil {
				t.Stop()
			}
		}
	}()

	free := make(chan *batch, batchesInFlight)
	for range batchesInFlight {
		free <- &batch{}
	}
	full := make(chan *batch, 1)
	processed := make(chan struct{})

	var wg sync.WaitGroup
	var procErr, commitErr error
	wg.Go(func() { c.fetchLoop(stopCtx, r, free, full) })
	wg.Go(func() {
		defer close(processed)
		if procErr = c.processLoop(stopCtx, procCtx, full, free); procErr != nil {
			stop()
		}
	})
	wg.Go(func() { commitErr = c.commitLoop(procCtx, r, processed) })
	wg.Wait()

	closeStart := time.Now()
	if err := r.Close(); err != nil { // blocks up to MaxWait (kafka-go #428)
		c.log.Warn("closing kafka reader", "err", err)
	}
	if err := c.writer.Close(); err != nil {
		c.log.Warn("closing dead-letter writer", "err", err)
	}
	if t, ok := c.writer.Transport.(*kafka.Transport); ok {
		t.CloseIdleConnections()
	}
	c.log.Info("stopped consuming", "close_duration", time.Since(closeStart))

	switch {
	case procErr != nil && procCtx.Err() != nil && ctx.Err() != nil:
		return fmt.Errorf("%w: %w", ErrShutdownTimeout, procErr)
	case procErr != nil:
		return procErr
	case commitErr != nil:
		return commitErr
	}
	return nil
}

// fetchLoop fills batches until ctx ends. A partly filled batch is dropped
// on exit; its messages were not processed and will be fetched again.
func (c *Consumer) fetchLoop(ctx context.Context, r reader, free <-chan *batch, full chan<- *batch) {
	defer close(full)
	last := make(map[int]int64) // last fetched offset per partition
	for {
		var b *batch
		select {
		case b = <-free:
		case <-ctx.Done():
			return
		}
		b.reset()
		if !c.fill(ctx, r, b, last) {
			return
		}
		c.m.consumed.Add(float64(b.n))
		for t, n := range b.decoded {
			if n > 0 {
				c.m.decoded[t].Add(float64(n))
			}
		}
		if b.keyMismatch > 0 {
			c.m.keyMismatch.Add(float64(b.keyMismatch))
		}
		for i := range b.marks {
			b.marks[i] = c.offsets.register(b.marks[i].partition, b.marks[i].offset)
		}
		select {
		case full <- b:
		case <-ctx.Done():
			return
		}
	}
}

// fill fetches into b until it holds BatchSize messages or BatchTimeout has
// passed since its first message. It returns false when ctx ended.
func (c *Consumer) fill(ctx context.Context, r reader, b *batch, last map[int]int64) bool {
	// fetchCtx is cancelled BatchTimeout after the first message; until
	// then fetching waits indefinitely.
	fetchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var deadline *time.Timer
	defer func() {
		if deadline != nil {
			deadline.Stop()
		}
	}()
	backoff := fetchBackoffMin
	for b.n < c.cfg.BatchSize {
		msg, err := r.FetchMessage(fetchCtx)
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return false
			case fetchCtx.Err() != nil:
				return true // batch timeout
			case errors.Is(err, io.EOF):
				return false // reader closed
			}
			c.m.fetchErrors.Inc()
			c.log.Warn("fetching from kafka failed; retrying", "backoff", backoff, "err", err)
			if !sleep(fetchCtx, backoff) {
				return ctx.Err() == nil
			}
			backoff = min(2*backoff, fetchBackoffMax)
			continue
		}
		backoff = fetchBackoffMin
		if deadline == nil {
			deadline = time.AfterFunc(c.cfg.BatchTimeout, cancel)
		}
		if prev, ok := last[msg.Partition]; ok && msg.Offset <= prev {
			// The group rebalanced and the partition restarted from its
			// committed offset; work fetched before is no longer committable.
			c.log.Info("partition rewound", "partition", msg.Partition, "from", prev, "to", msg.Offset)
			c.offsets.rewind(msg.Partition)
		}
		last[msg.Partition] = msg.Offset
		c.add(b, msg)
	}
	return true
}

func (c *Consumer) add(b *batch, msg kafka.Message) {
	b.n++
	i := len(b.marks) - 1
	for ; i >= 0 && b.marks[i].partition != msg.Partition; i-- {
	}
	if i < 0 {
		b.marks = append(b.marks, offsetMark{partition: msg.Partition})
		b.hwm = append(b.hwm, 0)
		i = len(b.marks) - 1
	}
	b.marks[i].offset, b.hwm[i] = msg.Offset, msg.HighWaterMark

	ev, err := Decode(msg.Value)
	if err == nil {
		// Against the message's timestamp, or the clock if that is
		// earlier: a producer may stamp messages with the event's own time.
		ref := time.Now()
		if !msg.Time.IsZero() && msg.Time.Before(ref) {
			ref = msg.Time
		}
		err = CheckClock(&ev, ref, c.cfg.MaxClockSkew)
	}
	if err != nil {
		var de *DecodeError
		if !errors.As(err, &de) {
			de = &DecodeError{Reason: "other", Detail: err.Error()}
		}
		msg.Topic = c.cfg.Topic
		b.dead = append(b.dead, deadLetter{msg: msg, err: de})
		return
	}
	b.decoded[ev.Type]++
	if string(msg.Key) != ev.AccountID {
		b.keyMismatch++
	}
	b.records = append(b.records, Record{Event: ev, Partition: msg.Partition, Offset: msg.Offset, Time: msg.Time})
}

// processLoop handles batches in order until stopCtx ends or one fails.
func (c *Consumer) processLoop(stopCtx, procCtx context.Context, full <-chan *batch, free chan<- *batch) error {
	for {
		select {
		case <-stopCtx.Done():
			return nil
		case b, ok := <-full:
			if !ok || stopCtx.Err() != nil {
				return nil
			}
			if err := c.handle(procCtx, b); err != nil {
				return err
			}
			free <- b
		}
	}
}

// handle makes one batch durable and marks its offsets processed.
func (c *Consumer) handle(ctx context.Context, b *batch) error {
	// Dead letters go first; their offsets become committable together with
	// the rest of the batch, never before they are written.
	if err := c.dlq.write(ctx, b.dead); err != nil {
		return err
	}
	if len(b.records) > 0 {
		start := time.Now()
		if err := c.proc.Process(ctx, b.records); err != nil {
			return fmt.Errorf("processing batch of %d events: %w", len(b.records), err)
		}
		c.m.processDuration.Observe(time.Since(start).Seconds())
		c.m.batchSize.Observe(float64(len(b.records)))
	}
	now := time.Now()
	for i, m := range b.marks {
		if c.offsets.markDone(m) {
			c.m.setLag(m.partition, b.hwm[i]-m.offset-1, now)
		}
	}
	c.m.expireLag(now)
	return nil
}

// commitLoop commits on every CommitInterval until processing has stopped,
// then once more.
func (c *Consumer) commitLoop(ctx context.Context, r reader, processed <-chan struct{}) error {
	t := time.NewTicker(c.cfg.CommitInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := c.commit(ctx, r); err != nil {
				c.log.Warn("committing offsets failed; retrying next interval", "err", err)
			}
		case <-processed:
			// The final commit gets its own deadline: offsets processed
			// before a shutdown timeout are still worth committing.
			if err := c.commit(context.WithoutCancel(ctx), r); err != nil {
				return fmt.Errorf("final offset commit: %w", err)
			}
			return nil
		}
	}
}

func (c *Consumer) commit(ctx context.Context, r reader) error {
	marks := c.offsets.committable()
	if len(marks) == 0 {
		return nil
	}
	msgs := make([]kafka.Message, len(marks))
	for i, m := range marks {
		// kafka-go commits Offset+1, the next offset to read.
		msgs[i] = kafka.Message{Topic: c.cfg.Topic, Partition: m.partition, Offset: m.offset}
	}
	ctx, cancel := context.WithTimeout(ctx, commitTimeout)
	defer cancel()
	if err := r.CommitMessages(ctx, msgs...); err != nil {
		c.m.commitErrors.Inc()
		return err
	}
	c.offsets.markCommitted(marks)
	c.m.commits.Inc()
	return nil
}

// sleep waits for d and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
