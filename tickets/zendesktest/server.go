// Package zendesktest is a local stand-in for the slice of the Zendesk
// Tickets API that the tickets package uses, for tests and demos:
//
//   - GET  /api/v2/tickets.json?external_id=X
//   - POST /api/v2/tickets.json
//   - GET  /api/v2/tickets/{id}.json
//   - PUT  /api/v2/tickets/{id}.json (comment, priority, status, tags)
//   - GET  /api/v2/tickets/{id}/comments.json[?sort_order=desc]
//   - GET  /api/v2/search.json?query=type:ticket status>=solved tags:T updated>=ISO8601
//
// It checks basic auth as "email/token:TOKEN" (401 otherwise) and can
// answer every Nth request with 429 and a Retry-After header, as Zendesk's
// rate limiter does. It keeps everything in memory.
package zendesktest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options configure a Server.
type Options struct {
	// Email and Token are the accepted credentials.
	// Default: agent@example.com, secret
	Email, Token string
	// RateLimitEvery answers every Nth authenticated request with 429.
	// Default: 0 (never)
	RateLimitEvery int
	// RetryAfter is the Retry-After header of a 429, in seconds.
	// Default: "1"
	RetryAfter string
}

// Ticket is a ticket as the server stores it.
type Ticket struct {
	ID         int64     `json:"id"`
	Subject    string    `json:"subject"`
	Status     string    `json:"status"`
	Priority   string    `json:"priority"`
	ExternalID string    `json:"external_id"`
	Tags       []string  `json:"tags"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Comments   []Comment `json:"-"`
}

// Comment is a ticket comment.
type Comment struct {
	ID        int64     `json:"id"`
	Body      string    `json:"body"`
	Public    bool      `json:"public"`
	AuthorID  int64     `json:"author_id"`
	CreatedAt time.Time `json:"created_at"`
}

// AgentID is the author of comments made through the API.
const AgentID = 1001

// AnalystID is the author of comments made by Solve.
const AnalystID = 2002

// Server is a running fake.
type Server struct {
	srv *httptest.Server
	o   Options

	mu          sync.Mutex
	tickets     []*Ticket
	nextID      int64
	nextComment int64
	requests    int
	limited     int
	log         []Request
}

// Request is one answered request, for tests that check timing.
type Request struct {
	Time   time.Time
	Method string
	Path   string
	Status int
}

// Requests returns the log of authenticated requests, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Start starts a server; Close it when done.
func Start(o Options) *Server {
	if o.Email == "" {
		o.Email = "agent@example.com"
	}
	if o.Token == "" {
		o.Token = "secret"
	}
	if o.RetryAfter == "" {
		o.RetryAfter = "1"
	}
	s := &Server{o: o}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// New starts a server that is closed when the test ends.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	s := Start(o)
	t.Cleanup(s.Close)
	return s
}

// URL is the server's root (no /api/v2).
func (s *Server) URL() string { return s.srv.URL }

// Email and Token return the accepted credentials.
func (s *Server) Email() string { return s.o.Email }

// Token returns the accepted API token.
func (s *Server) Token() string { return s.o.Token }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// SetRateLimitEvery changes Options.RateLimitEvery.
func (s *Server) SetRateLimitEvery(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.o.RateLimitEvery = n
}

// Stats returns the authenticated requests served and how many of them got
// a 429.
func (s *Server) Stats() (requests, rateLimited int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, s.limited
}

// Tickets returns copies of every ticket, comments included, by id.
func (s *Server) Tickets() []Ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Ticket, len(s.tickets))
	for i, t := range s.tickets {
		out[i] = *t
		out[i].Tags = slices.Clone(t.Tags)
		out[i].Comments = slices.Clone(t.Comments)
	}
	return out
}

// Solve solves a ticket as an analyst would: it adds the tag (e.g.
// sharewatch_not_sharing) and a comment with the reason.
func (s *Server) Solve(id int64, tag, reason string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.find(id)
	if t == nil {
		return false
	}
	now := time.Now().UTC()
	t.Status = "solved"
	if !slices.Contains(t.Tags, tag) {
		t.Tags = append(t.Tags, tag)
	}
	s.nextComment++
	t.Comments = append(t.Comments, Comment{ID: s.nextComment, Body: reason, AuthorID: AnalystID, CreatedAt: now})
	t.UpdatedAt = now
	return true
}

func (s *Server) find(id int64) *Ticket {
	for _, t := range s.tickets {
		if t.ID == id {
			return t
		}
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func errorJSON(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

type ticketIn struct {
	Subject    *string  `json:"subject"`
	Status     *string  `json:"status"`
	Priority   *string  `json:"priority"`
	ExternalID *string  `json:"external_id"`
	Tags       []string `json:"tags"`
	Comment    *struct {
		Body   string `json:"body"`
		Public *bool  `json:"public"`
	} `json:"comment"`
}

var priorities = []string{"low", "normal", "high", "urgent"}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != s.o.Email+"/token" || pass != s.o.Token {
		errorJSON(w, http.StatusUnauthorized, "Couldn't authenticate you")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	w = rec
	defer func() {
		s.log = append(s.log, Request{Time: time.Now(), Method: r.Method, Path: r.URL.Path, Status: rec.status})
	}()
	s.requests++
	if n := s.o.RateLimitEvery; n > 0 && s.requests%n == 0 {
		s.limited++
		w.Header().Set("Retry-After", s.o.RetryAfter)
		errorJSON(w, http.StatusTooManyRequests, "Rate limit exceeded")
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/api/v2/")
	if !ok {
		errorJSON(w, http.StatusNotFound, "InvalidEndpoint")
		return
	}
	switch {
	case path == "tickets.json" && r.Method == http.MethodGet:
		s.list(w, r)
	case path == "tickets.json" && r.Method == http.MethodPost:
		s.create(w, r)
	case path == "search.json" && r.Method == http.MethodGet:
		s.search(w, r)
	case strings.HasPrefix(path, "tickets/"):
		rest := strings.TrimPrefix(path, "tickets/")
		idStr, sub, _ := strings.Cut(rest, "/")
		idStr = strings.TrimSuffix(idStr, ".json")
		id, err := strconv.ParseInt(idStr, 10, 64)
		t := s.find(id)
		if err != nil || t == nil {
			errorJSON(w, http.StatusNotFound, "RecordNotFound")
			return
		}
		switch {
		case sub == "" && r.Method == http.MethodGet:
			writeJSON(w, http.StatusOK, map[string]any{"ticket": t})
		case sub == "" && r.Method == http.MethodPut:
			s.update(w, r, t)
		case sub == "comments.json" && r.Method == http.MethodGet:
			cs := slices.Clone(t.Comments)
			if r.URL.Query().Get("sort_order") == "desc" {
				slices.Reverse(cs)
			}
			writeJSON(w, http.StatusOK, map[string]any{"comments": cs, "next_page": nil})
		default:
			errorJSON(w, http.StatusNotFound, "InvalidEndpoint")
		}
	default:
		errorJSON(w, http.StatusNotFound, "InvalidEndpoint")
	}
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	ext := r.URL.Query().Get("external_id")
	out := []*Ticket{}
	for _, t := range s.tickets {
		if ext == "" || t.ExternalID == ext {
			out = append(out, t)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tickets": out, "next_page": nil, "count": len(out)})
}

func decodeTicket(w http.ResponseWriter, r *http.Request) (*ticketIn, bool) {
	var in struct {
		Ticket *ticketIn `json:"ticket"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Ticket == nil {
		errorJSON(w, http.StatusBadRequest, "expected {\"ticket\": {...}}")
		return nil, false
	}
	if p := in.Ticket.Priority; p != nil && !slices.Contains(priorities, *p) {
		errorJSON(w, http.StatusUnprocessableEntity, "invalid priority")
		return nil, false
	}
	return in.Ticket, true
}

