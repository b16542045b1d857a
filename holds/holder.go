package holds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

// Actor is the audit log's and the commands' actor for automatic holds.
const Actor = "sharewatch"

const (
	heldFile   = "held.json"
	brakeFile  = "brake.json"
	resetFile  = "brake.reset"
	maxBackoff = 30 * time.Second
)

// Options build a Holder.
type Options struct {
	// Config is the holds section; zero fields take their defaults.
	Config Config
	// Publishers receive every command, in order; each must acknowledge
	// before the next is tried. Usually a KafkaPublisher, and optionally
	// a WebhookPublisher. At least one is required.
	Publishers []Publisher
	// Audit, if set, receives a row for every hold, suppressed hold (as a
	// dry run) and release.
	// Default: nil
	Audit AuditLog
	// ActiveAccounts returns how many accounts are active, for the brake's
	// fraction limit. It is called from Act only.
	// Default: nil (only max_holds applies)
	ActiveAccounts func() int
	// TicketRef returns the account's helpdesk ticket, if known, for the
	// command (tickets.Manager.TicketRef).
	// Default: nil
	TicketRef func(accountID string) string
	Logger    *slog.Logger
	// Registerer receives the metrics.
	Registerer prometheus.Registerer
	// Now is the clock (tests).
	// Default: time.Now
	Now func() time.Time
}

// heldAccount is an account on hold, as recorded in held.json.
type heldAccount struct {
	CommandID    string    `json:"command_id"`
	EventID      string    `json:"event_id"`
	EventTime    time.Time `json:"event_time"`
	Since        time.Time `json:"since"`
	Reason       string    `json:"reason"`
	Score        float64   `json:"score"`
	Verdict      string    `json:"verdict"`
	ModelVersion string    `json:"model_version"`
	TicketRef    string    `json:"ticket_ref,omitempty"`
}

// heldState is held.json: the held accounts, and audit rows not yet
// acknowledged by the audit log (written at least once).
type heldState struct {
	Held         map[string]heldAccount      `json:"held"`
	PendingAudit []verdictstore.ActionRecord `json:"pending_audit,omitempty"`
}

// Holder places automatic holds for verdicts whose action is hold, one per
// account while it is held, and releases them. It implements the
// pipeline's Actor seam. Its methods are safe for concurrent use.
type Holder struct {
	o   Options
	cfg Config
	log *slog.Logger
	m   *metrics
	now func() time.Time

	mu         sync.Mutex
	st         heldState
	brake      brakeState
	suppressed map[string]bool // accounts suppressed while the brake is engaged
}

// ErrNoPublisher is returned by New without publishers.
var ErrNoPublisher = errors.New("holds: at least one publisher is required")

// New loads the state from Config.StateDir and builds a Holder.
func New(o Options) (*Holder, error) {
	if len(o.Publishers) == 0 {
		return nil, ErrNoPublisher
	}
	cfg := o.Config.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := os.MkdirAll(cfg.StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("holds: %w", err)
	}
	h := &Holder{o: o, cfg: cfg, log: o.Logger, now: o.Now, suppressed: map[string]bool{},
		st: heldState{Held: map[string]heldAccount{}}}
	if err := readJSON(filepath.Join(cfg.StateDir, heldFile), &h.st); err != nil {
		return nil, err
	}
	if h.st.Held == nil {
		h.st.Held = map[string]heldAccount{}
	}
	if err := readJSON(filepath.Join(cfg.StateDir, brakeFile), &h.brake); err != nil {
		return nil, err
	}
	m, err := newMetrics(o.Registerer, h)
	if err != nil {
		return nil, fmt.Errorf("holds: registering metrics: %w", err)
	}
	h.m = m
	if h.brake.Engaged {
		h.m.brake.Set(1)
		h.log.Warn("blast-radius brake is engaged (from before the restart): automatic holds stay off until an operator resets it",
			"reason", h.brake.Reason, "since", h.brake.Since)
	}
	return h, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("holds: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("holds: %s: %w", path, err)
	}
	return nil
}

// writeJSON replaces path atomically and durably.
func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("holds: %w", err)
	}
	_, err = f.Write(b)
	if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("holds: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("holds: %w", err)
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("holds: %w", err)
	}
	defer d.Close()
	return d.Sync()
}

func (h *Holder) saveLocked() error {
	return errors.Join(
		writeJSON(filepath.Join(h.cfg.StateDir, heldFile), &h.st),
		writeJSON(filepath.Join(h.cfg.StateDir, brakeFile), &h.brake),
	)
}

// Held reports whether the account is on hold. tickets.ManagerOptions
// HoldPlaced takes it, so a suppressed hold gets a review ticket.
func (h *Holder) Held(accountID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.st.Held[accountID]
	return ok
}

// HeldCount returns how many accounts are on hold.
func (h *Holder) HeldCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.st.Held)
}

