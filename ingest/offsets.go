package ingest

import (
	"slices"
	"sync"
)

// offsetTracker decides which offsets may be committed. The fetcher registers
// each batch's last offset per partition when it seals the batch; the
// processor marks it done once the batch is durable; the committer commits,
// per partition, the highest done offset with nothing registered before it
// still pending. Numeric gaps between offsets (compaction, transaction
// markers) do not matter, only work fetched but not yet processed does.
//
// A rebalance can hand a partition back starting at an older committed
// offset. The fetcher then calls rewind, which starts a new epoch for the
// partition; marks from older epochs are ignored, so processing of stale
// batches can never move the commit point.
type offsetTracker struct {
	mu    sync.Mutex
	parts map[int]*partitionOffsets
}

type partitionOffsets struct {
	epoch     uint64
	pending   []pendingOffset // registered, in fetch order
	done      int64           // highest offset processed with no gap; -1 when none
	committed int64           // last committed offset; -1 when none
}

type pendingOffset struct {
	offset int64
	done   bool
}

// offsetMark is one partition's position as of one batch.
type offsetMark struct {
	partition int
	epoch     uint64
	offset    int64
}

func newOffsetTracker() *offsetTracker {
	return &offsetTracker{parts: make(map[int]*partitionOffsets)}
}

func (t *offsetTracker) part(p int) *partitionOffsets {
	po, ok := t.parts[p]
	if !ok {
		po = &partitionOffsets{done: -1, committed: -1}
		t.parts[p] = po
	}
	return po
}

// register records that offsets up to offset in partition p were fetched
// into a batch, and returns the mark the processor hands back to done.
func (t *offsetTracker) register(p int, offset int64) offsetMark {
	t.mu.Lock()
	defer t.mu.Unlock()
	po := t.part(p)
	po.pending = append(po.pending, pendingOffset{offset: offset})
	return offsetMark{partition: p, epoch: po.epoch, offset: offset}
}

// rewind forgets partition p's pending work: the reader restarted it from an
// earlier offset, so that work will be fetched again.
func (t *offsetTracker) rewind(p int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	po := t.part(p)
	po.epoch++
	po.pending = nil
	po.done = -1
}

// done marks m processed and reports whether it was current (not from a
// rewound epoch).
func (t *offsetTracker) markDone(m offsetMark) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	po := t.part(m.partition)
	if po.epoch != m.epoch {
		return false
	}
	i, found := slices.BinarySearchFunc(po.pending, m.offset, func(e pendingOffset, o int64) int {
		switch {
		case e.offset < o:
			return -1
		case e.offset > o:
			return 1
		}
		return 0
	})
	if !found {
		return false
	}
	po.pending[i].done = true
	n := 0
	for n < len(po.pending) && po.pending[n].done {
		po.done = po.pending[n].offset
		n++
	}
	po.pending = po.pending[n:]
	return true
}

// committable returns, per partition, the offset to commit: the highest done
// offset past the last commit.
func (t *offsetTracker) committable() []offsetMark {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []offsetMark
	for p, po := range t.parts {
		if po.done > po.committed {
			out = append(out, offsetMark{partition: p, epoch: po.epoch, offset: po.done})
		}
	}
	slices.SortFunc(out, func(a, b offsetMark) int { return a.partition - b.partition })
	return out
}

// markCommitted records a successful commit of marks.
func (t *offsetTracker) markCommitted(marks []offsetMark) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range marks {
		po := t.part(m.partition)
		po.committed = max(po.committed, m.offset)
	}
}
