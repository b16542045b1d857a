package verdictstore

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/sharewatch/sharewatch/scoring"
)

// Sink stores verdicts durably. Write returns nil only when every verdict in
// vs is durable; on failure it retries inside until it succeeds or ctx is
// done, and then returns an error that wraps ctx.Err(). Writing the same
// verdicts again (a redelivery) must not duplicate them for readers.
type Sink interface {
	Write(ctx context.Context, vs []scoring.Verdict) error
	Close() error
}

// Sentinel errors returned by sinks.
var (
	// ErrClosed is returned by writes to a closed sink.
	ErrClosed = errors.New("verdictstore: sink closed")
	// ErrInvalidRecord wraps a verdict or action that can never be stored,
	// so retrying it is pointless.
	ErrInvalidRecord = errors.New("verdictstore: invalid record")
)

// backoff is jittered exponential backoff, capped at max.
type backoff struct {
	next, max time.Duration
}

const initialBackoff = 100 * time.Millisecond

func newBackoff(max time.Duration) backoff {
	return backoff{next: min(initialBackoff, max), max: max}
}

// wait sleeps for the next backoff interval, or until ctx is done.
func (b *backoff) wait(ctx context.Context) error {
	// Full jitter within [d/2, d) keeps writers from retrying in lockstep.
	d := b.next/2 + rand.N(b.next/2+1)
	b.next = min(b.next*2, b.max)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
