package tickets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RT custom fields, applied to the queue tickets are created in. See
// internal/testrt for the Perl that creates them.
const (
	// RTFieldAccount (Freeform, single) holds the account id: the external
	// id that FindOpen searches on.
	RTFieldAccount = "SharewatchAccount"
	// RTFieldDecision (Select, single: sharing | not_sharing) is set by the
	// analyst when resolving.
	RTFieldDecision = "SharewatchDecision"
	// RTFieldReason (Text, single) is the analyst's written justification.
	RTFieldReason = "SharewatchReason"
)

// RTOptions configure an RT adapter.
type RTOptions struct {
	// URL is RT's web root, with its WebPath, e.g. https://rt.example.com/rt.
	URL string
	// Queue receives the tickets.
	// Default: General
	Queue string
	// User and Password log in once to a web session whose cookie then
	// authenticates every REST2 call. That avoids RT's bcrypt check on
	// each request (~0.2–1 s); basic auth is the fallback when no session
	// can be had.
	User, Password string
	// Token is an RT auth token ("1-14-abc..."), used when no password is
	// given. RT checks it with bcrypt on every request, so it is slow.
	Token string
	// Priorities maps priorities to RT's numbers.
	// Default: low 0, normal 50, high 80, urgent 100
	Priorities map[Priority]int
	// HTTPClient is used for every request; its Jar is replaced.
	// Default: a client that does not follow redirects
	HTTPClient *http.Client
	// RequestTimeout bounds one request.
	// Default: 30s
	RequestTimeout time.Duration
}

// Errors of NewRT.
var (
	ErrRTMissingURL  = errors.New("rt.url: missing")
	ErrRTMissingAuth = errors.New("rt: user and password, or token, required")
)

// RT is the Request Tracker 5 adapter, over REST2. It is safe for
// concurrent use.
type RT struct {
	o      RTOptions
	c      jsonClient
	root   string
	mu     sync.Mutex // serialises logins
	mode   rtAuth
	loginN int
}

type rtAuth int

const (
	rtAuthUnknown rtAuth = iota // try a session first
	rtAuthSession
	rtAuthBasic
	rtAuthToken
)

// NewRT builds an RT adapter. It does not contact RT.
func NewRT(o RTOptions) (*RT, error) {
	if o.URL == "" {
		return nil, ErrRTMissingURL
	}
	if (o.User == "" || o.Password == "") && o.Token == "" {
		return nil, ErrRTMissingAuth
	}
	if o.Queue == "" {
		o.Queue = "General"
	}
	if o.Priorities == nil {
		o.Priorities = map[Priority]int{PriorityLow: 0, PriorityNormal: 50, PriorityHigh: 80, PriorityUrgent: 100}
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	hc := *newHTTPClient(o.HTTPClient)
	jar, _ := cookiejar.New(nil)
	hc.Jar = jar
	r := &RT{o: o, root: strings.TrimRight(o.URL, "/")}
	r.c = jsonClient{base: r.root + "/REST/2.0", hc: &hc, timeout: o.RequestTimeout}
	if o.Password == "" {
		r.mode = rtAuthToken
	}
	r.c.auth = r.authorize
	return r, nil
}

func (r *RT) authorize(req *http.Request) {
	r.mu.Lock()
	mode := r.mode
	r.mu.Unlock()
	switch mode {
	case rtAuthBasic:
		req.SetBasicAuth(r.o.User, r.o.Password)
	case rtAuthToken:
		req.Header.Set("Authorization", "token "+r.o.Token)
	}
	// rtAuthSession: the jar sends the cookie.
}

// Logins returns how many web-session logins the adapter has made.
func (r *RT) Logins() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.loginN
}

// login gets a web session. If RT gives none (external auth, disabled
// web login), the adapter falls back to basic auth for good.
func (r *RT) login(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mode == rtAuthToken || r.mode == rtAuthBasic {
		return nil
	}
	form := url.Values{"user": {r.o.User}, "pass": {r.o.Password}}
	ctx, cancel := context.WithTimeout(ctx, r.o.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.root+"/NoAuth/Login.html", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := r.c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("rt: logging in: %w", err)
	}
	resp.Body.Close()
	r.loginN++
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return &HTTPError{Method: http.MethodPost, URL: r.root + "/NoAuth/Login.html", Status: resp.StatusCode,
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	}
	u, _ := url.Parse(r.root + "/")
	for _, c := range r.c.hc.Jar.Cookies(u) {
		if strings.HasPrefix(c.Name, "RT_SID_") {
			r.mode = rtAuthSession
			return nil
		}
	}
	r.mode = rtAuthBasic
	return nil
}

