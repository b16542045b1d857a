package verdictstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sharewatch/sharewatch/scoring"
)

// Table names, also the values of the metrics' table label.
const (
	TableVerdicts        = "verdicts"
	TableAccountVerdicts = "account_verdicts"
	TableActions         = "actions"
)

var (
	verdictColumns = []string{
		"event_id", "time", "time_ms", "account_id", "session_id", "device_id", "type",
		"ip", "country", "city", "lat", "lon", "accuracy_km", "asn", "score", "verdict",
		"reasons", "explanation", "action", "model_version", "ingested_at",
	}
	accountColumns = []string{
		"account_id", "updated_at", "version", "verdict", "score", "reasons", "explanation",
		"first_flagged", "last_event_id", "last_event_time", "last_event_time_ms", "action", "model_version",
	}
	actionColumns = []string{
		"account_id", "time", "time_ms", "action", "actor", "reason", "ticket_ref",
		"event_id", "verdict", "score", "dry_run",
	}
)

// ClickHouseOptions configures NewClickHouse.
type ClickHouseOptions struct {
	Config Config
	// Logger receives retries and migrations. Default: discard.
	Logger *slog.Logger
	// Registerer receives the store's metrics. Default: none registered.
	Registerer prometheus.Registerer
}

// ClickHouse stores verdicts, latest per-account verdicts and the actions
// audit log in ClickHouse over the native protocol. It is a Sink and is safe
// for concurrent use.
type ClickHouse struct {
	cfg     Config
	conn    driver.Conn
	logger  *slog.Logger
	metrics *metrics

	insertVerdicts, insertAccounts, insertActions string

	// accMu serialises the carry-forward of first_flagged, so two
	// concurrent writes of one account see each other's flags.
	accMu sync.Mutex
	flags flagged
}

var _ Sink = (*ClickHouse)(nil)

// NewClickHouse validates the config and opens a connection pool. It does not
// dial: a server that is down makes Migrate and Write wait, not this.
func NewClickHouse(opts ClickHouseOptions) (*ClickHouse, error) {
	if err := opts.Config.Validate(); err != nil {
		return nil, fmt.Errorf("clickhouse config: %w", err)
	}
	cfg := opts.Config.WithDefaults()
	copts, err := clickhouse.ParseDSN(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidDSN, err)
	}
	// Connect to the server's default database: ours may not exist before
	// Migrate. Every query names its database.
	copts.Auth.Database = ""
	if copts.DialTimeout == 0 {
		copts.DialTimeout = 5 * time.Second
	}
	copts.DialContext = dialWithWriteTimeout(copts.DialTimeout, cfg.AttemptTimeout, copts.TLS)
	conn, err := clickhouse.Open(copts)
	if err != nil {
		return nil, fmt.Errorf("opening clickhouse: %w", err)
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		conn.Close()
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	db := cfg.Database
	return &ClickHouse{
		cfg:            cfg,
		conn:           conn,
		logger:         logger,
		metrics:        m,
		insertVerdicts: insertSQL(db, TableVerdicts, verdictColumns),
		insertAccounts: insertSQL(db, TableAccountVerdicts, accountColumns),
		insertActions:  insertSQL(db, TableActions, actionColumns),
	}, nil
}

// Always list the columns: without a list 18.16 sends an empty header.
func insertSQL(db, table string, cols []string) string {
	return "INSERT INTO " + db + "." + table + " (" + strings.Join(cols, ", ") + ")"
}

// Config returns the store's config with defaults filled in.
func (s *ClickHouse) Config() Config { return s.cfg }

// Close closes the connection pool.
func (s *ClickHouse) Close() error { return s.conn.Close() }

