package tickets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func loadConfig(b []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return c, err
	}
	c = c.WithDefaults()
	return c, c.Validate()
}

// TestConfigFiles checks testdata/config: *.good.yml must validate, each
// *.bad.yml must fail with every "# error:" line of its header.
func TestConfigFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/config/*.yml")
	if len(files) == 0 {
		t.Fatal("no config test files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = loadConfig(b)
			if strings.HasSuffix(f, ".good.yml") {
				if err != nil {
					t.Fatalf("good config rejected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("bad config accepted")
			}
			for _, l := range strings.Split(string(b), "\n") {
				if want, ok := strings.CutPrefix(l, "# error: "); ok && !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

func TestConfigDefaultsAndSentinels(t *testing.T) {
	c := DefaultConfig()
	if c.Kind != KindFile || c.PollInterval != time.Minute || c.CommentMinInterval != 24*time.Hour ||
		c.OutboxLimit != DefaultOutboxLimit || c.RT.Queue != "General" {
		t.Fatalf("defaults: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Kind = KindRT
	err := c.Validate()
	for _, want := range []error{ErrMissing, ErrMissingAuth} {
		if !errors.Is(err, want) {
			t.Errorf("Validate() = %v, want it to wrap %v", err, want)
		}
	}
	// Secrets never print.
	c.RT.Password = "hunter2"
	if s := fmt.Sprintf("%v %+v %#v", c, c, c); strings.Contains(s, "hunter2") {
		t.Fatalf("password printed: %s", s)
	}
	out, _ := yaml.Marshal(c)
	if strings.Contains(string(out), "hunter2") {
		t.Fatalf("password marshalled: %s", out)
	}
}

func TestNewHelpdeskFromConfig(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		want string
	}{
		{"file", Config{Kind: KindFile, File: FileConfig{Dir: t.TempDir()}}, "*tickets.FileQueue"},
		{"rt", Config{Kind: KindRT, RT: RTConfig{URL: "http://rt", Token: "t"}}, "*tickets.RT"},
		{"zendesk", Config{Kind: KindZendesk, Zendesk: ZendeskConfig{URL: "http://z", Email: "e", Token: "t"}}, "*tickets.Zendesk"},
		{"none", Config{Kind: KindNone}, "<nil>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hd, err := tc.c.NewHelpdesk()
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%T", hd); got != tc.want {
				t.Fatalf("adapter %s, want %s", got, tc.want)
			}
		})
	}
}

func TestHTTPErrorRetryable(t *testing.T) {
	tests := []struct {
		status    int
		temporary bool
		kind      string
	}{
		{429, true, kindRateLimited},
		{503, true, kindServer},
		{500, true, kindServer},
		{408, true, kindClient},
		{401, false, kindClient},
		{422, false, kindClient},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			var err error = fmt.Errorf("wrapped: %w", &HTTPError{Status: tc.status})
			var he *HTTPError
			if !errors.As(err, &he) || he.Temporary() != tc.temporary || errorKind(err) != tc.kind {
				t.Fatalf("status %d: temporary %v kind %s", tc.status, he.Temporary(), errorKind(err))
			}
		})
	}
	if errorKind(errors.New("dial tcp: refused")) != kindNetwork {
		t.Fatal("a transport error is not kind network")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{"0.5", 500 * time.Millisecond},
		{"Sat, 21 Nov 2026 12:00:30 GMT", 30 * time.Second},
		{"yesterday", 0},
		{"-3", 0},
	}
	for _, tc := range tests {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestFileQueueAcrossInstances(t *testing.T) {
	dir := t.TempDir()
	a, _ := NewFileQueue(dir)
	b, _ := NewFileQueue(dir) // e.g. the CLI
	ctx := t.Context()
	t1, err := a.Create(ctx, NewTicket{AccountID: "q-1", Subject: "one", Body: "b", Priority: PriorityNormal})
	if err != nil {
		t.Fatal(err)
	}
	t2, _ := a.Create(ctx, NewTicket{AccountID: "q-2", Subject: "two", Body: "b", Priority: PriorityUrgent})
	if got, _ := b.FindOpen(ctx, "q-2"); got == nil || got.Ref != t2.Ref {
		t.Fatalf("second instance FindOpen = %+v", got)
	}
	if err := b.Comment(ctx, t1.Ref, "note"); err != nil {
		t.Fatal(err)
	}
	if err := b.Comment(ctx, "file:99", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Comment on a missing ticket: %v", err)
	}
	if err := b.SetPriority(ctx, "rt:1", PriorityHigh); !errors.Is(err, ErrBadRef) {
		t.Fatalf("SetPriority with an RT ref: %v", err)
	}
	ts, _ := a.List(true)
	if len(ts) != 2 || ts[0].Ref != t1.Ref || len(ts[0].Comments) != 1 {
		t.Fatalf("List = %+v, want oldest first with the comment", ts)
	}
	if err := b.Resolve(t1.Ref, OutcomeSharing, "confirmed", "bob"); err != nil {
		t.Fatal(err)
	}
	if ts, _ := a.List(true); len(ts) != 1 || ts[0].Ref != t2.Ref {
		t.Fatalf("open after resolving one: %+v", ts)
	}
	ds, _ := a.Decisions(ctx, time.Time{})
	if len(ds) != 1 || ds[0].Outcome != OutcomeSharing || ds[0].Analyst != "bob" {
		t.Fatalf("Decisions = %+v", ds)
	}
}
