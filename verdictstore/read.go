package verdictstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sharewatch/sharewatch/scoring"
)

// AccountHistory returns the account's latest limit verdicts (all of them if
// limit <= 0), deduplicated with FINAL and ordered by event time, oldest
// first. Times come back in UTC with millisecond precision.
func (s *ClickHouse) AccountHistory(ctx context.Context, accountID string, limit int) ([]scoring.Verdict, error) {
	q := "SELECT event_id, time, time_ms, account_id, session_id, device_id, type, ip, country, city, " +
		"lat, lon, accuracy_km, asn, score, verdict, reasons, explanation, action, model_version " +
		"FROM " + s.cfg.Database + ".verdicts FINAL WHERE account_id = ? " +
		"ORDER BY time DESC, time_ms DESC, event_id DESC"
	args := []any{accountID}
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading history of account %s: %w", accountID, err)
	}
	defer rows.Close()
	var out []scoring.Verdict
	for rows.Next() {
		var (
			v        scoring.Verdict
			sec      time.Time
			ms       uint16
			accuracy int32
			label    string
		)
		if err := rows.Scan(&v.EventID, &sec, &ms, &v.AccountID, &v.SessionID, &v.DeviceID, &v.Type,
			&v.IP, &v.Country, &v.City, &v.Lat, &v.Lon, &accuracy, &v.ASN, &v.Score, &label,
			&v.Reasons, &v.Explanation, &v.Action, &v.ModelVersion); err != nil {
			return nil, fmt.Errorf("reading history of account %s: %w", accountID, err)
		}
		v.Time = joinTime(sec, ms)
		v.AccuracyKM = int(accuracy)
		if v.Verdict, err = scoring.ParseLabel(label); err != nil {
			return nil, fmt.Errorf("reading history of account %s: event %s: %w", accountID, v.EventID, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading history of account %s: %w", accountID, err)
	}
	slices.Reverse(out)
	return out, nil
}

// AccountActions returns the account's audit log, oldest first.
func (s *ClickHouse) AccountActions(ctx context.Context, accountID string) ([]ActionRecord, error) {
	rows, err := s.conn.Query(ctx, "SELECT account_id, time, time_ms, action, actor, reason, ticket_ref, "+
		"event_id, verdict, score, dry_run FROM "+s.cfg.Database+".actions WHERE account_id = ? "+
		"ORDER BY time, time_ms", accountID)
	if err != nil {
		return nil, fmt.Errorf("reading actions of account %s: %w", accountID, err)
	}
	defer rows.Close()
	var out []ActionRecord
	for rows.Next() {
		var (
			r      ActionRecord
			sec    time.Time
			ms     uint16
			action string
			label  string
			dryRun uint8
		)
		if err := rows.Scan(&r.AccountID, &sec, &ms, &action, &r.Actor, &r.Reason, &r.TicketRef,
			&r.EventID, &label, &r.Score, &dryRun); err != nil {
			return nil, fmt.Errorf("reading actions of account %s: %w", accountID, err)
		}
		r.Time = joinTime(sec, ms)
		r.Action = Action(action)
		r.DryRun = dryRun != 0
		if r.Verdict, err = scoring.ParseLabel(label); err != nil {
			return nil, fmt.Errorf("reading actions of account %s: %w", accountID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading actions of account %s: %w", accountID, err)
	}
	return out, nil
}

// AccountState is a row of account_verdicts: an account's latest verdict.
type AccountState struct {
	AccountID    string
	UpdatedAt    time.Time
	Version      uint64
	Verdict      scoring.Label
	Score        float64
	Reasons      []string
	Explanation  string
	FirstFlagged *time.Time
	LastEventID  string
	LastEvent    time.Time
	Action       string
	ModelVersion string
}

// AccountState returns the account's latest verdict from account_verdicts
// (with FINAL), and false if the account has none.
func (s *ClickHouse) AccountState(ctx context.Context, accountID string) (AccountState, bool, error) {
	rows, err := s.conn.Query(ctx, "SELECT account_id, updated_at, version, verdict, score, reasons, explanation, "+
		"first_flagged, last_event_id, last_event_time, last_event_time_ms, action, model_version FROM "+
		s.cfg.Database+".account_verdicts FINAL WHERE account_id = ?", accountID)
	if err != nil {
		return AccountState{}, false, fmt.Errorf("reading state of account %s: %w", accountID, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return AccountState{}, false, rows.Err()
	}
	var (
		a     AccountState
		label string
		ms    uint16
	)
	if err := rows.Scan(&a.AccountID, &a.UpdatedAt, &a.Version, &label, &a.Score, &a.Reasons, &a.Explanation,
		&a.FirstFlagged, &a.LastEventID, &a.LastEvent, &ms, &a.Action, &a.ModelVersion); err != nil {
		return AccountState{}, false, fmt.Errorf("reading state of account %s: %w", accountID, err)
	}
	a.LastEvent = joinTime(a.LastEvent, ms)
	if a.FirstFlagged != nil {
		t := a.FirstFlagged.UTC()
		a.FirstFlagged = &t
	}
	if a.Verdict, err = scoring.ParseLabel(label); err != nil {
		return AccountState{}, false, fmt.Errorf("reading state of account %s: %w", accountID, err)
	}
	return a, true, nil
}
