package tickets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sharewatch/sharewatch/scoring"
	"github.com/sharewatch/sharewatch/verdictstore"
)

// AuditLog receives the actions audit log rows: verdictstore.ClickHouse
// implements it.
type AuditLog interface {
	WriteActions(ctx context.Context, rs []verdictstore.ActionRecord) error
}

// Actor is the audit log's actor for what the pipeline does by itself.
const Actor = "sharewatch"

// decisionOverlap is how far each decision poll reaches back before the
// previous poll: it covers clock skew between sharewatch and the helpdesk
// and Zendesk's search indexing delay. Decisions are deduplicated.
const decisionOverlap = time.Hour

// seenRetention is how long a handled decision is remembered, so that a
// ticket that shows up again (closed, updated) is not handled twice.
const seenRetention = 90 * 24 * time.Hour

// ManagerOptions build a Manager.
type ManagerOptions struct {
	// Helpdesk is required.
	Helpdesk Helpdesk
	// Config supplies the outbox directory, limits and intervals; zero
	// fields take their defaults.
	Config Config
	// Audit, if set, receives a row for every ticket opened, escalation
	// comment and analyst decision.
	// Default: nil (no audit rows)
	Audit AuditLog
	// HoldPlaced, if set, reports whether an automatic hold is in place
	// for an account. A verdict whose action is hold but whose hold was
	// not placed (the blast-radius brake is engaged) then gets a high
	// priority review ticket rather than an urgent held one. It is asked
	// during Act, so the holder must act on a batch before the Manager
	// does (list it first among the pipeline's actors). With holds turned
	// off, pass a func that returns false.
	// Default: nil (every hold action is taken as placed)
	HoldPlaced func(accountID string) bool
	// ConfigPath is shown in the ticket's explain command.
	// Default: sharewatch.yml
	ConfigPath string
	// VerdictsTable is shown in the ticket's ClickHouse query.
	// Default: sharewatch.verdicts
	VerdictsTable string
	// TimelineSize is how many recent flagged verdicts per account the
	// ticket's timeline shows.
	// Default: 12
	TimelineSize int
	// MaxAccounts bounds the accounts whose recent verdicts are kept for
	// timelines; the least recently flagged are forgotten first.
	// Default: 100000
	MaxAccounts int
	Logger      *slog.Logger
	Registerer  prometheus.Registerer
	// Now is the clock (tests).
	// Default: time.Now
	Now func() time.Time
}

// Manager turns verdicts into helpdesk tickets: at most one open ticket per
// account, escalations as rate-limited comments, holds as urgent tickets.
// Act makes intents durable in the outbox; Run sends them; PollDecisions
// reads analysts' decisions back.
type Manager struct {
	o    ManagerOptions
	cfg  Config
	hd   Helpdesk
	ob   *outbox
	log  *slog.Logger
	m    *metrics
	now  func() time.Time
	lock *os.File

	actMu sync.Mutex // serialises Act; guards hist
	hist  *history

	pollMu sync.Mutex // serialises decision polls

	// A Retry-After is the helpdesk's word for the whole client: every
	// worker waits until pauseUntil.
	pauseMu    sync.Mutex
	pauseUntil time.Time
}

// pause holds every worker until d from now.
func (m *Manager) pause(d time.Duration) {
	m.pauseMu.Lock()
	defer m.pauseMu.Unlock()
	if until := time.Now().Add(d); until.After(m.pauseUntil) {
		m.pauseUntil = until
	}
}

