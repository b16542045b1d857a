// Package testaudit is an in-memory audit log for tests of the components
// that record their actions (tickets, holds): it keeps the rows written to
// it and can fail its first calls, as a ClickHouse that is down would.
package testaudit

import (
	"context"
	"errors"
	"sync"

	"github.com/sharewatch/sharewatch/verdictstore"
)

// Log is an in-memory audit log. The zero value accepts every write.
type Log struct {
	mu      sync.Mutex
	rows    []verdictstore.ActionRecord
	failing int
}

// Failing returns a Log whose first n writes fail.
func Failing(n int) *Log { return &Log{failing: n} }

// SetFailing makes the next n writes fail.
func (l *Log) SetFailing(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failing = n
}

// WriteActions records rs, or fails while failing writes remain.
func (l *Log) WriteActions(ctx context.Context, rs []verdictstore.ActionRecord) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failing > 0 {
		l.failing--
		return errors.New("audit log down")
	}
	l.rows = append(l.rows, rs...)
	return nil
}

// Rows returns every row written so far.
func (l *Log) Rows() []verdictstore.ActionRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]verdictstore.ActionRecord(nil), l.rows...)
}

// Actions returns the rows of one kind.
func (l *Log) Actions(kind verdictstore.Action) []verdictstore.ActionRecord {
	var out []verdictstore.ActionRecord
	for _, r := range l.Rows() {
		if r.Action == kind {
			out = append(out, r)
		}
	}
	return out
}

// Count returns how many rows of one kind were written with the given
// dry-run flag.
func (l *Log) Count(kind verdictstore.Action, dryRun bool) int {
	n := 0
	for _, r := range l.Actions(kind) {
		if r.DryRun == dryRun {
			n++
		}
	}
	return n
}