// Brake returns the brake's state.
func (h *Holder) Brake() BrakeStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := BrakeStatus{Engaged: h.brake.Engaged, Reason: h.brake.Reason, Since: h.brake.Since}
	if n := len(h.brake.Holds); n > 0 {
		latest := h.brake.Holds[n-1]
		for _, t := range h.brake.Holds {
			if t.After(latest.Add(-h.cfg.Brake.Window)) {
				s.HoldsInWindow++
			}
		}
	}
	return s
}

// Act places holds for verdicts whose action is hold, in order, and returns
// once every sink has acknowledged them and the held set is on disk. An
// account already held is skipped, so a redelivery or a stream of flagged
// events publishes one hold. While the brake is engaged, holds are
// suppressed: counted, logged and audited as dry runs, and the account
// keeps only its ticket.
func (h *Holder) Act(ctx context.Context, vs []scoring.Verdict) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.checkResetLocked(); err != nil {
		return err
	}
	h.flushAuditLocked(ctx)

	brake := h.brake.clone()
	var (
		cmds       []Command
		placed     []heldAccount
		suppressed []*scoring.Verdict
		seen       = map[string]bool{}
		active     = -1
		now        = h.now().UTC()
	)
	for i := range vs {
		v := &vs[i]
		if v.Action != "hold" || seen[v.AccountID] {
			continue
		}
		if _, ok := h.st.Held[v.AccountID]; ok {
			continue
		}
		seen[v.AccountID] = true
		if !brake.Engaged {
			if active < 0 {
				active = 0
				if h.o.ActiveAccounts != nil {
					active = h.o.ActiveAccounts()
				}
			}
			ok, why := brake.admit(v.Time, h.cfg.Brake, active)
			if ok {
				brake.record(v.Time, h.cfg.Brake.Window)
				c := h.holdCommand(v, now)
				cmds = append(cmds, c)
				placed = append(placed, heldAccount{CommandID: c.CommandID, EventID: v.EventID, EventTime: c.EventTime, Since: now, Reason: c.Reason,
					Score: v.Score, Verdict: v.Verdict.String(), ModelVersion: v.ModelVersion, TicketRef: c.TicketRef})
				continue
			}
			brake.Engaged, brake.Reason, brake.Since = true, why, now
			h.log.Error("blast-radius brake engaged: automatic holds stopped; flagged accounts get review tickets only until an operator resets the brake",
				"reason", why, "account", v.AccountID, "event", v.EventID)
		}
		if !h.suppressed[v.AccountID] {
			suppressed = append(suppressed, v)
		}
	}
	if len(cmds) > 0 {
		if err := h.publishLocked(ctx, cmds); err != nil {
			return err
		}
	}
	h.brake = brake
	for i, c := range cmds {
		h.st.Held[c.AccountID] = placed[i]
		h.st.PendingAudit = append(h.st.PendingAudit, verdictstore.ActionRecord{
			AccountID: c.AccountID, Time: now, Action: verdictstore.ActionHold, Actor: Actor, Reason: c.Reason,
			TicketRef: c.TicketRef, EventID: c.EventID, Verdict: verdictOf(c.Verdict), Score: c.Score,
		})
	}
	for _, v := range suppressed {
		h.suppressed[v.AccountID] = true
		h.st.PendingAudit = append(h.st.PendingAudit, verdictstore.ActionRecord{
			AccountID: v.AccountID, Time: now, Action: verdictstore.ActionHold, Actor: Actor,
			Reason: "hold suppressed, blast-radius brake engaged: " + h.brake.Reason, EventID: v.EventID,
			Verdict: v.Verdict, Score: v.Score, DryRun: true,
		})
	}
	if len(cmds) > 0 || len(suppressed) > 0 {
		if err := h.saveLocked(); err != nil {
			return err
		}
	}
	h.m.placed.Add(float64(len(cmds)))
	h.m.suppressed.Add(float64(len(suppressed)))
	if h.brake.Engaged {
		h.m.brake.Set(1)
	}
	h.flushAuditLocked(ctx)
	return nil
}

func verdictOf(s string) scoring.Label {
	l, _ := scoring.ParseLabel(s)
	return l
}

func (h *Holder) holdCommand(v *scoring.Verdict, now time.Time) Command {
	reason := v.Explanation
	if len(v.Reasons) > 0 {
		reason = strings.TrimSpace(reason + " [" + strings.Join(v.Reasons, ", ") + "]")
	}
	c := Command{
		Command: CommandHold, AccountID: v.AccountID, CommandID: CommandID(v.AccountID, v.EventID, CommandHold),
		Time: now, Reason: reason, Score: v.Score, Verdict: v.Verdict.String(), ModelVersion: v.ModelVersion,
		EventID: v.EventID, EventTime: v.Time.UTC(), Actor: Actor,
	}
	if h.o.TicketRef != nil {
		c.TicketRef = h.o.TicketRef(v.AccountID)
	}
	return c
}

