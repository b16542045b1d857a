package tickets

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Zendesk tags. Every sharewatch ticket carries ZendeskTag; analysts add
// one decision tag when they solve it.
const (
	ZendeskTag           = "sharewatch"
	ZendeskTagSharing    = "sharewatch_sharing"
	ZendeskTagNotSharing = "sharewatch_not_sharing"
)

// ZendeskOptions configure a Zendesk adapter.
type ZendeskOptions struct {
	// URL is the API root, e.g. https://example.zendesk.com.
	URL string
	// Email and Token authenticate as "email/token:TOKEN".
	Email, Token string
	// HTTPClient is used for every request.
	// Default: a client that does not follow redirects
	HTTPClient *http.Client
	// RequestTimeout bounds one request.
	// Default: 30s
	RequestTimeout time.Duration
}

// Errors of NewZendesk.
var (
	ErrZendeskMissingURL = errors.New("zendesk.url: missing")
)

// Zendesk is the Zendesk Tickets API adapter. It uses this slice of the
// API (zendesktest implements the same):
//
//   - GET  /api/v2/tickets.json?external_id=X    FindOpen
//   - POST /api/v2/tickets.json                  Create (private first comment)
//   - PUT  /api/v2/tickets/{id}.json             Comment (private), SetPriority
//   - GET  /api/v2/search.json?query=...         Decisions (solved, tagged)
//   - GET  /api/v2/tickets/{id}/comments.json    the decision's reason
//
// A ticket's external_id is the account id; Zendesk does not keep it
// unique, so FindOpen picks the oldest unsolved ticket. A decision is a
// solved (or closed) ticket tagged sharewatch_sharing or
// sharewatch_not_sharing; its reason is the ticket's latest comment.
//
// Search results are indexed with a delay of a few minutes, which the
// Manager's decision poll covers by reaching back an hour.
type Zendesk struct {
	c jsonClient
}

