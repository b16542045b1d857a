package tickets

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Helpdesk is the adapter seam to a ticketing system. Refs are the
// adapter's ticket references, prefixed with its kind ("rt:12",
// "zendesk:34", "file:5"); they are what the audit log records.
//
// Implementations return *HTTPError for answers other than success, so the
// caller decides from Temporary whether to retry.
type Helpdesk interface {
	// FindOpen returns the account's open ticket, found by its external id
	// (RT: custom field SharewatchAccount; Zendesk: external_id), or nil.
	// When several are open it returns the oldest.
	FindOpen(ctx context.Context, accountID string) (*Ticket, error)
	// Create opens a ticket.
	Create(ctx context.Context, t NewTicket) (Ticket, error)
	// Comment adds an internal (non-public) comment.
	Comment(ctx context.Context, ref, body string) error
	// SetPriority changes a ticket's priority without commenting.
	SetPriority(ctx context.Context, ref string, p Priority) error
	// Decisions returns analyst decisions on tickets resolved at or after
	// since, oldest first. It may return decisions seen before; callers
	// dedupe on Decision.Key.
	Decisions(ctx context.Context, since time.Time) ([]Decision, error)
}

// Priority of a ticket. Higher is handled first.
type Priority int

// Priorities, in increasing urgency.
const (
	PriorityLow Priority = iota
	PriorityNormal
	PriorityHigh
	PriorityUrgent
)

var priorityNames = [...]string{"low", "normal", "high", "urgent"}

func (p Priority) String() string {
	if p >= 0 && int(p) < len(priorityNames) {
		return priorityNames[p]
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler.
func (p Priority) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Priority) UnmarshalText(b []byte) error {
	for i, n := range priorityNames {
		if n == string(b) {
			*p = Priority(i)
			return nil
		}
	}
	return fmt.Errorf("unknown priority %q", b)
}

// Ticket is a helpdesk ticket as far as sharewatch cares.
type Ticket struct {
	Ref       string    `json:"ref"`
	AccountID string    `json:"account_id"`
	Subject   string    `json:"subject"`
	Status    string    `json:"status"`
	Priority  Priority  `json:"priority"`
	Created   time.Time `json:"created"`
}

// NewTicket is what Create needs.
type NewTicket struct {
	AccountID string
	Subject   string
	// Body is plain text.
	Body     string
	Priority Priority
	// Tags are added where the helpdesk has them (Zendesk, file queue).
	Tags []string
}

// Outcome is an analyst's decision on a case.
type Outcome string

// Outcomes an analyst can record.
const (
	OutcomeSharing    Outcome = "sharing"
	OutcomeNotSharing Outcome = "not_sharing"
)

// Valid reports whether o is sharing or not_sharing.
func (o Outcome) Valid() bool { return o == OutcomeSharing || o == OutcomeNotSharing }

// Decision is an analyst's outcome on a resolved ticket.
type Decision struct {
	Ref       string  `json:"ref"`
	AccountID string  `json:"account_id"`
	Outcome   Outcome `json:"outcome"`
	// Reason is the analyst's written justification.
	Reason string `json:"reason"`
	// Analyst is who resolved the ticket, when the helpdesk says.
	Analyst string `json:"analyst"`
	// Time is when the ticket was resolved, by the helpdesk's clock.
	Time time.Time `json:"time"`
}

// Key identifies a decision for deduplication: the same ticket may be
// resolved, reopened and resolved again with another outcome.
func (d Decision) Key() string {
	return d.Ref + "|" + string(d.Outcome) + "|" + d.Time.UTC().Format(time.RFC3339)
}

// ErrNotFound is returned for a ticket the helpdesk does not have.
var ErrNotFound = errors.New("tickets: no such ticket")

// ErrBadRef is returned for a ref of another adapter or a malformed one.
var ErrBadRef = errors.New("tickets: malformed ticket ref")

// HTTPError is a helpdesk answer other than success.
type HTTPError struct {
	Method string
	URL    string
	Status int
	// RetryAfter is the server's Retry-After, zero when absent.
	RetryAfter time.Duration
	// Body is the start of the response body, for the log.
	Body string
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("%s %s: HTTP %d", e.Method, e.URL, e.Status)
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %v)", e.RetryAfter)
	}
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

// Temporary reports whether retrying may succeed: 408, 429 and 5xx.
func (e *HTTPError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout || e.Status >= 500
}

// Is makes errors.Is(err, ErrNotFound) true for a 404.
func (e *HTTPError) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

// retryAfter returns the Retry-After hint of err, if it carries one.
func retryAfter(err error) time.Duration {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.RetryAfter
	}
	return 0
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// errorKind classifies err for sharewatch_tickets_helpdesk_errors_total.
func errorKind(err error) string {
	var he *HTTPError
	switch {
	case errors.As(err, &he) && he.Status == http.StatusTooManyRequests:
		return kindRateLimited
	case errors.As(err, &he) && he.Status >= 500:
		return kindServer
	case errors.As(err, &he):
		return kindClient
	}
	return kindNetwork
}

const (
	kindRateLimited = "rate_limited"
	kindServer      = "server"
	kindClient      = "client"
	kindNetwork     = "network"
)

var errorKinds = []string{kindRateLimited, kindServer, kindClient, kindNetwork}

// splitRef checks that ref belongs to kind and returns its id part.
func splitRef(kind, ref string) (string, error) {
	id, ok := strings.CutPrefix(ref, kind+":")
	if !ok || id == "" {
		return "", fmt.Errorf("%w: %q is not a %s ref", ErrBadRef, ref, kind)
	}
	return id, nil
}
