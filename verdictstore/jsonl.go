package verdictstore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"sync"
	"time"

	"github.com/sharewatch/sharewatch/scoring"
)

// JSONLOptions configures a JSONLSink.
type JSONLOptions struct {
	// Path is the file verdicts are appended to; it is created if missing.
	Path string
	// MaxRetryBackoff caps the backoff between failed writes.
	// Default: 30s
	MaxRetryBackoff time.Duration
	// Logger receives a warning for each failed attempt. Default: discard.
	Logger *slog.Logger
}

// JSONLSink appends one verdict JSON object per line to a file. Each Write is
// fsync'd before it returns. A failed Write truncates the file back to where
// it began and retries, so the file never holds a partial batch. It is safe
// for concurrent use.
type JSONLSink struct {
	mu      sync.Mutex
	f       *os.File
	w       *bufio.Writer
	buf     bytes.Buffer
	maxWait time.Duration
	logger  *slog.Logger
	closed  bool
}

var _ Sink = (*JSONLSink)(nil)

// NewJSONL opens (or creates) the file at opts.Path for appending.
func NewJSONL(opts JSONLOptions) (*JSONLSink, error) {
	if opts.Path == "" {
		return nil, fmt.Errorf("opening JSONL sink: %w", ErrMissingPath)
	}
	if opts.MaxRetryBackoff <= 0 {
		opts.MaxRetryBackoff = defaultMaxRetryBackoff
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	f, err := os.OpenFile(opts.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening JSONL sink: %w", err)
	}
	return &JSONLSink{
		f:       f,
		w:       bufio.NewWriterSize(f, 256<<10),
		maxWait: opts.MaxRetryBackoff,
		logger:  opts.Logger,
	}, nil
}

// Write appends vs, one JSON object per line, and fsyncs the file.
func (s *JSONLSink) Write(ctx context.Context, vs []scoring.Verdict) error {
	if len(vs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	// Encode first: an unencodable verdict fails the same way every time.
	s.buf.Reset()
	enc := json.NewEncoder(&s.buf)
	enc.SetEscapeHTML(false)
	for i := range vs {
		if err := checkFloats(&vs[i]); err != nil {
			return err
		}
		if err := enc.Encode(&vs[i]); err != nil {
			return fmt.Errorf("encoding verdict %s: %w: %w", vs[i].EventID, ErrInvalidRecord, err)
		}
	}
	b := newBackoff(s.maxWait)
	for {
		err := s.append(s.buf.Bytes())
		if err == nil {
			return nil
		}
		s.logger.Warn("writing verdicts to JSONL file failed; retrying", "path", s.f.Name(), "err", err)
		if werr := b.wait(ctx); werr != nil {
			return fmt.Errorf("writing %d verdicts to %s: %w", len(vs), s.f.Name(), joinCtx(werr, err))
		}
	}
}

// append writes p at the end of the file and fsyncs it; on failure it cuts
// the file back to its previous size.
func (s *JSONLSink) append(p []byte) error {
	st, err := s.f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	s.w.Reset(s.f)
	_, err = s.w.Write(p)
	if err == nil {
		err = s.w.Flush()
	}
	if err == nil {
		err = s.f.Sync()
	}
	if err != nil {
		s.w.Reset(s.f)
		if terr := s.f.Truncate(size); terr != nil {
			return fmt.Errorf("%w (and truncating back failed: %w)", err, terr)
		}
	}
	return err
}

// Close flushes and closes the file.
func (s *JSONLSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.w.Flush()
	if serr := s.f.Sync(); err == nil {
		err = serr
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}

func checkFloats(v *scoring.Verdict) error {
	for _, f := range [...]struct {
		name string
		v    float64
	}{{"lat", v.Lat}, {"lon", v.Lon}, {"score", v.Score}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("verdict %s: %s is %v: %w", v.EventID, f.name, f.v, ErrInvalidRecord)
		}
	}
	return nil
}

// joinCtx wraps the context's error and the last attempt's error, so callers
// can test either with errors.Is.
func joinCtx(ctxErr, last error) error {
	return fmt.Errorf("%w; last error: %w", ctxErr, last)
}