func (s *Server) addComment(t *Ticket, body string, public *bool, now time.Time) {
	s.nextComment++
	c := Comment{ID: s.nextComment, Body: body, Public: true, AuthorID: AgentID, CreatedAt: now}
	if public != nil {
		c.Public = *public
	}
	t.Comments = append(t.Comments, c)
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	in, ok := decodeTicket(w, r)
	if !ok {
		return
	}
	if in.Comment == nil || in.Comment.Body == "" {
		errorJSON(w, http.StatusUnprocessableEntity, "comment body is required")
		return
	}
	now := time.Now().UTC()
	s.nextID++
	t := &Ticket{ID: s.nextID, Status: "new", Priority: "normal", CreatedAt: now, UpdatedAt: now, Tags: in.Tags}
	if in.Subject != nil {
		t.Subject = *in.Subject
	}
	if in.Priority != nil {
		t.Priority = *in.Priority
	}
	if in.ExternalID != nil {
		t.ExternalID = *in.ExternalID
	}
	if in.Status != nil {
		t.Status = *in.Status
	}
	s.addComment(t, in.Comment.Body, in.Comment.Public, now)
	s.tickets = append(s.tickets, t)
	writeJSON(w, http.StatusCreated, map[string]any{"ticket": t})
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, t *Ticket) {
	in, ok := decodeTicket(w, r)
	if !ok {
		return
	}
	now := time.Now().UTC()
	if in.Subject != nil {
		t.Subject = *in.Subject
	}
	if in.Priority != nil {
		t.Priority = *in.Priority
	}
	if in.Status != nil {
		t.Status = *in.Status
	}
	if in.Tags != nil {
		t.Tags = in.Tags
	}
	if in.Comment != nil && in.Comment.Body != "" {
		s.addComment(t, in.Comment.Body, in.Comment.Public, now)
	}
	t.UpdatedAt = now
	writeJSON(w, http.StatusOK, map[string]any{"ticket": t})
}