// Write inserts vs into verdicts and, alongside, the latest verdict of each
// account in vs into account_verdicts, in INSERTs of at most BatchSize rows.
// Each insert is retried with jittered backoff until ClickHouse acknowledges
// it or ctx is done; Write returns nil only when both are acknowledged.
// Redelivered verdicts collapse to one row per (account_id, event_id) after
// merges or FINAL. A verdict that can never be stored (a NaN score, a time
// outside 1970–2106) fails the call at once with ErrInvalidRecord.
func (s *ClickHouse) Write(ctx context.Context, vs []scoring.Verdict) error {
	if len(vs) == 0 {
		return nil
	}
	start := time.Now()
	ingested := start.UTC().Truncate(time.Second)
	for len(vs) > 0 {
		n := min(len(vs), s.cfg.BatchSize)
		if err := s.writeChunk(ctx, vs[:n], ingested); err != nil {
			return err
		}
		vs = vs[n:]
	}
	s.metrics.batchDuration.Observe(time.Since(start).Seconds())
	return nil
}

func (s *ClickHouse) writeChunk(ctx context.Context, vs []scoring.Verdict, ingested time.Time) error {
	// Validate everything before inserting anything.
	for i := range vs {
		if err := checkVerdict(&vs[i]); err != nil {
			return err
		}
	}
	// The two inserts run at once on two connections, so the server works
	// on both while the client encodes. Each retries on its own; a batch
	// that fails half way is redelivered and deduplicated.
	accErr := make(chan error, 1)
	go func() {
		acc := accountSets.Get().(*accountSet)
		defer acc.release()
		err := s.collectAccounts(ctx, acc, vs, ingested)
		if err == nil {
			err = s.insertBlocks(ctx, TableAccountVerdicts, s.insertAccounts, len(acc.rows), insertBlockRows,
				accountAppender(acc.rows, ingested.Unix()))
		}
		if err != nil {
			err = fmt.Errorf("writing account verdicts: %w", err)
		}
		accErr <- err
	}()
	err := s.insertBlocks(ctx, TableVerdicts, s.insertVerdicts, len(vs), insertBlockRows, verdictAppender(vs, ingested.Unix()))
	if err != nil {
		err = fmt.Errorf("writing %d verdicts: %w", len(vs), err)
	}
	return errors.Join(err, <-accErr)
}

// appendFunc appends rows [lo, hi) of an insert to a batch.
type appendFunc func(b driver.Batch, lo, hi int) error

func verdictAppender(vs []scoring.Verdict, ingested int64) appendFunc {
	return func(batch driver.Batch, lo, hi int) error {
		b := verdictBlocks.Get().(*verdictBlock)
		defer b.release()
		b.fill(vs[lo:hi], ingested)
		return b.appendTo(batch)
	}
}

func accountAppender(rows []accountRow, updated int64) appendFunc {
	return func(batch driver.Batch, lo, hi int) error {
		b := accountBlocks.Get().(*accountBlock)
		defer b.release()
		b.fill(rows[lo:hi], updated)
		return b.appendTo(batch)
	}
}

// insert sends rows given as one slice per column in one block; see
// insertBlocks.
func (s *ClickHouse) insert(ctx context.Context, table, query string, rows int, cols []any) error {
	return s.insertBlocks(ctx, table, query, rows, max(rows, 1), func(b driver.Batch, _, _ int) error {
		return appendColumns(b, cols...)
	})
}

// insertBlocks sends one INSERT of rows rows, in data blocks of at most
// block rows, retrying until it is acknowledged or ctx is done. The
// driver's pool drops broken connections and dials anew, so a restarted
// server is picked up by the next attempt.
func (s *ClickHouse) insertBlocks(ctx context.Context, table, query string, rows, block int, appendRows appendFunc) error {
	b := newBackoff(s.cfg.MaxRetryBackoff)
	for attempt := 1; ; attempt++ {
		err := s.insertOnce(ctx, query, rows, block, appendRows)
		if err == nil {
			s.metrics.rows[table].Add(float64(rows))
			return nil
		}
		s.metrics.failures[table].Inc()
		if ctx.Err() != nil {
			return joinCtx(ctx.Err(), err)
		}
		s.logger.Warn("ClickHouse insert failed; retrying", "table", table, "rows", rows, "attempt", attempt, "err", err)
		if werr := b.wait(ctx); werr != nil {
			return joinCtx(werr, err)
		}
		s.metrics.retries.Inc()
	}
}

