package verdictstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sharewatch/sharewatch/scoring"
)

// Action is the kind of an audit log entry.
type Action string

// Actions of the audit log.
const (
	ActionTicket   Action = "ticket"
	ActionHold     Action = "hold"
	ActionRelease  Action = "release"
	ActionDecision Action = "decision"
	ActionComment  Action = "comment"
)

var actions = []Action{ActionTicket, ActionHold, ActionRelease, ActionDecision, ActionComment}

// Valid reports whether a is one of the audit log's actions.
func (a Action) Valid() bool { return slices.Contains(actions, a) }

// ActionRecord is one entry of the actions audit log: something done to an
// account, by the pipeline or by an analyst. Time is stored to the
// millisecond.
type ActionRecord struct {
	AccountID string    `json:"account_id"`
	Time      time.Time `json:"time"`
	Action    Action    `json:"action"`
	// Actor is who acted: "sharewatch" for the pipeline, else an analyst.
	Actor  string `json:"actor"`
	Reason string `json:"reason"`
	// TicketRef is the helpdesk ticket, if any (e.g. "rt:123").
	TicketRef string `json:"ticket_ref"`
	// EventID is the event whose verdict led to the action, if any.
	EventID string        `json:"event_id"`
	Verdict scoring.Label `json:"verdict"`
	Score   float64       `json:"score"`
	// DryRun is set when the action was only recorded, not carried out.
	DryRun bool `json:"dry_run"`
}

// WriteActions appends rs to the actions table, retrying until ClickHouse
// acknowledges or ctx is done. The table is a plain MergeTree: an insert
// retried after a lost acknowledgement can leave a duplicate row.
func (s *ClickHouse) WriteActions(ctx context.Context, rs []ActionRecord) error {
	if len(rs) == 0 {
		return nil
	}
	start := time.Now()
	n := len(rs)
	var (
		account, action, actor, reason, ticket, event, verdict = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		ts                                                     = make([]time.Time, n)
		ms                                                     = make([]uint16, n)
		score                                                  = make([]float64, n)
		dryRun                                                 = make([]uint8, n)
	)
	for i := range rs {
		r := &rs[i]
		if !r.Action.Valid() {
			return fmt.Errorf("action record for %s: unknown action %q: %w", r.AccountID, r.Action, ErrInvalidRecord)
		}
		if r.Time.Before(minTime) || r.Time.After(maxTime) {
			return fmt.Errorf("action record for %s: time %v outside ClickHouse DateTime range: %w", r.AccountID, r.Time, ErrInvalidRecord)
		}
		account[i], action[i], actor[i], reason[i] = r.AccountID, string(r.Action), r.Actor, r.Reason
		ticket[i], event[i], verdict[i], score[i] = r.TicketRef, r.EventID, r.Verdict.String(), r.Score
		ts[i], ms[i] = splitTime(r.Time)
		if r.DryRun {
			dryRun[i] = 1
		}
	}
	cols := []any{account, ts, ms, action, actor, reason, ticket, event, verdict, score, dryRun}
	if err := s.insert(ctx, TableActions, s.insertActions, n, cols); err != nil {
		return fmt.Errorf("writing %d action records: %w", n, err)
	}
	s.metrics.batchDuration.Observe(time.Since(start).Seconds())
	return nil
}
