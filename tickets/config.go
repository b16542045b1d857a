package tickets

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"
)

// Helpdesk kinds of Config.Kind.
const (
	KindFile    = "file"
	KindRT      = "rt"
	KindZendesk = "zendesk"
	KindNone    = "none"
)

// Defaults of Config.
const (
	DefaultKind               = KindFile
	DefaultFileDir            = "./sharewatch-tickets/queue"
	DefaultOutboxDir          = "./sharewatch-tickets/outbox"
	DefaultRTQueue            = "General"
	DefaultPollInterval       = time.Minute
	DefaultCommentMinInterval = 24 * time.Hour
	DefaultOutboxLimit        = 10000
	DefaultConcurrency        = 2
	DefaultMaxBackoff         = 5 * time.Minute
)

// Errors returned by Config.Validate, each wrapped with the field name.
var (
	ErrBadKind         = errors.New("must be file, rt, zendesk or none")
	ErrMissing         = errors.New("missing")
	ErrBadURL          = errors.New("must be an absolute http or https URL")
	ErrMissingAuth     = errors.New("needs user and password, or token")
	ErrNonPositive     = errors.New("must be positive")
	ErrZendeskAuth     = errors.New("needs email and token")
	ErrOutboxIsFileDir = errors.New("must differ from file.dir")
)

// Config is the helpdesk section.
type Config struct {
	// Kind is file, rt, zendesk or none (no tickets).
	// Default: file
	Kind string `yaml:"kind"`
	// File is the built-in file queue.
	File FileConfig `yaml:"file"`
	// RT is Request Tracker 5.
	RT RTConfig `yaml:"rt"`
	// Zendesk is the Zendesk Tickets API.
	Zendesk ZendeskConfig `yaml:"zendesk"`
	// OutboxDir holds the durable outbox journal and the decision cursor.
	// Default: ./sharewatch-tickets/outbox
	OutboxDir string `yaml:"outbox_dir"`
	// OutboxLimit is how many unsent intents the outbox holds before Act
	// blocks (backpressure on the pipeline; nothing is dropped).
	// Default: 10000
	OutboxLimit int `yaml:"outbox_limit"`
	// Concurrency is how many accounts are sent to the helpdesk at once.
	// One account's intents are always sent in order.
	// Default: 2
	Concurrency int `yaml:"concurrency"`
	// MaxBackoff caps the exponential backoff between failed sends; a
	// longer Retry-After is still honoured.
	// Default: 5m
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// PollInterval is how often analyst decisions are read back.
	// Default: 1m
	PollInterval time.Duration `yaml:"poll_interval"`
	// CommentMinInterval is the least event time between two escalation
	// comments on one ticket. Every comment re-timestamps the ticket and
	// sends it to the back of the queue.
	// Default: 24h
	CommentMinInterval time.Duration `yaml:"comment_min_interval"`
}

// FileConfig is the built-in file queue.
type FileConfig struct {
	// Dir holds tickets.json.
	// Default: ./sharewatch-tickets/queue
	Dir string `yaml:"dir"`
}

// RTConfig is Request Tracker 5 over REST2.
type RTConfig struct {
	// URL is RT's web root with its WebPath, e.g. https://rt.example.com/rt.
	URL string `yaml:"url"`
	// Queue receives the tickets; the custom fields must apply to it.
	// Default: General
	Queue string `yaml:"queue"`
	// User and Password log in to a web session (fast); see RTOptions.
	User     string `yaml:"user"`
	Password Secret `yaml:"password"`
	// Token is an RT auth token, used when no password is set (slow: RT
	// checks it with bcrypt on every request).
	Token Secret `yaml:"token"`
}

// ZendeskConfig is the Zendesk Tickets API.
type ZendeskConfig struct {
	// URL is the account's API root, e.g. https://example.zendesk.com.
	URL string `yaml:"url"`
	// Email and Token authenticate as "email/token:TOKEN".
	Email string `yaml:"email"`
	Token Secret `yaml:"token"`
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{}.WithDefaults()
}

// WithDefaults fills zero fields with their defaults.
func (c Config) WithDefaults() Config {
	if c.Kind == "" {
		c.Kind = DefaultKind
	}
	if c.File.Dir == "" {
		c.File.Dir = DefaultFileDir
	}
	if c.RT.Queue == "" {
		c.RT.Queue = DefaultRTQueue
	}
	if c.OutboxDir == "" {
		c.OutboxDir = DefaultOutboxDir
	}
	if c.OutboxLimit == 0 {
		c.OutboxLimit = DefaultOutboxLimit
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.CommentMinInterval == 0 {
		c.CommentMinInterval = DefaultCommentMinInterval
	}
	return c
}

// Validate reports every problem, each wrapped as "helpdesk.<field>: ...",
// joined with errors.Join. Call it on a config with defaults applied.
func (c Config) Validate() error {
	var errs []error
	bad := func(field string, err error) { errs = append(errs, fmt.Errorf("helpdesk.%s: %w", field, err)) }
	checkURL := func(field, s string) {
		if s == "" {
			bad(field, ErrMissing)
			return
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(field, fmt.Errorf("%w: %q", ErrBadURL, s))
		}
	}
	switch c.Kind {
	case KindNone:
		return nil
	case KindFile:
		if c.File.Dir == "" {
			bad("file.dir", ErrMissing)
		} else if c.File.Dir == c.OutboxDir {
			bad("outbox_dir", ErrOutboxIsFileDir)
		}
	case KindRT:
		checkURL("rt.url", c.RT.URL)
		if c.RT.Queue == "" {
			bad("rt.queue", ErrMissing)
		}
		if (c.RT.User == "" || c.RT.Password == "") && c.RT.Token == "" {
			bad("rt", ErrMissingAuth)
		}
	case KindZendesk:
		checkURL("zendesk.url", c.Zendesk.URL)
		if c.Zendesk.Email == "" || c.Zendesk.Token == "" {
			bad("zendesk", ErrZendeskAuth)
		}
	default:
		bad("kind", fmt.Errorf("%w, got %q", ErrBadKind, c.Kind))
	}
	if c.OutboxDir == "" {
		bad("outbox_dir", ErrMissing)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"outbox_limit", int64(c.OutboxLimit)},
		{"concurrency", int64(c.Concurrency)},
		{"max_backoff", int64(c.MaxBackoff)},
		{"poll_interval", int64(c.PollInterval)},
		{"comment_min_interval", int64(c.CommentMinInterval)},
	} {
		if f.v <= 0 {
			bad(f.name, ErrNonPositive)
		}
	}
	return errors.Join(errs...)
}

// NewHelpdesk builds the configured adapter; nil for kind none.
func (c Config) NewHelpdesk() (Helpdesk, error) {
	switch c.Kind {
	case KindNone:
		return nil, nil
	case KindFile:
		return NewFileQueue(c.File.Dir)
	case KindRT:
		return NewRT(RTOptions{URL: c.RT.URL, Queue: c.RT.Queue, User: c.RT.User, Password: string(c.RT.Password), Token: string(c.RT.Token)})
	case KindZendesk:
		return NewZendesk(ZendeskOptions{URL: c.Zendesk.URL, Email: c.Zendesk.Email, Token: string(c.Zendesk.Token)})
	}
	return nil, fmt.Errorf("helpdesk.kind: %w, got %q", ErrBadKind, c.Kind)
}

// Secret is a string that prints, logs and marshals as "<redacted>".
type Secret string

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "<redacted>"
}

// GoString implements fmt.GoStringer.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler, so dumping a config does
// not leak the secret.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