// Release publishes a release for a held account, records it in the audit
// log with the reason and actor, and forgets the hold. Releasing an
// account that is not held does nothing and returns nil, so decision
// handlers may call it for every not_sharing decision.
func (h *Holder) Release(ctx context.Context, accountID, reason, actor string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.flushAuditLocked(ctx)
	ha, ok := h.st.Held[accountID]
	if !ok {
		return nil
	}
	if actor == "" {
		actor = Actor
	}
	now := h.now().UTC()
	c := Command{
		Command: CommandRelease, AccountID: accountID, CommandID: CommandID(accountID, ha.CommandID, CommandRelease),
		Time: now, Reason: reason, Score: ha.Score, Verdict: ha.Verdict, ModelVersion: ha.ModelVersion,
		TicketRef: ha.TicketRef, EventID: ha.EventID, EventTime: ha.EventTime, Actor: actor,
	}
	if h.o.TicketRef != nil {
		if ref := h.o.TicketRef(accountID); ref != "" {
			c.TicketRef = ref
		}
	}
	if err := h.publishLocked(ctx, []Command{c}); err != nil {
		return err
	}
	delete(h.st.Held, accountID)
	h.st.PendingAudit = append(h.st.PendingAudit, verdictstore.ActionRecord{
		AccountID: accountID, Time: now, Action: verdictstore.ActionRelease, Actor: actor, Reason: reason,
		TicketRef: c.TicketRef, EventID: ha.EventID, Verdict: verdictOf(ha.Verdict), Score: ha.Score,
	})
	if err := h.saveLocked(); err != nil {
		return err
	}
	h.m.released.Inc()
	h.log.Info("hold released", "account", accountID, "actor", actor, "reason", reason)
	h.flushAuditLocked(ctx)
	return nil
}

// publishLocked hands cmds to every publisher, retrying each with jittered
// exponential backoff until it acknowledges or ctx is done.
func (h *Holder) publishLocked(ctx context.Context, cmds []Command) error {
	for i, p := range h.o.Publishers {
		delay := 100 * time.Millisecond
		for {
			err := p.Publish(ctx, cmds)
			if err == nil {
				break
			}
			h.m.publishErrors.Inc()
			if ctx.Err() != nil {
				return fmt.Errorf("holds: publishing %d commands (sink %d): %w", len(cmds), i, errors.Join(err, ctx.Err()))
			}
			d := delay/2 + rand.N(delay/2+1)
			delay = min(2*delay, maxBackoff)
			h.log.Warn("publishing hold commands failed; retrying", "sink", i, "commands", len(cmds), "retry_in", d, "err", err)
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("holds: publishing %d commands (sink %d): %w", len(cmds), i, errors.Join(err, ctx.Err()))
			case <-t.C:
			}
		}
	}
	return nil
}

// flushAuditLocked writes pending audit rows once; rows that fail stay in
// held.json and are retried on the next call.
func (h *Holder) flushAuditLocked(ctx context.Context) {
	if len(h.st.PendingAudit) == 0 {
		return
	}
	if h.o.Audit == nil {
		h.st.PendingAudit = nil
		return
	}
	if err := h.o.Audit.WriteActions(ctx, h.st.PendingAudit); err != nil {
		h.log.Warn("writing hold audit rows failed; kept for the next try", "rows", len(h.st.PendingAudit), "err", err)
		return
	}
	h.st.PendingAudit = nil
	if err := writeJSON(filepath.Join(h.cfg.StateDir, heldFile), &h.st); err != nil {
		// The rows may be written again after a restart: at least once.
		h.log.Warn("saving held state after the audit flush failed", "err", err)
	}
}

// Reset releases the brake: automatic holds resume and the window starts
// empty. It is the operator's command; actor says who.
func (h *Holder) Reset(actor string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.resetLocked(actor)
}

func (h *Holder) resetLocked(actor string) error {
	was := h.brake
	h.brake = brakeState{}
	h.suppressed = map[string]bool{}
	if err := writeJSON(filepath.Join(h.cfg.StateDir, brakeFile), &h.brake); err != nil {
		h.brake = was
		return err
	}
	h.m.brake.Set(0)
	h.log.Warn("blast-radius brake reset: automatic holds resume", "actor", actor, "was_engaged", was.Engaged, "reason_was", was.Reason)
	return nil
}

// ResetBrake asks the Holder running on stateDir (another process, e.g.
// the pipeline) to reset its brake: it writes a request file that the
// Holder acts on at its next Act. It is what an operator's CLI command
// calls.
func ResetBrake(stateDir, actor string) error {
	if actor == "" {
		actor = "operator"
	}
	return writeJSON(filepath.Join(stateDir, resetFile), map[string]any{"actor": actor, "time": time.Now().UTC()})
}

func (h *Holder) checkResetLocked() error {
	path := filepath.Join(h.cfg.StateDir, resetFile)
	var req struct {
		Actor string `json:"actor"`
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("holds: %w", err)
	}
	_ = json.Unmarshal(b, &req)
	if err := h.resetLocked(req.Actor); err != nil {
		return err
	}
	return os.Remove(path)
}
