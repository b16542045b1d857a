package verdictstore

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Defaults of Config.
const (
	DefaultDSN             = "clickhouse://127.0.0.1:9000"
	DefaultDatabase        = "sharewatch"
	DefaultBatchSize       = 10000
	DefaultFlushInterval   = time.Second
	DefaultRetentionMonths = 13
	DefaultQueueSize       = 4
	DefaultAttemptTimeout  = time.Minute

	defaultMaxRetryBackoff = 30 * time.Second
)

// DefaultMaxRetryBackoff is the default of Config.MaxRetryBackoff.
const DefaultMaxRetryBackoff = defaultMaxRetryBackoff

// Config errors, each naming its field.
var (
	ErrInvalidDSN             = errors.New("clickhouse.dsn: not a valid clickhouse:// DSN")
	ErrInvalidDatabase        = errors.New("clickhouse.database: must match [A-Za-z_][A-Za-z0-9_]*")
	ErrDatabaseMismatch       = errors.New("clickhouse.database: differs from the database in clickhouse.dsn")
	ErrInvalidBatchSize       = errors.New("clickhouse.batch_size: must not be negative")
	ErrInvalidFlushInterval   = errors.New("clickhouse.flush_interval: must not be negative")
	ErrInvalidRetentionMonths = errors.New("clickhouse.retention_months: must not be negative")
	ErrInvalidMaxRetryBackoff = errors.New("clickhouse.max_retry_backoff: must not be negative")
	ErrInvalidQueueSize       = errors.New("clickhouse.queue_size: must not be negative")
	ErrInvalidAttemptTimeout  = errors.New("clickhouse.attempt_timeout: must not be negative")
	// ErrMissingPath is returned when a JSONL sink has no file path.
	ErrMissingPath = errors.New("jsonl.path: missing")
)

// Config configures the ClickHouse store. Zero values take the defaults.
type Config struct {
	// DSN is the native-protocol address, e.g.
	// clickhouse://user:pass@host:9000/sharewatch?dial_timeout=5s. A path
	// names the database. The HTTP protocol does not work with 18.16.
	// Default: clickhouse://127.0.0.1:9000
	DSN string `yaml:"dsn"`
	// Database holds the tables; Migrate creates it.
	// Default: the DSN's database, else sharewatch
	Database string `yaml:"database"`
	// BatchSize is the most rows sent in one INSERT, and the size at which
	// a BatchWriter flushes.
	// Default: 10000
	BatchSize int `yaml:"batch_size"`
	// FlushInterval is how long a BatchWriter holds a partial batch.
	// Default: 1s
	FlushInterval time.Duration `yaml:"flush_interval"`
	// RetentionMonths is how many months of verdicts and actions
	// ApplyRetention keeps, counted back from now; older monthly partitions
	// are dropped.
	// Default: 13
	RetentionMonths int `yaml:"retention_months"`
	// MaxRetryBackoff caps the jittered exponential backoff between failed
	// attempts.
	// Default: 30s
	MaxRetryBackoff time.Duration `yaml:"max_retry_backoff"`
	// AttemptTimeout bounds one insert attempt, so a hung server leads to a
	// retry rather than a stall.
	// Default: 1m
	AttemptTimeout time.Duration `yaml:"attempt_timeout"`
	// QueueSize is how many full batches a BatchWriter queues for ClickHouse
	// before Enqueue blocks.
	// Default: 4
	QueueSize int `yaml:"queue_size"`
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.DSN == "" {
		c.DSN = DefaultDSN
	}
	if c.Database == "" {
		if opts, err := clickhouse.ParseDSN(c.DSN); err == nil && opts.Auth.Database != "" {
			c.Database = opts.Auth.Database
		} else {
			c.Database = DefaultDatabase
		}
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.RetentionMonths == 0 {
		c.RetentionMonths = DefaultRetentionMonths
	}
	if c.MaxRetryBackoff == 0 {
		c.MaxRetryBackoff = DefaultMaxRetryBackoff
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = DefaultAttemptTimeout
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	return c
}

// Validate reports every invalid field, joined. Zero values are valid: they
// take the defaults.
func (c Config) Validate() error {
	var errs []error
	if c.DSN != "" {
		if !strings.HasPrefix(c.DSN, "clickhouse://") && !strings.HasPrefix(c.DSN, "tcp://") {
			errs = append(errs, fmt.Errorf("%w: %q needs the clickhouse:// scheme", ErrInvalidDSN, redact(c.DSN)))
		} else if opts, err := clickhouse.ParseDSN(c.DSN); err != nil {
			errs = append(errs, fmt.Errorf("%w: %v", ErrInvalidDSN, err))
		} else if c.Database != "" && opts.Auth.Database != "" && opts.Auth.Database != c.Database {
			errs = append(errs, fmt.Errorf("%w: %q vs %q", ErrDatabaseMismatch, c.Database, opts.Auth.Database))
		} else if c.Database == "" && opts.Auth.Database != "" && !identRE.MatchString(opts.Auth.Database) {
			errs = append(errs, fmt.Errorf("%w: %q (from the DSN)", ErrInvalidDatabase, opts.Auth.Database))
		}
	}
	if c.Database != "" && !identRE.MatchString(c.Database) {
		errs = append(errs, fmt.Errorf("%w: %q", ErrInvalidDatabase, c.Database))
	}
	for _, f := range []struct {
		bad bool
		err error
	}{
		{c.BatchSize < 0, ErrInvalidBatchSize},
		{c.FlushInterval < 0, ErrInvalidFlushInterval},
		{c.RetentionMonths < 0, ErrInvalidRetentionMonths},
		{c.MaxRetryBackoff < 0, ErrInvalidMaxRetryBackoff},
		{c.AttemptTimeout < 0, ErrInvalidAttemptTimeout},
		{c.QueueSize < 0, ErrInvalidQueueSize},
	} {
		if f.bad {
			errs = append(errs, f.err)
		}
	}
	return errors.Join(errs...)
}

// redact hides a password in a DSN for error messages.
func redact(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return dsn
	}
	creds := dsn[scheme+3 : at]
	if i := strings.Index(creds, ":"); i >= 0 {
		return dsn[:scheme+3] + creds[:i] + ":xxx" + dsn[at:]
	}
	return dsn
}