// do sends a REST2 request, logging in first and once more when the
// session has expired (RT answers a stale cookie with 302 or 401).
func (r *RT) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	r.mu.Lock()
	mode := r.mode
	r.mu.Unlock()
	if mode == rtAuthUnknown {
		if err := r.login(ctx); err != nil {
			return err
		}
	}
	err := r.c.do(ctx, method, path, q, in, out)
	if !rtAuthFailed(err) {
		return err
	}
	r.mu.Lock()
	mode = r.mode
	if mode == rtAuthSession {
		r.mode = rtAuthUnknown
	}
	r.mu.Unlock()
	if mode != rtAuthSession {
		return err
	}
	// The session expired or was never granted: log in again, and if RT
	// still refuses the session, fall back to basic auth for good.
	if err := r.login(ctx); err != nil {
		return err
	}
	if err = r.c.do(ctx, method, path, q, in, out); !rtAuthFailed(err) {
		return err
	}
	r.mu.Lock()
	r.mode = rtAuthBasic
	r.mu.Unlock()
	return r.c.do(ctx, method, path, q, in, out)
}

// rtAuthFailed reports an answer that means "not logged in": 401, or a
// 302 to the login page when a cookie was sent.
func rtAuthFailed(err error) bool {
	var he *HTTPError
	return errors.As(err, &he) && (he.Status == http.StatusFound || he.Status == http.StatusUnauthorized)
}

// rtTicket is a ticket in REST2 search results with fields=...
type rtTicket struct {
	ID            string          `json:"id"`
	Subject       string          `json:"Subject"`
	Status        string          `json:"Status"`
	Priority      json.RawMessage `json:"Priority"`
	Created       string          `json:"Created"`
	Resolved      string          `json:"Resolved"`
	LastUpdatedBy struct {
		ID string `json:"id"`
	} `json:"LastUpdatedBy"`
	CustomFields []struct {
		Name   string   `json:"name"`
		Values []string `json:"values"`
	} `json:"CustomFields"`
}

func (t *rtTicket) cf(name string) string {
	for _, f := range t.CustomFields {
		if f.Name == name && len(f.Values) > 0 {
			return f.Values[0]
		}
	}
	return ""
}

// rtPage is a page of search results. RT writes "pages" as 0.0 when there
// are none, so the counts are floats.
type rtPage struct {
	Page  float64    `json:"page"`
	Pages float64    `json:"pages"`
	Items []rtTicket `json:"items"`
}

// rtQuote quotes a TicketSQL string literal.
func rtQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func (r *RT) priorityOf(raw json.RawMessage) Priority {
	var n int
	s := strings.Trim(string(raw), `"`)
	n, err := strconv.Atoi(s)
	if err != nil {
		return PriorityNormal
	}
	best := PriorityLow
	for p := PriorityLow; p <= PriorityUrgent; p++ {
		if n >= r.o.Priorities[p] {
			best = p
		}
	}
	return best
}

func parseRTTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || t.Year() <= 1970 {
		return time.Time{}
	}
	return t
}

// search runs a TicketSQL query and returns every page.
func (r *RT) search(ctx context.Context, query, fields, orderBy string) ([]rtTicket, error) {
	var out []rtTicket
	for page := 1; ; page++ {
		q := url.Values{
			"query":    {query},
			"fields":   {fields},
			"orderby":  {orderBy},
			"order":    {"ASC"},
			"per_page": {"100"},
			"page":     {strconv.Itoa(page)},
		}
		var p rtPage
		if err := r.do(ctx, http.MethodGet, "/tickets", q, nil, &p); err != nil {
			return nil, fmt.Errorf("rt: searching tickets: %w", err)
		}
		out = append(out, p.Items...)
		if float64(page) >= p.Pages || len(p.Items) == 0 {
			return out, nil
		}
	}
}