// waitPause waits out a pause; false if ctx ended first.
func (m *Manager) waitPause(ctx context.Context) bool {
	m.pauseMu.Lock()
	d := time.Until(m.pauseUntil)
	m.pauseMu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// ErrNoHelpdesk is returned by NewManager without a Helpdesk.
var ErrNoHelpdesk = errors.New("tickets: a helpdesk is required")

// ErrOutboxLocked is returned when another Manager (process) uses the
// outbox directory.
var ErrOutboxLocked = errors.New("tickets: outbox directory is in use by another process")

// NewManager opens (replaying and compacting) the outbox and builds a
// Manager. Close it when done.
func NewManager(o ManagerOptions) (*Manager, error) {
	if o.Helpdesk == nil {
		return nil, ErrNoHelpdesk
	}
	cfg := o.Config.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if o.ConfigPath == "" {
		o.ConfigPath = "sharewatch.yml"
	}
	if o.VerdictsTable == "" {
		o.VerdictsTable = "sharewatch.verdicts"
	}
	if o.TimelineSize <= 0 {
		o.TimelineSize = 12
	}
	if o.MaxAccounts <= 0 {
		o.MaxAccounts = 100000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := os.MkdirAll(cfg.OutboxDir, 0o755); err != nil {
		return nil, fmt.Errorf("tickets: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(cfg.OutboxDir, "outbox.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("tickets: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("%w: %s: %v", ErrOutboxLocked, cfg.OutboxDir, err)
	}
	ob, err := openOutbox(cfg.OutboxDir, cfg.Concurrency)
	if err != nil {
		lock.Close()
		return nil, err
	}
	m := &Manager{o: o, cfg: cfg, hd: o.Helpdesk, ob: ob, log: o.Logger, now: o.Now, lock: lock,
		hist: newHistory(o.TimelineSize, o.MaxAccounts)}
	m.m, err = newMetrics(o.Registerer, ob, o.Now)
	if err != nil {
		ob.close()
		lock.Close()
		return nil, fmt.Errorf("tickets: registering metrics: %w", err)
	}
	if n := ob.pendingCount(); n > 0 {
		m.log.Info("outbox has unsent ticket intents from before the restart", "pending", n, "dir", cfg.OutboxDir)
	}
	return m, nil
}

// Close closes the outbox journal. Stop Run and PollDecisions first.
func (m *Manager) Close() error {
	err := m.ob.close()
	return errors.Join(err, m.lock.Close())
}

// TicketRef returns the ref of the account's open ticket, if sharewatch has
// one on record.
func (m *Manager) TicketRef(accountID string) string {
	st, _ := m.ob.state(accountID)
	return st.Ref
}

// Pending returns how many intents are waiting to be sent.
func (m *Manager) Pending() int { return m.ob.pendingCount() }

func priorityFor(action string, suppressed bool, l scoring.Label) Priority {
	switch {
	case action == "hold":
		return PriorityUrgent
	case suppressed, l >= scoring.LabelSharing:
		return PriorityHigh
	}
	return PriorityNormal
}

// Act records ticket intents for verdicts whose action is ticket or hold,
// in order, and returns once they are durable in the outbox. It does not
// talk to the helpdesk. When the outbox holds OutboxLimit or more unsent
// intents, Act blocks until Run has sent some or ctx is done: backpressure
// on the pipeline, never a drop.
//
// Per account: the first verdict opens a ticket (urgent for a hold); a
// later verdict that escalates (suspected_sharing → sharing, or ticket →
// hold) adds one comment, at most once per CommentMinInterval of event
// time; a hold raises the priority to urgent even when the comment has to
// wait. A verdict that is no longer flagged because the devices the
// ticket is about came home (scoring.ReasonFlaggedCameHome) adds one
// comment to the account's open ticket, and makes it urgent if the
// account is held; it never opens a ticket, and it comments once until
// the ticket is escalated again. Anything else, including a redelivered
// verdict, adds nothing.
func (m *Manager) Act(ctx context.Context, vs []scoring.Verdict) error {
	m.actMu.Lock()
	defer m.actMu.Unlock()
	if err := m.ob.room(m.cfg.OutboxLimit, ctx.Done()); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("tickets: outbox full (%d intents): %w", m.cfg.OutboxLimit, ctx.Err())
		}
		return err
	}
	var its []*intent
	local := map[string]*ticketState{} // states as this batch changes them
	for i := range vs {
		v := &vs[i]
		undone := CameHome(v)
		if v.Action != "ticket" && v.Action != "hold" && !undone {
			continue
		}
		if !undone {
			m.hist.add(v) // the timeline lists flagged events
		}
		st := local[v.AccountID]
		if st == nil {
			if s, ok := m.ob.state(v.AccountID); ok {
				st = &s
			}
		}
		var it *intent
		if undone {
			it = m.planUndone(v, st)
		} else {
			it = m.plan(v, st)
		}
		if it == nil {
			continue
		}
		its = append(its, it)
		if st == nil {
			st = &ticketState{AccountID: v.AccountID}
		}
		mergeIntent(st, it)
		local[v.AccountID] = st
	}
	if err := m.ob.add(its); err != nil {
		return fmt.Errorf("tickets: recording %d intents: %w", len(its), err)
	}
	return nil
}

// CameHome reports whether a verdict that is not flagged says that the
// devices the account was last flagged for came home: the one kind of
// unflagged verdict the ticket manager acts on (see Act).
func CameHome(v *scoring.Verdict) bool {
	return !v.Verdict.Flagged() && slices.Contains(v.Reasons, scoring.ReasonFlaggedCameHome)
}

// planUndone is plan for a verdict whose case came undone: a comment on
// the account's open ticket, once, or nil when there is none on record.
func (m *Manager) planUndone(v *scoring.Verdict, st *ticketState) *intent {
	if st == nil || st.Undone {
		return nil
	}
	// Held now, by the holder's word: a hold that came within a day of
	// the last comment only raised the ticket's priority, so st.Action
	// may still say ticket. Without a holder every hold is taken as
	// placed, and only holds make a ticket urgent.
	held := st.Action == "hold" || st.Priority == PriorityUrgent
	if m.o.HoldPlaced != nil {
		held = m.o.HoldPlaced(v.AccountID)
	}
	it := m.intentFor(v, st.Action, st.Priority)
	it.Kind = intentUndone
	it.Comment = renderUndone(m.bodyInput(v, st.Action, false), *st, held)
	it.Reason = "flag came undone: " + it.Reason
	if held {
		// Set, not raised: an analyst may have lowered it by hand.
		it.Priority, it.Raise = PriorityUrgent, true
	}
	return it
}

func (m *Manager) bodyInput(v *scoring.Verdict, action string, suppressed bool) bodyInput {
	tl, total := m.hist.recent(v.AccountID)
	in := bodyInput{
		v: v, action: action, holdSuppressed: suppressed, timeline: tl, total: total,
		explainCmd: fmt.Sprintf("sharewatch explain %s --config %s", shellQuote(v.AccountID), shellQuote(m.o.ConfigPath)),
		historySQL: fmt.Sprintf(`clickhouse-client -q "SELECT time, verdict, score, city, country, device_id, reasons, action FROM %s FINAL WHERE account_id = %s ORDER BY time"`,
			m.o.VerdictsTable, sqlQuote(v.AccountID)),
	}
	if h, ok := m.hd.(interface{ ResolveHint() string }); ok {
		in.resolveHint = h.ResolveHint()
	}
	return in
}

// intentFor is the intent for verdict v, with no body or comment yet.
func (m *Manager) intentFor(v *scoring.Verdict, action string, prio Priority) *intent {
	return &intent{
		AccountID: v.AccountID, EventID: v.EventID, EventTime: v.Time, Enqueued: m.now().UTC(),
		Action: action, Label: v.Verdict, Score: v.Score, Priority: prio,
		Subject: subject(v, action),
		Reason:  fmt.Sprintf("%s, score %.2f: %s", v.Verdict, v.Score, strings.Join(v.Reasons, ", ")),
	}
}

// plan decides what a verdict means for the account's ticket, or nil.
func (m *Manager) plan(v *scoring.Verdict, st *ticketState) *intent {
	action, suppressed := v.Action, false
	if action == "hold" && m.o.HoldPlaced != nil && !m.o.HoldPlaced(v.AccountID) {
		action, suppressed = "ticket", true
	}
	prio := priorityFor(action, suppressed, v.Verdict)
	in := m.bodyInput(v, action, suppressed)
	it := m.intentFor(v, action, prio)
	it.Body = renderBody(in)
	if suppressed {
		it.Reason += " (hold not placed: brake engaged or holds off)"
	}
	if st == nil {
		it.Kind = intentOpen
		return it
	}
	escalates := actionRank[action] > actionRank[st.Action] || v.Verdict > st.Label
	raise := prio > st.Priority
	switch {
	case escalates && (st.LastComment.IsZero() || !v.Time.Before(st.LastComment.Add(m.cfg.CommentMinInterval))):
		it.Kind = intentEscalate
		it.Comment = renderComment(in, *st)
		it.Raise = raise
		if !raise {
			it.Priority = st.Priority
		}
		return it
	case raise:
		it.Kind, it.Raise = intentPriority, true
		return it
	}
	return nil
}

// mergeIntent applies an intent to a ticket state; outbox.apply does the
// same on replay.
func mergeIntent(st *ticketState, it *intent) {
	switch it.Kind {
	case intentPriority:
	case intentUndone:
		st.Undone = true
	default:
		st.Action = maxAction(st.Action, it.Action)
		st.Label = max(st.Label, it.Label)
	}
	if it.Kind == intentEscalate {
		st.Undone = false // flagged more strongly since: a new case
	}
	st.Priority = max(st.Priority, it.Priority)
	if it.Kind == intentEscalate && it.EventTime.After(st.LastComment) {
		st.LastComment = it.EventTime
	}
}

// Run sends the outbox to the helpdesk until ctx is done, with Concurrency
// workers; one account's intents go in order through one worker. A failed
// request is retried with jittered exponential backoff (capped at
// MaxBackoff, but never shorter than the server's Retry-After), so a
// helpdesk that is down or rate-limiting loses nothing: intents wait in
// the outbox. Run returns nil when ctx is done, or ErrOutboxBroken.
func (m *Manager) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, m.cfg.Concurrency)
	for s := range m.cfg.Concurrency {
		wg.Go(func() {
			if err := m.worker(ctx, s); err != nil {
				errc <- err
				cancel()
			}
		})
	}
	wg.Wait()
	close(errc)
	return <-errc
}

