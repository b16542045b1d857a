package tickets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/sharewatch/sharewatch/internal/testrt"
	"github.com/sharewatch/sharewatch/scoring"
)

func TestMain(m *testing.M) {
	code := testrt.Run(m)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

var t0 = time.Date(2026, 11, 2, 20, 0, 0, 0, time.UTC)

func verdict(account, event string, at time.Time, l scoring.Label, action string, score float64) scoring.Verdict {
	return scoring.Verdict{
		EventID: event, Time: at, AccountID: account, DeviceID: "dev-" + event, City: "Lyon", Country: "FR",
		Score: score, Verdict: l, Action: action, ModelVersion: "test-1",
		Reasons:     []string{scoring.ReasonConcurrentNow, scoring.ReasonSecondHousehold},
		Explanation: "A second household in Lyon (FR) used the account on 4 of the last 14 days.",
	}
}

type managerOpts struct {
	audit   AuditLog
	reg     prometheus.Registerer
	limit   int
	holdSet func(string) bool
	conc    int
	backoff time.Duration
}

func newManager(t *testing.T, hd Helpdesk, dir string, mo managerOpts) *Manager {
	t.Helper()
	if mo.reg == nil {
		mo.reg = prometheus.NewRegistry()
	}
	if mo.backoff == 0 {
		mo.backoff = 400 * time.Millisecond
	}
	m, err := NewManager(ManagerOptions{
		Helpdesk:   hd,
		Config:     Config{OutboxDir: dir, OutboxLimit: mo.limit, MaxBackoff: mo.backoff, Concurrency: mo.conc},
		Audit:      mo.audit,
		Registerer: mo.reg,
		HoldPlaced: mo.holdSet,
		ConfigPath: "/etc/sharewatch/sharewatch.yml",
		Logger:     slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// drain runs the sender until the outbox is empty.
func drain(t *testing.T, m *Manager) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for m.Pending() > 0 {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("outbox not drained within a minute: %d pending", m.Pending())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func act(t *testing.T, m *Manager, vs ...scoring.Verdict) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Act(ctx, vs); err != nil {
		t.Fatal(err)
	}
}

// flaky wraps a Helpdesk: it fails chosen calls, and can lose the answer
// of a Create that succeeded (a crash between the request and its ack).
type flaky struct {
	Helpdesk
	mu          sync.Mutex
	failNext    int // fail this many calls with a 503
	loseCreates int // Create succeeds but returns a network error
	calls       map[string]int
}

func (f *flaky) count(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[op]++
	if f.failNext > 0 {
		f.failNext--
		return &HTTPError{Method: "X", URL: op, Status: 503}
	}
	return nil
}

func (f *flaky) n(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *flaky) FindOpen(ctx context.Context, a string) (*Ticket, error) {
	if err := f.count("FindOpen"); err != nil {
		return nil, err
	}
	return f.Helpdesk.FindOpen(ctx, a)
}

func (f *flaky) Create(ctx context.Context, nt NewTicket) (Ticket, error) {
	if err := f.count("Create"); err != nil {
		return Ticket{}, err
	}
	t, err := f.Helpdesk.Create(ctx, nt)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["CreateDone"]++
	if err == nil && f.loseCreates > 0 {
		f.loseCreates--
		return Ticket{}, errors.New("connection reset by peer")
	}
	return t, err
}

func (f *flaky) Comment(ctx context.Context, ref, body string) error {
	if err := f.count("Comment"); err != nil {
		return err
	}
	return f.Helpdesk.Comment(ctx, ref, body)
}

func (f *flaky) SetPriority(ctx context.Context, ref string, p Priority) error {
	if err := f.count("SetPriority"); err != nil {
		return err
	}
	return f.Helpdesk.SetPriority(ctx, ref, p)
}

// memHelpdesk is a fast in-memory Helpdesk for property tests.
type memHelpdesk struct {
	mu       sync.Mutex
	tickets  []*memTicket
	comments map[string]int
}

type memTicket struct {
	Ticket
	open bool
}

func (h *memHelpdesk) FindOpen(ctx context.Context, a string) (*Ticket, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, t := range h.tickets {
		if t.AccountID == a && t.open {
			cp := t.Ticket
			return &cp, nil
		}
	}
	return nil, nil
}

func (h *memHelpdesk) Create(ctx context.Context, nt NewTicket) (Ticket, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := &memTicket{Ticket: Ticket{Ref: fmt.Sprintf("mem:%d", len(h.tickets)+1), AccountID: nt.AccountID, Priority: nt.Priority}, open: true}
	h.tickets = append(h.tickets, t)
	return t.Ticket, nil
}

func (h *memHelpdesk) Comment(ctx context.Context, ref, body string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.comments == nil {
		h.comments = map[string]int{}
	}
	h.comments[ref]++
	return nil
}

func (h *memHelpdesk) SetPriority(ctx context.Context, ref string, p Priority) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, t := range h.tickets {
		if t.Ref == ref {
			t.Priority = p
			return nil
		}
	}
	return ErrNotFound
}

func (h *memHelpdesk) Decisions(ctx context.Context, since time.Time) ([]Decision, error) {
	return nil, nil
}
