package verdictstore

import (
	"context"
	"fmt"
	"time"
)

// How often a store re-reads flags other writers recorded, and how far back
// it looks to cover clock skew between writers.
const (
	flagRefreshInterval = time.Minute
	flagRefreshSlack    = 5 * time.Minute
)

// flagged holds every flagged account's first flagged time (Unix s), to
// carry first_flagged forward in account_verdicts, whose ReplacingMergeTree
// keeps only each account's latest row. Only flagged accounts are held (a
// small share of all accounts); an account missing from it has never been
// flagged. It is loaded on the first write and refreshed each minute with
// rows other writers (pipeline instances sharing the table) updated since.
type flagged struct {
	first     map[string]int64
	refreshed time.Time // zero before the first load
}

// refreshFlags loads or refreshes s.flags; the caller holds accMu. now is
// the writer's clock, as stored in updated_at.
func (s *ClickHouse) refreshFlags(ctx context.Context, now time.Time) error {
	f := &s.flags
	if !f.refreshed.IsZero() && now.Sub(f.refreshed) < flagRefreshInterval {
		return nil
	}
	// Every row carries the earliest flag its writer knew, so min() over
	// the rows (merged or not) needs no FINAL.
	q := "SELECT account_id, toUInt32(min(assumeNotNull(first_flagged))) FROM " + s.cfg.Database +
		".account_verdicts WHERE first_flagged IS NOT NULL"
	var args []any
	if !f.refreshed.IsZero() {
		q += " AND updated_at >= toDateTime(?)"
		args = append(args, f.refreshed.Add(-flagRefreshSlack).Unix())
	}
	q += " GROUP BY account_id"
	found := make(map[string]int64)
	err := s.retryRead(ctx, func(ctx context.Context) error {
		clear(found)
		rows, err := s.conn.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var first uint32
			if err := rows.Scan(&id, &first); err != nil {
				return err
			}
			found[id] = int64(first)
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("reading first_flagged: %w", err)
	}
	if f.first == nil {
		f.first = make(map[string]int64, len(found))
	}
	for id, t := range found {
		if cur, ok := f.first[id]; !ok || t < cur {
			f.first[id] = t
		}
	}
	f.refreshed = now
	return nil
}