// insertOnce makes one attempt. Every block but the last is flushed as it
// is appended; the server acknowledges the whole INSERT when Send returns.
// Flush heeds no context, so ctx is checked between blocks and the
// connection's write timeout (dialWithWriteTimeout) bounds a stalled write.
func (s *ClickHouse) insertOnce(ctx context.Context, query string, rows, block int, appendRows appendFunc) (err error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.AttemptTimeout)
	defer cancel()
	batch, err := s.conn.PrepareBatch(ctx, query)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = batch.Abort()
		}
	}()
	for lo := 0; lo < rows; lo += block {
		hi := min(lo+block, rows)
		if err := appendRows(batch, lo, hi); err != nil {
			return err
		}
		if hi < rows {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := batch.Flush(); err != nil {
				return fmt.Errorf("sending rows %d-%d: %w", lo, hi, err)
			}
		}
	}
	return batch.Send()
}

// DateTime holds 1970-01-01 to 2106-02-07 in whole seconds.
var (
	minTime = time.Unix(0, 0)
	maxTime = time.Unix(1<<32-1, 0)
)

func checkVerdict(v *scoring.Verdict) error {
	if err := checkFloats(v); err != nil {
		return err
	}
	if v.Time.Before(minTime) || v.Time.After(maxTime) {
		return fmt.Errorf("verdict %s: time %v outside ClickHouse DateTime range: %w", v.EventID, v.Time, ErrInvalidRecord)
	}
	return nil
}

// splitTime splits t into whole UTC seconds and milliseconds; finer
// precision is dropped.
func splitTime(t time.Time) (time.Time, uint16) {
	t = t.UTC()
	return t.Truncate(time.Second), uint16(t.Nanosecond() / int(time.Millisecond))
}

func joinTime(sec time.Time, ms uint16) time.Time {
	return sec.Add(time.Duration(ms) * time.Millisecond).UTC()
}

// collectAccounts sets acc to one account_verdicts row per account in vs:
// its latest verdict by event time (later in vs wins a tie), with
// first_flagged carried forward from earlier writes.
func (s *ClickHouse) collectAccounts(ctx context.Context, acc *accountSet, vs []scoring.Verdict, updated time.Time) error {
	for i := range vs {
		v := &vs[i]
		ver := v.Time.UnixMilli()
		j, ok := acc.index[v.AccountID]
		if !ok {
			j = len(acc.rows)
			acc.index[v.AccountID] = j
			acc.rows = append(acc.rows, accountRow{latest: v, version: ver})
		}
		r := &acc.rows[j]
		if ver >= r.version {
			r.latest, r.version = v, ver
		}
		if v.Verdict.Flagged() {
			if sec := v.Time.Unix(); r.firstFlagged == 0 || sec < r.firstFlagged {
				r.firstFlagged = sec
			}
		}
	}

	s.accMu.Lock()
	defer s.accMu.Unlock()
	if err := s.refreshFlags(ctx, updated); err != nil {
		return err
	}
	for i := range acc.rows {
		r := &acc.rows[i]
		id := r.latest.AccountID
		first := s.flags.first[id]
		if r.firstFlagged != 0 && (first == 0 || r.firstFlagged < first) {
			first = r.firstFlagged
			// Recorded before the insert is acknowledged: if it never is,
			// the batch is redelivered and flags the account anyway.
			s.flags.first[id] = first
		}
		r.firstFlagged = first
	}
	return nil
}

// retryRead retries a read like insert retries a write.
func (s *ClickHouse) retryRead(ctx context.Context, op func(context.Context) error) error {
	b := newBackoff(s.cfg.MaxRetryBackoff)
	for {
		actx, cancel := context.WithTimeout(ctx, s.cfg.AttemptTimeout)
		err := op(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return joinCtx(ctx.Err(), err)
		}
		s.logger.Warn("ClickHouse read failed; retrying", "err", err)
		if werr := b.wait(ctx); werr != nil {
			return joinCtx(werr, err)
		}
		s.metrics.retries.Inc()
	}
}
