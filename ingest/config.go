package ingest

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Errors returned by Config.Validate, each wrapped with the field name.
var (
	ErrMissingBrokers       = errors.New("at least one broker is required")
	ErrInvalidBroker        = errors.New("broker must be host:port")
	ErrMissingTopic         = errors.New("topic is required")
	ErrMissingGroup         = errors.New("consumer group is required")
	ErrMissingDLQTopic      = errors.New("dead-letter topic is required")
	ErrDLQTopicIsInput      = errors.New("dead-letter topic must differ from the input topic")
	ErrInvalidFetchBytes    = errors.New("need 1 <= min_bytes <= max_bytes")
	ErrInvalidBatchSize     = errors.New("batch size must be at least 1")
	ErrNonPositiveDuration  = errors.New("duration must be positive")
	ErrInvalidSASLMechanism = errors.New("SASL mechanism must be plain, scram-sha-256 or scram-sha-512")
	ErrMissingSASLUser      = errors.New("SASL needs a username and a password")
	ErrCAFileWithoutTLS     = errors.New("ca_file is set but TLS is not enabled")
)

// SASL mechanisms accepted in SASLConfig.Mechanism.
const (
	SASLPlain       = "plain"
	SASLScramSHA256 = "scram-sha-256"
	SASLScramSHA512 = "scram-sha-512"
)

// Config is the Kafka side of the pipeline: where login events come from,
// where bad ones go, and how they are batched and committed.
type Config struct {
	// Brokers are the bootstrap brokers, host:port.
	// Default: ["127.0.0.1:9092"]
	Brokers []string `yaml:"brokers"`
	// Topic carries the login events.
	// Default: "logins"
	Topic string `yaml:"topic"`
	// Group is the consumer group.
	// Default: "sharewatch"
	Group string `yaml:"group"`
	// DLQTopic receives messages that fail Decode. It must exist.
	// Default: "logins.dlq"
	DLQTopic string `yaml:"dlq_topic"`

	// MinBytes is the least data a fetch waits for (up to MaxWait).
	// Default: 1
	MinBytes int `yaml:"min_bytes"`
	// MaxBytes caps the data one fetch returns per partition.
	// Default: 10485760 (10 MiB)
	MaxBytes int `yaml:"max_bytes"`
	// MaxWait is how long the broker holds a fetch waiting for MinBytes. It
	// also bounds how long closing the reader takes (kafka-go issue #428).
	// Default: 250ms
	MaxWait time.Duration `yaml:"max_wait"`
	// CommitInterval is how often processed offsets are committed. A crash
	// redelivers at most this much processed work.
	// Default: 1s
	CommitInterval time.Duration `yaml:"commit_interval"`
	// BatchSize is the most messages gathered into one batch, and so the
	// most events handed to the Processor at once.
	// Default: 2000
	BatchSize int `yaml:"batch_size"`
	// BatchTimeout is how long a batch waits to fill after its first
	// message before it is processed anyway.
	// Default: 100ms
	BatchTimeout time.Duration `yaml:"batch_timeout"`
	// ShutdownTimeout bounds how long Run waits, after its context is
	// cancelled, for the in-flight batch and for the final commit.
	// Default: 10s
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// MaxClockSkew is how far an event's time may be ahead of its Kafka
	// message's timestamp (or of the clock, if that is earlier: producers
	// may stamp messages with the event's own time). An event further
	// ahead goes to the dead-letter
	// topic with reason clock_skew (see CheckClock): scoring runs on event
	// time, and one event from the future would age every account out.
	// Default: 1h
	MaxClockSkew time.Duration `yaml:"max_clock_skew"`

	// TLS configures encryption to the brokers.
	TLS TLSConfig `yaml:"tls"`
	// SASL configures authentication to the brokers.
	SASL SASLConfig `yaml:"sasl"`
}