func (m *Manager) worker(ctx context.Context, shard int) error {
	for {
		it, wait := m.ob.next(shard)
		if it == nil {
			select {
			case <-ctx.Done():
				return nil
			case <-wait:
				continue
			}
		}
		delay := 200 * time.Millisecond
		for {
			if !m.waitPause(ctx) {
				m.ob.release(it.Seq)
				return nil
			}
			err := m.send(ctx, it)
			if err == nil {
				break
			}
			if errors.Is(err, ErrOutboxBroken) {
				return err
			}
			if ctx.Err() != nil {
				m.ob.release(it.Seq)
				return nil
			}
			d := delay/2 + rand.N(delay/2+1)
			if ra := retryAfter(err); ra > 0 {
				m.pause(ra)
				d = max(d, ra)
			}
			delay = min(delay*2, m.cfg.MaxBackoff)
			m.log.Warn("helpdesk request failed; retrying", "account", it.AccountID, "intent", it.Kind, "seq", it.Seq, "retry_in", d, "err", err)
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				m.ob.release(it.Seq)
				return nil
			case <-t.C:
			}
		}
	}
}

// hdErr counts a helpdesk error and returns it.
func (m *Manager) hdErr(err error) error {
	if err != nil && !errors.Is(err, context.Canceled) {
		m.m.errors[errorKind(err)].Inc()
	}
	return err
}

