package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sharewatch/sharewatch/ingest"
	"github.com/sharewatch/sharewatch/scoring"
)

// BatchOptions configure a batch scoring run (`sharewatch score`).
type BatchOptions struct {
	In  io.Reader // contract events, one JSON object per line
	Out io.Writer // verdicts, one JSON object per line
	// Errs receives one line per bad input line: its number and reason.
	Errs io.Writer
	// Accounts, when set, receives the account summaries at the end.
	Accounts io.Writer
	// BatchSize is how many events are scored before outputs are written.
	// Default: 4096.
	BatchSize int
	// MaxClockSkew: a line whose event is stamped further than this after
	// the time it is read (Now) is bad, reason clock_skew, and is not
	// scored (see ingest.CheckClock): one event from years ahead would
	// move the scorer's clock there and age every account out. A backfill
	// of the past is never affected. Zero: no check.
	MaxClockSkew time.Duration
	// Now is the clock MaxClockSkew is measured against. Default: time.Now.
	Now func() time.Time
}

// BatchStats counts what a batch run did.
type BatchStats struct {
	Lines, Events, Bad, Duplicates, Verdicts int
}

// ScoreStream runs the processor over a stream of contract events. Output
// is deterministic: the same input gives byte-identical verdicts and
// summaries. An event_id seen before yields no second verdict.
//
// Reading and decoding run in a goroutine of their own, a batch ahead of
// scoring, so that on two cores the two halves of the work overlap. The
// batches reach the scorer in input order.
func ScoreStream(ctx context.Context, p *Processor, o BatchOptions) (BatchStats, error) {
	if o.BatchSize <= 0 {
		o.BatchSize = 4096
	}
	if o.Errs == nil {
		o.Errs = io.Discard
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Three buffers: one filling, one waiting, one being scored.
	full := make(chan []ingest.Event, 1)
	free := make(chan []ingest.Event, 3)
	for range 3 {
		free <- make([]ingest.Event, 0, o.BatchSize)
	}
	var rst BatchStats
	readErr := make(chan error, 1)
	go func() {
		defer close(full)
		readErr <- readEvents(ctx, o, &rst, free, full)
	}()

	out := bufio.NewWriterSize(o.Out, 1<<20)
	var buf []byte
	verdicts := 0
	score := func(batch []ingest.Event) error {
		vs := p.Score(batch)
		for i := range vs {
			buf = vs[i].AppendJSON(buf[:0])
			buf = append(buf, '\n')
			if _, err := out.Write(buf); err != nil {
				return fmt.Errorf("writing verdicts: %w", err)
			}
		}
		verdicts += len(vs)
		return p.Write(ctx, vs)
	}
	var err error
	for batch := range full {
		if err == nil {
			err = score(batch)
			if err != nil {
				cancel() // the reader stops at its next batch
			}
		}
		free <- batch[:0]
	}
	// full is closed: the reader is done and rst is its own no more.
	st := rst
	st.Verdicts = verdicts
	if err != nil {
		return st, err
	}
	if err := <-readErr; err != nil {
		return st, err
	}
	if err := out.Flush(); err != nil {
		return st, fmt.Errorf("writing verdicts: %w", err)
	}
	if o.Accounts != nil {
		if err := WriteSummaries(o.Accounts, p.scorer.Summaries()); err != nil {
			return st, err
		}
	}
	return st, nil
}

// readEvents reads o.In line by line, reports bad lines to o.Errs, drops
// event_ids seen before, and sends the rest to full in batches of
// o.BatchSize taken from free (the last one may be shorter). It counts
// into st everything but verdicts, and stops early when ctx ends.
func readEvents(ctx context.Context, o BatchOptions, st *BatchStats, free <-chan []ingest.Event, full chan<- []ingest.Event) error {
	in := bufio.NewReaderSize(o.In, 1<<20)
	seen := make(map[uint64]struct{}, 1<<16)
	batch := <-free
	now := o.Now()
	put := func() error {
		select {
		case full <- batch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	send := func() error {
		if err := put(); err != nil {
			return err
		}
		select {
		case batch = <-free:
		case <-ctx.Done():
			return ctx.Err()
		}
		now = o.Now()
		return nil
	}
	for {
		line, err := readLine(in)
		if len(line) > 0 {
			st.Lines++
			ev, derr := ingest.Decode(line)
			if derr == nil && o.MaxClockSkew > 0 {
				derr = ingest.CheckClock(&ev, now, o.MaxClockSkew)
			}
			switch {
			case derr != nil:
				st.Bad++
				fmt.Fprintf(o.Errs, "line %d: %v\n", st.Lines, derr)
			default:
				h := eventKey(ev.EventID)
				if _, dup := seen[h]; dup {
					st.Duplicates++
					break
				}
				seen[h] = struct{}{}
				st.Events++
				batch = append(batch, ev)
				if len(batch) == o.BatchSize {
					if err := send(); err != nil {
						return err
					}
				}
			}
		} else if err == nil {
			st.Lines++ // blank line
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading events: %w", err)
		}
	}
	if len(batch) > 0 {
		return put()
	}
	return nil
}

// WriteSummaries writes account summaries as JSON lines.
func WriteSummaries(w io.Writer, sums []scoring.AccountSummary) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for i := range sums {
		if err := enc.Encode(&sums[i]); err != nil {
			return fmt.Errorf("writing account summary: %w", err)
		}
	}
	return bw.Flush()
}

// readLine returns the next line without its newline; lines longer than
// the reader's buffer are returned whole.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = r.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
		line = line[:len(line)-1]
	}
	return line, err
}

// eventKey hashes an event id (FNV-1a, 64 bits) for duplicate detection.
func eventKey(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return h
}
