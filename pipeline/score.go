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
func ScoreStream(ctx context.Context, p *Processor, o BatchOptions) (BatchStats, error) {
	var st BatchStats
	if o.BatchSize <= 0 {
		o.BatchSize = 4096
	}
	if o.Errs == nil {
		o.Errs = io.Discard
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	in := bufio.NewReaderSize(o.In, 1<<20)
	out := bufio.NewWriterSize(o.Out, 1<<20)
	seen := make(map[uint64]struct{}, 1<<16)
	batch := make([]ingest.Event, 0, o.BatchSize)
	var buf []byte
	flush := func() error {
		vs := p.Score(batch)
		batch = batch[:0]
		for i := range vs {
			buf = vs[i].AppendJSON(buf[:0])
			buf = append(buf, '\n')
			if _, err := out.Write(buf); err != nil {
				return fmt.Errorf("writing verdicts: %w", err)
			}
		}
		st.Verdicts += len(vs)
		return p.Write(ctx, vs)
	}
	for {
		line, err := readLine(in)
		if len(line) > 0 {
			st.Lines++
			ev, derr := ingest.Decode(line)
			if derr == nil && o.MaxClockSkew > 0 {
				derr = ingest.CheckClock(&ev, o.Now(), o.MaxClockSkew)
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
					if err := flush(); err != nil {
						return st, err
					}
					if err := ctx.Err(); err != nil {
						return st, err
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
			return st, fmt.Errorf("reading events: %w", err)
		}
	}
	if err := flush(); err != nil {
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