// send carries out one intent. Steps done are remembered on the intent, so
// a retry resumes after the last one that succeeded.
func (m *Manager) send(ctx context.Context, it *intent) error {
	if it.ref == "" {
		st, _ := m.ob.state(it.AccountID)
		if it.Kind != intentOpen && st.Ref != "" {
			it.ref = st.Ref
		} else {
			// Always look before creating: the ticket may have been
			// created by an attempt whose acknowledgement a crash lost.
			t, err := m.hd.FindOpen(ctx, it.AccountID)
			if err != nil {
				return m.hdErr(err)
			}
			if t == nil && it.Kind == intentUndone {
				// Decided and closed meanwhile: nothing to tell, and
				// no case to open.
				m.log.Info("no open ticket to tell that the case came undone", "account", it.AccountID)
				return m.ob.done(doneRecord{Seq: it.Seq, AccountID: it.AccountID})
			}
			if t != nil {
				it.ref, it.adopted, it.opened = t.Ref, true, t.Created
				// The ticket's own priority is the truth here.
				it.Raise = t.Priority < it.Priority
			} else {
				t, err := m.hd.Create(ctx, NewTicket{AccountID: it.AccountID, Subject: it.Subject, Body: it.Body,
					Priority: it.Priority, Tags: []string{"sharewatch_" + it.Action}})
				if err != nil {
					return m.hdErr(err)
				}
				it.ref, it.created, it.opened = t.Ref, true, t.Created
				m.m.opened.Inc()
				m.log.Info("ticket opened", "account", it.AccountID, "ref", t.Ref, "priority", it.Priority)
			}
		}
	}
	if !it.created {
		updated := false
		if (it.Kind == intentEscalate || it.Kind == intentUndone) && !it.commented {
			if err := m.hd.Comment(ctx, it.ref, it.Comment); err != nil {
				return m.hdErr(err)
			}
			it.commented, updated = true, true
		}
		if it.Raise && !it.raised {
			if err := m.hd.SetPriority(ctx, it.ref, it.Priority); err != nil {
				return m.hdErr(err)
			}
			it.raised, updated = true, true
		}
		if updated {
			m.m.updated.Inc()
		}
	}
	if !it.audited && m.o.Audit != nil {
		var recs []verdictstore.ActionRecord
		base := verdictstore.ActionRecord{AccountID: it.AccountID, Time: m.now().UTC(), Actor: Actor,
			TicketRef: it.ref, EventID: it.EventID, Verdict: it.Label, Score: it.Score}
		switch {
		case it.created:
			r := base
			r.Action, r.Reason = verdictstore.ActionTicket, fmt.Sprintf("ticket opened (%s priority): %s", it.Priority, it.Reason)
			recs = append(recs, r)
		case it.adopted && it.Kind == intentOpen:
			r := base
			r.Action, r.Reason = verdictstore.ActionTicket, "open ticket found on the helpdesk (created before a restart): "+it.Reason
			recs = append(recs, r)
		case it.commented && it.Kind == intentUndone:
			r := base
			r.Action, r.Reason = verdictstore.ActionComment, it.Reason
			recs = append(recs, r)
		case it.commented:
			r := base
			r.Action, r.Reason = verdictstore.ActionComment, "escalation: "+it.Reason
			recs = append(recs, r)
		}
		if len(recs) > 0 {
			if err := m.o.Audit.WriteActions(ctx, recs); err != nil {
				return fmt.Errorf("tickets: writing audit rows: %w", err)
			}
		}
	}
	it.audited = true
	opened := it.opened
	if opened.IsZero() {
		opened = m.now().UTC()
	}
	return m.ob.done(doneRecord{Seq: it.Seq, AccountID: it.AccountID, Ref: it.ref, Opened: opened})
}

