package tickets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// FileQueue is the built-in helpdesk for the demo: every ticket in one JSON
// file (tickets.json) in a directory, rewritten atomically (temporary file,
// fsync, rename) on each change. An flock on tickets.lock serialises
// processes, so a CLI can resolve tickets while the pipeline runs. Tickets
// are listed oldest first, as a helpdesk queue serves them.
type FileQueue struct {
	dir string
	mu  sync.Mutex
	now func() time.Time
}

// FileTicket is a ticket of the file queue.
type FileTicket struct {
	Ticket
	Body     string        `json:"body"`
	Tags     []string      `json:"tags,omitempty"`
	Comments []FileComment `json:"comments,omitempty"`
	Updated  time.Time     `json:"updated"`
	// Decision fields, set by Resolve.
	Outcome  Outcome   `json:"outcome,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	Analyst  string    `json:"analyst,omitempty"`
	Resolved time.Time `json:"resolved,omitzero"`
}

// FileComment is an internal comment.
type FileComment struct {
	Time time.Time `json:"time"`
	Body string    `json:"body"`
}

type fileDB struct {
	NextID  int          `json:"next_id"`
	Tickets []FileTicket `json:"tickets"`
}

// File queue statuses.
const (
	FileStatusOpen     = "open"
	FileStatusResolved = "resolved"
)

// NewFileQueue opens (creating) a queue in dir.
func NewFileQueue(dir string) (*FileQueue, error) {
	if dir == "" {
		return nil, fmt.Errorf("file queue: %w", ErrMissing)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("file queue: %w", err)
	}
	return &FileQueue{dir: dir, now: func() time.Time { return time.Now().UTC() }}, nil
}

// Dir returns the queue's directory.
func (q *FileQueue) Dir() string { return q.dir }

// update runs fn on the database under both locks and saves it if fn
// reports a change.
func (q *FileQueue) update(fn func(db *fileDB) (changed bool, err error)) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	lf, err := os.OpenFile(filepath.Join(q.dir, "tickets.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("file queue: %w", err)
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("file queue: locking: %w", err)
	}
	defer syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)

	var db fileDB
	path := filepath.Join(q.dir, "tickets.json")
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("file queue: %w", err)
	default:
		if err := json.Unmarshal(b, &db); err != nil {
			return fmt.Errorf("file queue: %s: %w", path, err)
		}
	}
	changed, err := fn(&db)
	if err != nil || !changed {
		return err
	}
	out, err := json.MarshalIndent(&db, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("file queue: %w", err)
	}
	if _, err := f.Write(append(out, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("file queue: %w", err)
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("file queue: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("file queue: %w", err)
	}
	return syncDir(q.dir)
}

func (q *FileQueue) view(fn func(db *fileDB) error) error {
	return q.update(func(db *fileDB) (bool, error) { return false, fn(db) })
}

func findFile(db *fileDB, ref string) (*FileTicket, error) {
	id, err := splitRef("file", ref)
	if err != nil {
		return nil, err
	}
	for i := range db.Tickets {
		if strconv.Itoa(idOf(db.Tickets[i].Ref)) == id {
			return &db.Tickets[i], nil
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrNotFound, ref)
}

func idOf(ref string) int {
	id, _ := splitRef("file", ref)
	n, _ := strconv.Atoi(id)
	return n
}

// FindOpen implements Helpdesk.
func (q *FileQueue) FindOpen(ctx context.Context, accountID string) (*Ticket, error) {
	var out *Ticket
	err := q.view(func(db *fileDB) error {
		for i := range db.Tickets {
			t := &db.Tickets[i]
			if t.AccountID == accountID && t.Status == FileStatusOpen {
				cp := t.Ticket
				out = &cp
				return nil
			}
		}
		return nil
	})
	return out, err
}

// Create implements Helpdesk.
func (q *FileQueue) Create(ctx context.Context, nt NewTicket) (Ticket, error) {
	var out Ticket
	err := q.update(func(db *fileDB) (bool, error) {
		db.NextID++
		now := q.now()
		t := FileTicket{
			Ticket: Ticket{Ref: "file:" + strconv.Itoa(db.NextID), AccountID: nt.AccountID, Subject: nt.Subject,
				Status: FileStatusOpen, Priority: nt.Priority, Created: now},
			Body: nt.Body, Tags: nt.Tags, Updated: now,
		}
		db.Tickets = append(db.Tickets, t)
		out = t.Ticket
		return true, nil
	})
	return out, err
}

// Comment implements Helpdesk.
func (q *FileQueue) Comment(ctx context.Context, ref, body string) error {
	return q.update(func(db *fileDB) (bool, error) {
		t, err := findFile(db, ref)
		if err != nil {
			return false, err
		}
		now := q.now()
		t.Comments = append(t.Comments, FileComment{Time: now, Body: body})
		t.Updated = now
		return true, nil
	})
}

// SetPriority implements Helpdesk.
func (q *FileQueue) SetPriority(ctx context.Context, ref string, p Priority) error {
	return q.update(func(db *fileDB) (bool, error) {
		t, err := findFile(db, ref)
		if err != nil {
			return false, err
		}
		t.Priority = p
		t.Updated = q.now()
		return true, nil
	})
}

// Decisions implements Helpdesk.
func (q *FileQueue) Decisions(ctx context.Context, since time.Time) ([]Decision, error) {
	var out []Decision
	err := q.view(func(db *fileDB) error {
		for i := range db.Tickets {
			t := &db.Tickets[i]
			if t.Status == FileStatusResolved && t.Outcome.Valid() && !t.Resolved.Before(since) {
				out = append(out, Decision{Ref: t.Ref, AccountID: t.AccountID, Outcome: t.Outcome,
					Reason: t.Reason, Analyst: t.Analyst, Time: t.Resolved})
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b Decision) int { return a.Time.Compare(b.Time) })
	return out, err
}

// ErrBadOutcome is returned by Resolve for an outcome other than sharing or
// not_sharing.
var ErrBadOutcome = errors.New("outcome must be sharing or not_sharing")

// ErrNoReason is returned by Resolve without a written reason.
var ErrNoReason = errors.New("a written reason is required")

// Resolve records an analyst's decision and resolves the ticket: the CLI's
// side of the file queue.
func (q *FileQueue) Resolve(ref string, outcome Outcome, reason, analyst string) error {
	if !outcome.Valid() {
		return fmt.Errorf("resolving %s: %w, got %q", ref, ErrBadOutcome, outcome)
	}
	if reason == "" {
		return fmt.Errorf("resolving %s: %w", ref, ErrNoReason)
	}
	return q.update(func(db *fileDB) (bool, error) {
		t, err := findFile(db, ref)
		if err != nil {
			return false, err
		}
		now := q.now()
		t.Status, t.Outcome, t.Reason, t.Analyst, t.Resolved, t.Updated = FileStatusResolved, outcome, reason, analyst, now, now
		return true, nil
	})
}

// List returns the tickets, oldest first; only open ones if openOnly.
func (q *FileQueue) List(openOnly bool) ([]FileTicket, error) {
	var out []FileTicket
	err := q.view(func(db *fileDB) error {
		for _, t := range db.Tickets {
			if !openOnly || t.Status == FileStatusOpen {
				out = append(out, t)
			}
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b FileTicket) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return idOf(a.Ref) - idOf(b.Ref)
	})
	return out, err
}

// ResolveHint tells analysts how to record a decision, for ticket bodies.
func (q *FileQueue) ResolveHint() string {
	return "Decide by resolving the ticket in the file queue as sharing or not_sharing, with a written reason."
}
