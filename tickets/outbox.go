package tickets

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/sharewatch/sharewatch/scoring"
)

// The outbox is an append-only journal (outbox.jsonl) of ticket intents and
// of what became of them. Each Act appends its records and fsyncs before it
// returns, so an intent is durable before anything is sent. The journal is
// also the durable state of every open ticket (ref, priority, what evidence
// it shows, when it was last commented): replaying it after a restart
// restores both the unsent intents and the escalation rules' memory.
//
// Records apply as monotone merges (max of levels and times), so replaying
// a snapshot followed by intents gives the same state in any order. On
// start, and when it has grown, the journal is compacted: one snapshot
// record per open ticket plus the unsent intents, written to a temporary
// file, fsync'd and renamed over the journal.
//
// A torn last line (a crash mid-write) is cut off on start; it was never
// acknowledged. Any other unreadable line stops the start: intents are
// never dropped silently.

const (
	journalName = "outbox.jsonl"
	// compactAfter is how many records may be appended before the journal
	// is compacted, at least; see maybeCompact.
	compactAfter = 10000
)

// Intent kinds.
const (
	intentOpen     = "open"     // make sure a ticket exists; create with Body
	intentEscalate = "escalate" // comment on the ticket (create if none)
	intentPriority = "priority" // raise the priority only (create if none)
	intentUndone   = "undone"   // comment that the case came undone (never create)
)

// intent is one thing to do on the helpdesk for one account.
type intent struct {
	Seq       uint64        `json:"seq"`
	Kind      string        `json:"kind"`
	AccountID string        `json:"account_id"`
	EventID   string        `json:"event_id"`
	EventTime time.Time     `json:"event_time"`
	Enqueued  time.Time     `json:"enqueued"`
	Action    string        `json:"action"`
	Label     scoring.Label `json:"label"`
	Score     float64       `json:"score"`
	Priority  Priority      `json:"priority"`
	Subject   string        `json:"subject"`
	// Body is the full ticket text, used to create a ticket when none is
	// open (always for open intents; as a fallback for the others).
	Body string `json:"body"`
	// Comment is the escalation comment.
	Comment string `json:"comment,omitempty"`
	// Raise asks for the ticket's priority to be raised to Priority.
	Raise bool `json:"raise,omitempty"`
	// Reason summarises the verdict for the audit log.
	Reason string `json:"reason"`

	// progress, not persisted: steps already done in this process, so a
	// retry after a partial failure does not repeat them.
	ref       string
	commented bool
	raised    bool // Raise done
	created   bool
	adopted   bool
	audited   bool
	opened    time.Time // the helpdesk's creation time, when it says
}

// ticketState is what sharewatch knows about an account's open ticket.
type ticketState struct {
	AccountID string `json:"account_id"`
	// Ref is empty until the ticket is created or found.
	Ref string `json:"ref,omitempty"`
	// Action and Label are the most severe the ticket shows (created with,
	// or commented).
	Action   string        `json:"action"`
	Label    scoring.Label `json:"label"`
	Priority Priority      `json:"priority"`
	// LastComment is the event time of the last escalation comment.
	LastComment time.Time `json:"last_comment,omitzero"`
	// Undone: the ticket has been told that its case came undone, and
	// has not been escalated since.
	Undone bool `json:"undone,omitempty"`
	// Opened is when the ticket was created (the helpdesk's clock when it
	// says, else when sharewatch created or found it).
	Opened time.Time `json:"opened,omitzero"`
}

// record is one journal line.
type record struct {
	Op     string       `json:"op"` // intent | done | state | close
	Intent *intent      `json:"intent,omitempty"`
	Done   *doneRecord  `json:"done,omitempty"`
	State  *ticketState `json:"state,omitempty"`
	Close  *closeRecord `json:"close,omitempty"`
}

type doneRecord struct {
	Seq       uint64    `json:"seq"`
	AccountID string    `json:"account_id"`
	Ref       string    `json:"ref,omitempty"`
	Opened    time.Time `json:"opened,omitzero"`
	// Superseded marks an intent dropped because the ticket was decided.
	Superseded bool `json:"superseded,omitempty"`
}

type closeRecord struct {
	AccountID string    `json:"account_id"`
	Ref       string    `json:"ref"`
	Time      time.Time `json:"time"`
}

// ErrOutboxBroken is returned once a journal write or fsync has failed: the
// in-memory state may be ahead of the disk, so the process must restart
// from the journal.
var ErrOutboxBroken = errors.New("tickets: outbox journal write failed; restart to recover from the journal")

// outbox is the journal and the state it describes. Its methods are safe
// for concurrent use.
type outbox struct {
	dir    string
	shards int

	mu       sync.Mutex
	f        *os.File
	broken   error
	appended int // records since the last compaction
	nextSeq  uint64
	accounts map[string]*ticketState
	pending  map[uint64]*intent
	queues   [][]*intent // per shard, in seq order
	inflight map[uint64]bool
	notify   chan struct{} // closed and replaced when an intent is added
	drained  chan struct{} // closed and replaced when an intent is done
}