var statusRank = map[string]int{"new": 0, "open": 1, "pending": 2, "hold": 3, "solved": 4, "closed": 5}

// search understands type:ticket, status:S / status>=S / status<S,
// tags:T and updated>=T / updated>T (RFC 3339). Terms are ANDed.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("query")
	type result struct {
		*Ticket
		ResultType string `json:"result_type"`
	}
	out := []result{}
	match := func(t *Ticket) bool {
		for _, term := range strings.Fields(q) {
			switch {
			case term == "type:ticket":
			case strings.HasPrefix(term, "status>="):
				if statusRank[t.Status] < statusRank[strings.TrimPrefix(term, "status>=")] {
					return false
				}
			case strings.HasPrefix(term, "status<"):
				if statusRank[t.Status] >= statusRank[strings.TrimPrefix(term, "status<")] {
					return false
				}
			case strings.HasPrefix(term, "status:"):
				if t.Status != strings.TrimPrefix(term, "status:") {
					return false
				}
			case strings.HasPrefix(term, "tags:"):
				if !slices.Contains(t.Tags, strings.TrimPrefix(term, "tags:")) {
					return false
				}
			case strings.HasPrefix(term, "updated>="), strings.HasPrefix(term, "updated>"):
				v := strings.TrimLeft(strings.TrimPrefix(term, "updated"), ">=")
				at, err := time.Parse(time.RFC3339, v)
				if err != nil {
					return false
				}
				if t.UpdatedAt.Before(at) || (!strings.HasPrefix(term, "updated>=") && t.UpdatedAt.Equal(at)) {
					return false
				}
			default:
				return false
			}
		}
		return true
	}
	for _, t := range s.tickets {
		if match(t) {
			out = append(out, result{Ticket: t, ResultType: "ticket"})
		}
	}
	slices.SortStableFunc(out, func(a, b result) int { return a.UpdatedAt.Compare(b.UpdatedAt) })
	if r.URL.Query().Get("sort_order") == "desc" {
		slices.Reverse(out)
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": out, "count": len(out), "next_page": nil})
}