// cursor is the decision poll's persisted position.
type cursor struct {
	Since time.Time            `json:"since"`
	Seen  map[string]time.Time `json:"seen"` // Decision.Key → when handled
}

func (m *Manager) cursorPath() string { return filepath.Join(m.cfg.OutboxDir, "decisions.json") }

func (m *Manager) loadCursor() (*cursor, error) {
	c := &cursor{Seen: map[string]time.Time{}}
	b, err := os.ReadFile(m.cursorPath())
	if errors.Is(err, os.ErrNotExist) {
		// First start: decisions of the last day, not the helpdesk's
		// whole history.
		c.Since = m.now().UTC().Add(-24 * time.Hour)
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tickets: %w", err)
	}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("tickets: %s: %w", m.cursorPath(), err)
	}
	if c.Seen == nil {
		c.Seen = map[string]time.Time{}
	}
	return c, nil
}

func (m *Manager) saveCursor(c *cursor) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	tmp := m.cursorPath() + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
		return err
	}
	return os.Rename(tmp, m.cursorPath())
}

// PollDecisions reads analysts' decisions every interval (0: the
// configured PollInterval) until ctx is done, and returns nil then. For
// each new decision it calls handler (release a hold, teach the scorer),
// forgets the account's ticket (a later verdict opens a new one), then writes
// an ActionDecision row with the analyst and reason to the audit log. When
// the handler or the audit log fails, the decision is retried at the next
// poll, so handlers must be idempotent. Handled decisions are remembered
// in OutboxDir/decisions.json.
func (m *Manager) PollDecisions(ctx context.Context, interval time.Duration, handler func(Decision) error) error {
	if interval <= 0 {
		interval = m.cfg.PollInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := m.PollOnce(ctx, handler); err != nil && ctx.Err() == nil {
			m.log.Warn("decision poll failed; retrying at the next poll", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// PollOnce reads and handles new decisions once; see PollDecisions.
func (m *Manager) PollOnce(ctx context.Context, handler func(Decision) error) error {
	m.pollMu.Lock()
	defer m.pollMu.Unlock()
	c, err := m.loadCursor()
	if err != nil {
		return err
	}
	start := m.now().UTC()
	ds, err := m.hd.Decisions(ctx, c.Since.Add(-decisionOverlap))
	if err != nil {
		return m.hdErr(err)
	}
	var failed error
	for _, d := range ds {
		key := d.Ref + "|" + string(d.Outcome)
		if _, ok := c.Seen[key]; ok {
			continue
		}
		// The handler runs while the ticket is still on record, so that
		// TicketRef answers for it (the release names its ticket).
		if handler != nil {
			if err := handler(d); err != nil {
				failed = fmt.Errorf("handling decision on %s (%s): %w", d.Ref, d.AccountID, err)
				break
			}
		}
		opened, err := m.ob.closeTicket(d.AccountID, d.Ref, d.Time)
		if err != nil {
			return err
		}
		if !opened.IsZero() {
			m.m.ageOnEnd.Observe(max(0, d.Time.Sub(opened).Seconds()))
		}
		if m.o.Audit != nil {
			r := verdictstore.ActionRecord{AccountID: d.AccountID, Time: d.Time, Action: verdictstore.ActionDecision,
				Actor: orDash(d.Analyst), Reason: string(d.Outcome) + ": " + d.Reason, TicketRef: d.Ref}
			if d.Outcome == OutcomeSharing {
				r.Verdict = scoring.LabelSharing
			}
			if err := m.o.Audit.WriteActions(ctx, []verdictstore.ActionRecord{r}); err != nil {
				failed = fmt.Errorf("writing decision on %s to the audit log: %w", d.Ref, err)
				break
			}
		}
		m.m.decided[d.Outcome].Inc()
		m.log.Info("analyst decision", "account", d.AccountID, "ref", d.Ref, "outcome", d.Outcome, "analyst", d.Analyst)
		c.Seen[key] = start
	}
	if failed == nil {
		c.Since = start
	}
	for k, at := range c.Seen {
		if start.Sub(at) > seenRetention {
			delete(c.Seen, k)
		}
	}
	if err := m.saveCursor(c); err != nil {
		return errors.Join(failed, fmt.Errorf("tickets: saving decision cursor: %w", err))
	}
	return failed
}