// openOutbox replays and compacts the journal in dir.
func openOutbox(dir string, shards int) (*outbox, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	o := &outbox{
		dir:      dir,
		shards:   shards,
		accounts: map[string]*ticketState{},
		pending:  map[uint64]*intent{},
		queues:   make([][]*intent, shards),
		inflight: map[uint64]bool{},
		notify:   make(chan struct{}),
		drained:  make(chan struct{}),
		nextSeq:  1,
	}
	if err := o.replay(); err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.compactLocked(); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *outbox) path() string { return filepath.Join(o.dir, journalName) }

func (o *outbox) replay() error {
	f, err := os.Open(o.path())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	var good int64
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			if len(bytes.TrimSpace(b)) > 0 {
				// A torn write: the crash came before its fsync, so the
				// records were never acknowledged.
				return os.Truncate(o.path(), good)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("outbox: reading %s: %w", o.path(), err)
		}
		var rec record
		if err := json.Unmarshal(b, &rec); err != nil {
			if _, perr := r.Peek(1); errors.Is(perr, io.EOF) {
				return os.Truncate(o.path(), good)
			}
			return fmt.Errorf("outbox: %s line %d is corrupt (%v); refusing to start so that no intent is lost", o.path(), line, err)
		}
		good += int64(len(b))
		o.apply(&rec)
	}
}

// apply changes the state by one record. mu is held (or not yet shared).
func (o *outbox) apply(rec *record) {
	switch rec.Op {
	case "intent":
		it := rec.Intent
		if it == nil {
			return
		}
		if it.Seq >= o.nextSeq {
			o.nextSeq = it.Seq + 1
		}
		if _, dup := o.pending[it.Seq]; dup {
			return
		}
		o.pending[it.Seq] = it
		s := o.shard(it.AccountID)
		o.queues[s] = append(o.queues[s], it)
		st := o.accounts[it.AccountID]
		if st == nil {
			st = &ticketState{AccountID: it.AccountID}
			o.accounts[it.AccountID] = st
		}
		mergeIntent(st, it)
	case "done":
		d := rec.Done
		if d == nil {
			return
		}
		if it := o.pending[d.Seq]; it != nil {
			delete(o.pending, d.Seq)
			s := o.shard(it.AccountID)
			o.queues[s] = slices.DeleteFunc(o.queues[s], func(x *intent) bool { return x.Seq == d.Seq })
		}
		if st := o.accounts[d.AccountID]; st != nil && d.Ref != "" {
			st.Ref = d.Ref
			if st.Opened.IsZero() {
				st.Opened = d.Opened
			}
		}
	case "state":
		s := rec.State
		if s == nil {
			return
		}
		st := o.accounts[s.AccountID]
		if st == nil {
			cp := *s
			o.accounts[s.AccountID] = &cp
			return
		}
		if st.Ref == "" {
			st.Ref = s.Ref
		}
		st.Action = maxAction(st.Action, s.Action)
		st.Label = max(st.Label, s.Label)
		st.Priority = max(st.Priority, s.Priority)
		if s.LastComment.After(st.LastComment) {
			st.LastComment = s.LastComment
		}
		if st.Opened.IsZero() {
			st.Opened = s.Opened
		}
	case "close":
		c := rec.Close
		if c == nil {
			return
		}
		if st := o.accounts[c.AccountID]; st != nil && st.Ref == c.Ref {
			delete(o.accounts, c.AccountID)
		}
	}
}

func (o *outbox) shard(account string) int {
	// FNV-1a: stable across restarts, unlike maphash.
	h := uint32(2166136261)
	for i := 0; i < len(account); i++ {
		h ^= uint32(account[i])
		h *= 16777619
	}
	return int(h % uint32(o.shards))
}

// compactLocked rewrites the journal as a snapshot: one state record per
// known ticket, then the pending intents in order.
func (o *outbox) compactLocked() error {
	tmp := o.path() + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("outbox: compacting: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	enc := json.NewEncoder(w)
	var werr error
	for _, id := range sortedKeys(o.accounts) {
		werr = errors.Join(werr, enc.Encode(record{Op: "state", State: o.accounts[id]}))
	}
	for _, seq := range sortedKeys(o.pending) {
		werr = errors.Join(werr, enc.Encode(record{Op: "intent", Intent: o.pending[seq]}))
	}
	werr = errors.Join(werr, w.Flush(), f.Sync(), f.Close())
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("outbox: compacting: %w", werr)
	}
	if err := os.Rename(tmp, o.path()); err != nil {
		return fmt.Errorf("outbox: compacting: %w", err)
	}
	if err := syncDir(o.dir); err != nil {
		return fmt.Errorf("outbox: compacting: %w", err)
	}
	if o.f != nil {
		o.f.Close()
	}
	o.f, err = os.OpenFile(o.path(), os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	o.appended = 0
	return nil
}

func sortedKeys[K string | uint64, V any](m map[K]V) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// appendLocked writes records, fsyncs, then applies them. A failure breaks
// the outbox for good (see ErrOutboxBroken).
func (o *outbox) appendLocked(recs []record) error {
	if o.broken != nil {
		return o.broken
	}
	if len(recs) == 0 {
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			return fmt.Errorf("outbox: encoding record: %w", err)
		}
	}
	if _, err := o.f.Write(buf.Bytes()); err != nil {
		o.broken = fmt.Errorf("%w: %v", ErrOutboxBroken, err)
		return o.broken
	}
	if err := o.f.Sync(); err != nil {
		o.broken = fmt.Errorf("%w: fsync: %v", ErrOutboxBroken, err)
		return o.broken
	}
	added := false
	for i := range recs {
		o.apply(&recs[i])
		added = added || recs[i].Op == "intent"
	}
	o.appended += len(recs)
	if added {
		close(o.notify)
		o.notify = make(chan struct{})
	}
	o.maybeCompactLocked()
	return nil
}