// TLSConfig enables TLS to the brokers.
type TLSConfig struct {
	// Enabled turns TLS on, verifying brokers against the system roots or CAFile.
	// Default: false
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM bundle of CAs to trust instead of the system roots.
	// Default: "" (system roots)
	CAFile string `yaml:"ca_file"`
}

// SASLConfig enables SASL authentication. It is off when Mechanism is empty.
type SASLConfig struct {
	// Mechanism is plain, scram-sha-256 or scram-sha-512.
	// Default: "" (no SASL)
	Mechanism string `yaml:"mechanism"`
	// Username is the SASL user.
	Username string `yaml:"username"`
	// Password is the SASL password. It is never logged or marshalled.
	Password Secret `yaml:"password"`
}

// Secret is a string that prints, logs and marshals as "<redacted>".
type Secret string

const redacted = "<redacted>"

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer, which %#v uses.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler so that dumping a config
// (YAML or JSON) does not leak the secret.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Brokers:         []string{"127.0.0.1:9092"},
		Topic:           "logins",
		Group:           "sharewatch",
		DLQTopic:        "logins.dlq",
		MinBytes:        1,
		MaxBytes:        10 << 20,
		MaxWait:         250 * time.Millisecond,
		CommitInterval:  time.Second,
		BatchSize:       2000,
		BatchTimeout:    100 * time.Millisecond,
		ShutdownTimeout: 10 * time.Second,
		MaxClockSkew:    time.Hour,
	}
}

// Validate reports every problem in c, each wrapped as "kafka.<field>: ...",
// joined with errors.Join. It returns nil for a usable config.
func (c Config) Validate() error {
	var errs []error
	bad := func(field string, err error) { errs = append(errs, fmt.Errorf("kafka.%s: %w", field, err)) }

	if len(c.Brokers) == 0 {
		bad("brokers", ErrMissingBrokers)
	}
	for i, b := range c.Brokers {
		if host, port, err := net.SplitHostPort(b); err != nil || host == "" || port == "" {
			bad(fmt.Sprintf("brokers[%d]", i), fmt.Errorf("%w: %q", ErrInvalidBroker, b))
		}
	}
	if c.Topic == "" {
		bad("topic", ErrMissingTopic)
	}
	if c.Group == "" {
		bad("group", ErrMissingGroup)
	}
	switch {
	case c.DLQTopic == "":
		bad("dlq_topic", ErrMissingDLQTopic)
	case c.DLQTopic == c.Topic:
		bad("dlq_topic", ErrDLQTopicIsInput)
	}
	if c.MinBytes < 1 || c.MaxBytes < c.MinBytes {
		bad("min_bytes", fmt.Errorf("%w: min_bytes=%d max_bytes=%d", ErrInvalidFetchBytes, c.MinBytes, c.MaxBytes))
	}
	if c.BatchSize < 1 {
		bad("batch_size", fmt.Errorf("%w: %d", ErrInvalidBatchSize, c.BatchSize))
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{
		{"max_wait", c.MaxWait},
		{"commit_interval", c.CommitInterval},
		{"batch_timeout", c.BatchTimeout},
		{"shutdown_timeout", c.ShutdownTimeout},
		{"max_clock_skew", c.MaxClockSkew},
	} {
		if d.v <= 0 {
			bad(d.field, fmt.Errorf("%w: %s", ErrNonPositiveDuration, d.v))
		}
	}
	if c.TLS.CAFile != "" && !c.TLS.Enabled {
		bad("tls.ca_file", ErrCAFileWithoutTLS)
	}
	switch c.SASL.Mechanism {
	case "":
	case SASLPlain, SASLScramSHA256, SASLScramSHA512:
		if c.SASL.Username == "" || c.SASL.Password == "" {
			bad("sasl", ErrMissingSASLUser)
		}
	default:
		bad("sasl.mechanism", fmt.Errorf("%w: %q", ErrInvalidSASLMechanism, c.SASL.Mechanism))
	}
	return errors.Join(errs...)
}
