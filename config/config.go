// Package config is sharewatch's root configuration: one YAML file with a
// section per stage. Each stage's package owns its section's type, defaults
// and validation; Load applies defaults, rejects unknown fields and joins
// every section's errors, each naming its field.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sharewatch/sharewatch/enrich"
	"github.com/sharewatch/sharewatch/holds"
	"github.com/sharewatch/sharewatch/ingest"
	"github.com/sharewatch/sharewatch/rules"
	"github.com/sharewatch/sharewatch/scoring"
	"github.com/sharewatch/sharewatch/tickets"
	"github.com/sharewatch/sharewatch/verdictstore"
)

// Config is the whole file.
type Config struct {
	Kafka      ingest.Config  `yaml:"kafka"`
	GeoIP      enrich.Config  `yaml:"geoip"`
	ClickHouse ClickHouse     `yaml:"clickhouse"`
	Scoring    scoring.Config `yaml:"scoring"`
	Rules      Rules          `yaml:"rules"`
	Helpdesk   tickets.Config `yaml:"helpdesk"`
	Holds      holds.Config   `yaml:"holds"`
	Server     Server         `yaml:"server"`
	Verdicts   VerdictsFile   `yaml:"verdicts"`
}

// ClickHouse is the verdict store section.
type ClickHouse struct {
	// Enabled writes verdicts and actions to ClickHouse.
	// Default: true
	Enabled *bool `yaml:"enabled"`
	// The store's own settings (dsn, database, batch_size, ...).
	verdictstore.Config `yaml:",inline"`
}

// On reports whether ClickHouse output is enabled.
func (c ClickHouse) On() bool { return c.Enabled == nil || *c.Enabled }

// Rules is the action policy section.
type Rules struct {
	// Policy is a policy file; empty uses the built-in rules/default.yml.
	// Default: ""
	Policy string `yaml:"policy"`
}

// Server is the HTTP listener for /metrics and /healthz.
type Server struct {
	// Listen is host:port. It binds to loopback unless told otherwise.
	// Default: 127.0.0.1:9464
	Listen string `yaml:"listen"`
}

// VerdictsFile optionally writes every verdict to a JSON-lines file.
type VerdictsFile struct {
	// Path of the file; empty disables it.
	// Default: ""
	Path string `yaml:"path"`
}

// Default returns the defaults of every section.
func Default() Config {
	return Config{
		Kafka:    ingest.DefaultConfig(),
		GeoIP:    enrich.DefaultConfig(),
		Scoring:  scoring.DefaultConfig(),
		Helpdesk: tickets.DefaultConfig(),
		Holds:    holds.DefaultConfig(),
		Server:   Server{Listen: "127.0.0.1:9464"},
		// ClickHouse defaults are applied after decoding (Parse), because
		// the database defaults to the one named in the DSN.
		ClickHouse: ClickHouse{},
	}
}

// Load reads, defaults and validates a config file.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes YAML over the defaults and validates the result.
func Parse(b []byte) (Config, error) {
	c := Default()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return c, err
	}
	c.ClickHouse.Config = c.ClickHouse.Config.WithDefaults()
	c.Helpdesk = c.Helpdesk.WithDefaults()
	c.Holds = c.Holds.WithDefaults()
	return c, c.Validate()
}

// Sentinel errors of the root sections.
var (
	ErrMissing = errors.New("missing")
)

// Validate validates every section and joins the errors.
func (c *Config) Validate() error {
	var errs []error
	section := func(name string, err error) {
		if err == nil {
			return
		}
		for _, e := range unjoin(err) {
			msg := e.Error()
			if strings.HasPrefix(msg, name+".") {
				errs = append(errs, e)
			} else {
				errs = append(errs, fmt.Errorf("%s.%w", name, e))
			}
		}
	}
	section("kafka", c.Kafka.Validate())
	section("geoip", c.GeoIP.Validate())
	if c.ClickHouse.On() {
		section("clickhouse", c.ClickHouse.Config.Validate())
	}
	section("scoring", c.Scoring.Validate())
	if c.Rules.Policy != "" {
		if _, err := rules.Load(c.Rules.Policy); err != nil {
			errs = append(errs, fmt.Errorf("rules.policy: %w", err))
		}
	}
	section("helpdesk", c.Helpdesk.Validate())
	section("holds", c.Holds.Validate())
	if c.Server.Listen == "" {
		errs = append(errs, fmt.Errorf("server.listen: %w", ErrMissing))
	}
	return errors.Join(errs...)
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}