// NewZendesk builds a Zendesk adapter. It does not contact Zendesk.
func NewZendesk(o ZendeskOptions) (*Zendesk, error) {
	if o.URL == "" {
		return nil, ErrZendeskMissingURL
	}
	if o.Email == "" || o.Token == "" {
		return nil, fmt.Errorf("zendesk: %w", ErrZendeskAuth)
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	user, pass := o.Email+"/token", o.Token
	return &Zendesk{c: jsonClient{
		base:    strings.TrimRight(o.URL, "/") + "/api/v2",
		hc:      newHTTPClient(o.HTTPClient),
		timeout: o.RequestTimeout,
		auth:    func(r *http.Request) { r.SetBasicAuth(user, pass) },
	}}, nil
}

// ZendeskTicket is the part of a Zendesk ticket sharewatch reads and writes.
type ZendeskTicket struct {
	ID           int64                `json:"id,omitempty"`
	Subject      string               `json:"subject,omitempty"`
	Status       string               `json:"status,omitempty"`
	Priority     string               `json:"priority,omitempty"`
	ExternalID   string               `json:"external_id,omitempty"`
	Tags         []string             `json:"tags,omitempty"`
	CustomFields []ZendeskCustomField `json:"custom_fields,omitempty"`
	Comment      *ZendeskComment      `json:"comment,omitempty"`
	CreatedAt    time.Time            `json:"created_at,omitzero"`
	UpdatedAt    time.Time            `json:"updated_at,omitzero"`
}

// ZendeskCustomField is a ticket custom field value.
type ZendeskCustomField struct {
	ID    int64 `json:"id"`
	Value any   `json:"value"`
}

// ZendeskComment is a ticket comment.
type ZendeskComment struct {
	ID        int64     `json:"id,omitempty"`
	Body      string    `json:"body"`
	Public    bool      `json:"public"`
	AuthorID  int64     `json:"author_id,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// zendeskOpen reports whether a Zendesk status is unsolved.
func zendeskOpen(status string) bool {
	switch status {
	case "new", "open", "pending", "hold":
		return true
	}
	return false
}

func zendeskPriority(p Priority) string { return p.String() }

func parseZendeskPriority(s string) Priority {
	var p Priority
	if err := p.UnmarshalText([]byte(s)); err != nil {
		return PriorityNormal
	}
	return p
}

func (z *ZendeskTicket) ticket() Ticket {
	return Ticket{Ref: "zendesk:" + strconv.FormatInt(z.ID, 10), AccountID: z.ExternalID, Subject: z.Subject,
		Status: z.Status, Priority: parseZendeskPriority(z.Priority), Created: z.CreatedAt}
}

// FindOpen implements Helpdesk.
func (z *Zendesk) FindOpen(ctx context.Context, accountID string) (*Ticket, error) {
	var out struct {
		Tickets []ZendeskTicket `json:"tickets"`
	}
	if err := z.c.do(ctx, http.MethodGet, "/tickets.json", url.Values{"external_id": {accountID}}, nil, &out); err != nil {
		return nil, fmt.Errorf("zendesk: finding ticket of %s: %w", accountID, err)
	}
	var best *ZendeskTicket
	for i := range out.Tickets {
		t := &out.Tickets[i]
		if t.ExternalID != accountID || !zendeskOpen(t.Status) {
			continue
		}
		if best == nil || t.CreatedAt.Before(best.CreatedAt) || (t.CreatedAt.Equal(best.CreatedAt) && t.ID < best.ID) {
			best = t
		}
	}
	if best == nil {
		return nil, nil
	}
	t := best.ticket()
	return &t, nil
}

// Create implements Helpdesk.
func (z *Zendesk) Create(ctx context.Context, nt NewTicket) (Ticket, error) {
	tags := append([]string{ZendeskTag}, nt.Tags...)
	in := map[string]ZendeskTicket{"ticket": {
		Subject:    nt.Subject,
		Comment:    &ZendeskComment{Body: nt.Body, Public: false},
		Priority:   zendeskPriority(nt.Priority),
		Tags:       tags,
		ExternalID: nt.AccountID,
	}}
	var out struct {
		Ticket ZendeskTicket `json:"ticket"`
	}
	if err := z.c.do(ctx, http.MethodPost, "/tickets.json", nil, in, &out); err != nil {
		return Ticket{}, fmt.Errorf("zendesk: creating ticket for %s: %w", nt.AccountID, err)
	}
	if out.Ticket.ID == 0 {
		return Ticket{}, fmt.Errorf("zendesk: creating ticket for %s: no id in answer", nt.AccountID)
	}
	return out.Ticket.ticket(), nil
}

func (z *Zendesk) put(ctx context.Context, ref string, t ZendeskTicket) error {
	id, err := splitRef("zendesk", ref)
	if err != nil {
		return err
	}
	return z.c.do(ctx, http.MethodPut, "/tickets/"+url.PathEscape(id)+".json", nil, map[string]ZendeskTicket{"ticket": t}, nil)
}

// Comment implements Helpdesk with a private comment.
func (z *Zendesk) Comment(ctx context.Context, ref, body string) error {
	if err := z.put(ctx, ref, ZendeskTicket{Comment: &ZendeskComment{Body: body, Public: false}}); err != nil {
		return fmt.Errorf("zendesk: commenting on %s: %w", ref, err)
	}
	return nil
}

// SetPriority implements Helpdesk.
func (z *Zendesk) SetPriority(ctx context.Context, ref string, p Priority) error {
	if err := z.put(ctx, ref, ZendeskTicket{Priority: zendeskPriority(p)}); err != nil {
		return fmt.Errorf("zendesk: setting priority of %s: %w", ref, err)
	}
	return nil
}

// Decisions implements Helpdesk. Time is the ticket's updated_at when it
// was found solved.
func (z *Zendesk) Decisions(ctx context.Context, since time.Time) ([]Decision, error) {
	q := url.Values{
		"query":      {fmt.Sprintf("type:ticket status>=solved tags:%s updated>=%s", ZendeskTag, since.UTC().Format(time.RFC3339))},
		"sort_by":    {"updated_at"},
		"sort_order": {"asc"},
	}
	var out []Decision
	path := "/search.json"
	for path != "" {
		var page struct {
			Results  []ZendeskTicket `json:"results"`
			NextPage *string         `json:"next_page"`
		}
		if err := z.c.do(ctx, http.MethodGet, path, q, nil, &page); err != nil {
			return nil, fmt.Errorf("zendesk: searching decisions: %w", err)
		}
		for i := range page.Results {
			t := &page.Results[i]
			var o Outcome
			switch {
			case slices.Contains(t.Tags, ZendeskTagNotSharing):
				o = OutcomeNotSharing
			case slices.Contains(t.Tags, ZendeskTagSharing):
				o = OutcomeSharing
			default:
				continue
			}
			if zendeskOpen(t.Status) || t.ExternalID == "" || t.UpdatedAt.Before(since) {
				continue
			}
			d := Decision{Ref: "zendesk:" + strconv.FormatInt(t.ID, 10), AccountID: t.ExternalID, Outcome: o, Time: t.UpdatedAt}
			c, err := z.lastComment(ctx, t.ID)
			if err != nil {
				return nil, err
			}
			if c != nil {
				d.Reason = c.Body
				d.Analyst = "zendesk-user:" + strconv.FormatInt(c.AuthorID, 10)
			}
			out = append(out, d)
		}
		path, q = "", nil
		if page.NextPage != nil && *page.NextPage != "" {
			// next_page is absolute; keep only what follows /api/v2.
			if _, rest, ok := strings.Cut(*page.NextPage, "/api/v2"); ok {
				p, rawq, _ := strings.Cut(rest, "?")
				path = p
				q, _ = url.ParseQuery(rawq)
			}
		}
	}
	return out, nil
}

func (z *Zendesk) lastComment(ctx context.Context, id int64) (*ZendeskComment, error) {
	var out struct {
		Comments []ZendeskComment `json:"comments"`
	}
	if err := z.c.do(ctx, http.MethodGet, "/tickets/"+strconv.FormatInt(id, 10)+"/comments.json",
		url.Values{"sort_order": {"desc"}}, nil, &out); err != nil {
		return nil, fmt.Errorf("zendesk: reading comments of %d: %w", id, err)
	}
	if len(out.Comments) == 0 {
		return nil, nil
	}
	return &out.Comments[0], nil
}

// ResolveHint tells analysts how to record a decision, for ticket bodies.
func (z *Zendesk) ResolveHint() string {
	return "Decide by adding the tag " + ZendeskTagSharing + " or " + ZendeskTagNotSharing + ", writing the reason as the last comment, and solving the ticket."
}