// maybeCompactLocked compacts when the journal holds mostly dead records.
func (o *outbox) maybeCompactLocked() {
	if o.appended < compactAfter || o.appended < 4*(len(o.accounts)+len(o.pending)) {
		return
	}
	if err := o.compactLocked(); err != nil {
		o.broken = fmt.Errorf("%w: %v", ErrOutboxBroken, err)
	}
}

// add assigns sequence numbers to intents and makes them durable.
func (o *outbox) add(its []*intent) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	recs := make([]record, 0, len(its))
	for _, it := range its {
		if it.Kind == intentUndone && o.accounts[it.AccountID] == nil {
			// The ticket was decided after Act looked: nothing to tell,
			// and journalled it would leave a state with no ticket.
			continue
		}
		it.Seq = o.nextSeq
		o.nextSeq++
		recs = append(recs, record{Op: "intent", Intent: it})
	}
	return o.appendLocked(recs)
}

// done records that an intent is carried out (or superseded).
func (o *outbox) done(d doneRecord) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.inflight, d.Seq)
	if err := o.appendLocked([]record{{Op: "done", Done: &d}}); err != nil {
		return err
	}
	close(o.drained)
	o.drained = make(chan struct{})
	return nil
}

// closeTicket forgets an account's ticket after a decision, and supersedes
// its intents that are not in flight: they predate the decision.
func (o *outbox) closeTicket(account, ref string, at time.Time) (opened time.Time, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	st := o.accounts[account]
	if st == nil || st.Ref != ref {
		// Not the ticket sharewatch has on record (an older one, or one
		// whose creation is still pending): nothing to forget.
		return time.Time{}, nil
	}
	opened = st.Opened
	recs := []record{{Op: "close", Close: &closeRecord{AccountID: account, Ref: ref, Time: at}}}
	for _, it := range o.queues[o.shard(account)] {
		if it.AccountID == account && !o.inflight[it.Seq] {
			recs = append(recs, record{Op: "done", Done: &doneRecord{Seq: it.Seq, AccountID: account, Superseded: true}})
		}
	}
	if err := o.appendLocked(recs); err != nil {
		return time.Time{}, err
	}
	close(o.drained)
	o.drained = make(chan struct{})
	return opened, nil
}

// next returns the oldest pending intent of a shard, or nil and a channel
// that is closed when intents are added.
func (o *outbox) next(shard int) (*intent, <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	// Only the oldest intent of a shard may be sent: while it is in
	// flight, per-account order holds the rest back.
	if q := o.queues[shard]; len(q) > 0 && !o.inflight[q[0].Seq] {
		o.inflight[q[0].Seq] = true
		return q[0], nil
	}
	return nil, o.notify
}

// release gives an intent back after a failed attempt (Run is stopping).
func (o *outbox) release(seq uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.inflight, seq)
}

// room waits until fewer than limit intents are pending.
func (o *outbox) room(limit int, done <-chan struct{}) error {
	for {
		o.mu.Lock()
		n, ch, broken := len(o.pending), o.drained, o.broken
		o.mu.Unlock()
		if broken != nil {
			return broken
		}
		if n < limit {
			return nil
		}
		select {
		case <-ch:
		case <-done:
			return errors.New("tickets: waiting for outbox room: cancelled")
		}
	}
}

func (o *outbox) state(account string) (ticketState, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	st := o.accounts[account]
	if st == nil {
		return ticketState{}, false
	}
	return *st, true
}

func (o *outbox) pendingCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.pending)
}

// openStats returns the number of open tickets and the oldest's age.
func (o *outbox) openStats(now time.Time) (n int, oldest time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, st := range o.accounts {
		if st.Ref == "" {
			continue
		}
		n++
		if !st.Opened.IsZero() {
			oldest = max(oldest, now.Sub(st.Opened))
		}
	}
	return n, oldest
}

func (o *outbox) close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f == nil {
		return nil
	}
	err := o.f.Close()
	o.f = nil
	if o.broken == nil {
		o.broken = errors.New("tickets: outbox closed")
	}
	return err
}

var actionRank = map[string]int{"": 0, "none": 0, "ticket": 1, "hold": 2}

func maxAction(a, b string) string {
	if actionRank[b] > actionRank[a] {
		return b
	}
	return a
}
