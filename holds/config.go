package holds

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Defaults of Config.
const (
	DefaultTopic       = "account-holds"
	DefaultStateDir    = "./sharewatch-holds"
	DefaultWindow      = time.Hour
	DefaultMaxHolds    = 50
	DefaultMaxFraction = 0.005
	DefaultMinHolds    = 10
)

// Errors returned by Config.Validate, each wrapped with the field name.
var (
	ErrMissing     = errors.New("missing")
	ErrBadURL      = errors.New("must be an absolute http or https URL")
	ErrNonPositive = errors.New("must be positive")
	ErrBadFraction = errors.New("must be in (0, 1]")
	ErrNegative    = errors.New("must not be negative")
)

// Config is the holds section.
type Config struct {
	// Enabled publishes hold and release commands.
	// Default: true
	Enabled *bool `yaml:"enabled"`
	// Topic receives the commands, keyed by account. It must exist.
	// Default: account-holds
	Topic string `yaml:"topic"`
	// StateDir keeps the held accounts and the brake's state across
	// restarts.
	// Default: ./sharewatch-holds
	StateDir string `yaml:"state_dir"`
	// Webhook optionally receives every command too.
	Webhook WebhookConfig `yaml:"webhook"`
	// Brake stops automatic holds when too many happen at once.
	Brake BrakeConfig `yaml:"brake"`
}

// WebhookConfig is the optional webhook sink.
type WebhookConfig struct {
	// URL receives a POST per command; empty disables the webhook.
	// Default: ""
	URL string `yaml:"url"`
	// Timeout bounds one request.
	// Default: 10s
	Timeout time.Duration `yaml:"timeout"`
}

// BrakeConfig is the blast-radius brake. Automatic holds stop when the
// holds within Window of event time would exceed
// min(MaxHolds, max(MinHolds, MaxFraction × active accounts)).
type BrakeConfig struct {
	// Window is the sliding window, in event time.
	// Default: 1h
	Window time.Duration `yaml:"window"`
	// MaxHolds is the most automatic holds per window.
	// Default: 50
	MaxHolds int `yaml:"max_holds"`
	// MaxFraction is the most automatic holds per window as a fraction of
	// the active accounts.
	// Default: 0.005 (0.5%)
	MaxFraction float64 `yaml:"max_fraction"`
	// MinHolds is the floor of the fraction limit, so that a pipeline that
	// has seen few accounts yet (just started, a demo) can still hold.
	// Default: 10
	MinHolds int `yaml:"min_holds"`
}

// On reports whether holds are published.
func (c Config) On() bool { return c.Enabled == nil || *c.Enabled }

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config { return Config{}.WithDefaults() }

// WithDefaults fills zero fields with their defaults.
func (c Config) WithDefaults() Config {
	if c.Topic == "" {
		c.Topic = DefaultTopic
	}
	if c.StateDir == "" {
		c.StateDir = DefaultStateDir
	}
	if c.Webhook.Timeout == 0 {
		c.Webhook.Timeout = 10 * time.Second
	}
	if c.Brake.Window == 0 {
		c.Brake.Window = DefaultWindow
	}
	if c.Brake.MaxHolds == 0 {
		c.Brake.MaxHolds = DefaultMaxHolds
	}
	if c.Brake.MaxFraction == 0 {
		c.Brake.MaxFraction = DefaultMaxFraction
	}
	if c.Brake.MinHolds == 0 {
		c.Brake.MinHolds = DefaultMinHolds
	}
	return c
}

// Validate reports every problem, each wrapped as "holds.<field>: ...",
// joined with errors.Join. Call it on a config with defaults applied.
func (c Config) Validate() error {
	if !c.On() {
		return nil
	}
	var errs []error
	bad := func(field string, err error) { errs = append(errs, fmt.Errorf("holds.%s: %w", field, err)) }
	if c.Topic == "" {
		bad("topic", ErrMissing)
	}
	if c.StateDir == "" {
		bad("state_dir", ErrMissing)
	}
	if c.Webhook.URL != "" {
		u, err := url.Parse(c.Webhook.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("webhook.url", fmt.Errorf("%w: %q", ErrBadURL, c.Webhook.URL))
		}
	}
	if c.Webhook.Timeout <= 0 {
		bad("webhook.timeout", ErrNonPositive)
	}
	if c.Brake.Window <= 0 {
		bad("brake.window", ErrNonPositive)
	}
	if c.Brake.MaxHolds <= 0 {
		bad("brake.max_holds", ErrNonPositive)
	}
	if c.Brake.MaxFraction <= 0 || c.Brake.MaxFraction > 1 {
		bad("brake.max_fraction", ErrBadFraction)
	}
	if c.Brake.MinHolds < 0 {
		bad("brake.min_holds", ErrNegative)
	}
	return errors.Join(errs...)
}