// FindOpen implements Helpdesk: the oldest active (new, open, stalled)
// ticket in the queue whose SharewatchAccount is accountID.
func (r *RT) FindOpen(ctx context.Context, accountID string) (*Ticket, error) {
	query := fmt.Sprintf("Queue = %s AND CF.{%s} = %s AND Status = '__Active__'",
		rtQuote(r.o.Queue), RTFieldAccount, rtQuote(accountID))
	ts, err := r.search(ctx, query, "Subject,Status,Priority,Created", "Created")
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, nil
	}
	t := ts[0]
	return &Ticket{Ref: "rt:" + t.ID, AccountID: accountID, Subject: t.Subject, Status: t.Status,
		Priority: r.priorityOf(t.Priority), Created: parseRTTime(t.Created)}, nil
}

// Create implements Helpdesk.
func (r *RT) Create(ctx context.Context, nt NewTicket) (Ticket, error) {
	in := map[string]any{
		"Queue":        r.o.Queue,
		"Subject":      nt.Subject,
		"Priority":     r.o.Priorities[nt.Priority],
		"Content":      nt.Body,
		"ContentType":  "text/plain",
		"CustomFields": map[string]string{RTFieldAccount: nt.AccountID},
	}
	var out struct {
		ID json.RawMessage `json:"id"`
	}
	if err := r.do(ctx, http.MethodPost, "/ticket", nil, in, &out); err != nil {
		return Ticket{}, fmt.Errorf("rt: creating ticket for %s: %w", nt.AccountID, err)
	}
	id := strings.Trim(string(out.ID), `"`)
	if id == "" {
		return Ticket{}, fmt.Errorf("rt: creating ticket for %s: no id in answer", nt.AccountID)
	}
	return Ticket{Ref: "rt:" + id, AccountID: nt.AccountID, Subject: nt.Subject, Status: "new",
		Priority: nt.Priority, Created: time.Now().UTC()}, nil
}

// Comment implements Helpdesk with an RT comment (never mailed to the
// requestor).
func (r *RT) Comment(ctx context.Context, ref, body string) error {
	id, err := splitRef("rt", ref)
	if err != nil {
		return err
	}
	in := map[string]string{"Content": body, "ContentType": "text/plain"}
	if err := r.do(ctx, http.MethodPost, "/ticket/"+url.PathEscape(id)+"/comment", nil, in, nil); err != nil {
		return fmt.Errorf("rt: commenting on %s: %w", ref, err)
	}
	return nil
}

// SetPriority implements Helpdesk.
func (r *RT) SetPriority(ctx context.Context, ref string, p Priority) error {
	id, err := splitRef("rt", ref)
	if err != nil {
		return err
	}
	in := map[string]int{"Priority": r.o.Priorities[p]}
	if err := r.do(ctx, http.MethodPut, "/ticket/"+url.PathEscape(id), nil, in, nil); err != nil {
		return fmt.Errorf("rt: setting priority of %s: %w", ref, err)
	}
	return nil
}

// Decisions implements Helpdesk: resolved tickets of the queue whose
// SharewatchDecision is set. The reason is the SharewatchReason field;
// the analyst is whoever last updated the ticket.
//
// TicketSQL compares dates in the RT user's time zone, so the query reaches
// back a day further and the result is filtered on the UTC Resolved time.
func (r *RT) Decisions(ctx context.Context, since time.Time) ([]Decision, error) {
	from := since.UTC().Add(-24 * time.Hour).Format("2006-01-02 15:04:05")
	query := fmt.Sprintf("Queue = %s AND Status = 'resolved' AND CF.{%s} IS NOT NULL AND Resolved >= %s",
		rtQuote(r.o.Queue), RTFieldDecision, rtQuote(from))
	ts, err := r.search(ctx, query, "Resolved,LastUpdatedBy,CustomFields", "Resolved")
	if err != nil {
		return nil, err
	}
	var out []Decision
	for i := range ts {
		t := &ts[i]
		d := Decision{
			Ref:       "rt:" + t.ID,
			AccountID: t.cf(RTFieldAccount),
			Outcome:   Outcome(t.cf(RTFieldDecision)),
			Reason:    t.cf(RTFieldReason),
			Analyst:   t.LastUpdatedBy.ID,
			Time:      parseRTTime(t.Resolved),
		}
		if !d.Outcome.Valid() || d.AccountID == "" || d.Time.Before(since) {
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

// ResolveHint tells analysts how to record a decision, for ticket bodies.
func (r *RT) ResolveHint() string {
	return "Decide by setting " + RTFieldDecision + " to sharing or not_sharing, writing the reason in " + RTFieldReason + ", and resolving the ticket."
}
