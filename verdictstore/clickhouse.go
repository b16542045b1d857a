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
	cols, err := verdictCols(vs, ingested)
	if err != nil {
		return err
	}
	// The two inserts run at once on two connections, so the server works
	// on both while the client encodes. Each retries on its own; a batch
	// that fails half way is redelivered and deduplicated.
	accErr := make(chan error, 1)
	go func() {
		acc, err := s.accountCols(ctx, vs, ingested)
		if err == nil {
			err = s.insert(ctx, TableAccountVerdicts, s.insertAccounts, len(acc[0].([]string)), acc)
		}
		if err != nil {
			err = fmt.Errorf("writing account verdicts: %w", err)
		}
		accErr <- err
	}()
	if err = s.insert(ctx, TableVerdicts, s.insertVerdicts, len(vs), cols); err != nil {
		err = fmt.Errorf("writing %d verdicts: %w", len(vs), err)
	}
	return errors.Join(err, <-accErr)
}

// insert sends one column-oriented batch, retrying until it is acknowledged
// or ctx is done. The driver's pool drops broken connections and dials anew,
// so a restarted server is picked up by the next attempt.
func (s *ClickHouse) insert(ctx context.Context, table, query string, rows int, cols []any) error {
	b := newBackoff(s.cfg.MaxRetryBackoff)
	for attempt := 1; ; attempt++ {
		err := s.insertOnce(ctx, query, cols)
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

func (s *ClickHouse) insertOnce(ctx context.Context, query string, cols []any) (err error) {
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
	for i, c := range cols {
		if err := batch.Column(i).Append(c); err != nil {
			return fmt.Errorf("column %d: %w", i, err)
		}
	}
	return batch.Send()
}

func verdictCols(vs []scoring.Verdict, ingested time.Time) ([]any, error) {
	n := len(vs)
	var (
		eventID, account, session, device, typ, ip, country, city = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		verdict, explanation, action, model                       = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		ts, ingestedAt                                            = make([]time.Time, n), make([]time.Time, n)
		ms                                                        = make([]uint16, n)
		lat, lon, score                                           = make([]float64, n), make([]float64, n), make([]float64, n)
		accuracy                                                  = make([]int32, n)
		asn                                                       = make([]uint32, n)
		reasons                                                   = make([][]string, n)
	)
	for i := range vs {
		v := &vs[i]
		if err := checkVerdict(v); err != nil {
			return nil, err
		}
		eventID[i], account[i], session[i], device[i] = v.EventID, v.AccountID, v.SessionID, v.DeviceID
		typ[i], ip[i], country[i], city[i] = v.Type, v.IP, v.Country, v.City
		verdict[i], explanation[i], action[i], model[i] = v.Verdict.String(), v.Explanation, v.Action, v.ModelVersion
		ts[i], ms[i] = splitTime(v.Time)
		ingestedAt[i] = ingested
		lat[i], lon[i], score[i] = v.Lat, v.Lon, v.Score
		accuracy[i], asn[i] = int32(v.AccuracyKM), v.ASN
		reasons[i] = v.Reasons
		if reasons[i] == nil {
			reasons[i] = []string{}
		}
	}
	// Order matches verdictColumns.
	return []any{eventID, ts, ms, account, session, device, typ, ip, country, city,
		lat, lon, accuracy, asn, score, verdict, reasons, explanation, action, model, ingestedAt}, nil
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

// accountCols builds one account_verdicts row per account in vs: its latest
// verdict by event time (later in vs wins a tie), with first_flagged carried
// forward from earlier writes.
func (s *ClickHouse) accountCols(ctx context.Context, vs []scoring.Verdict, updated time.Time) ([]any, error) {
	type acc struct {
		latest    int   // index into vs
		version   int64 // latest event's Unix ms
		firstFlag int64 // Unix s of the earliest flagged event in vs; 0 none
	}
	byAccount := make(map[string]*acc, len(vs)/4+1)
	order := make([]string, 0, len(vs)/4+1)
	for i := range vs {
		v := &vs[i]
		ver := v.Time.UnixMilli()
		a := byAccount[v.AccountID]
		if a == nil {
			a = &acc{latest: i, version: ver}
			byAccount[v.AccountID] = a
			order = append(order, v.AccountID)
		} else if ver >= a.version {
			a.latest, a.version = i, ver
		}
		if v.Verdict.Flagged() {
			if sec := v.Time.Unix(); a.firstFlag == 0 || sec < a.firstFlag {
				a.firstFlag = sec
			}
		}
	}

	s.accMu.Lock()
	defer s.accMu.Unlock()
	if err := s.refreshFlags(ctx, updated); err != nil {
		return nil, err
	}
	n := len(order)
	var (
		account, verdict, explanation, lastEvent, action, model = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		updatedAt, lastTime                                     = make([]time.Time, n), make([]time.Time, n)
		version                                                 = make([]uint64, n)
		score                                                   = make([]float64, n)
		reasons                                                 = make([][]string, n)
		firstFlagged                                            = make([]*time.Time, n)
		lastMS                                                  = make([]uint16, n)
	)
	for i, id := range order {
		a := byAccount[id]
		v := &vs[a.latest]
		first := s.flags.first[id]
		if a.firstFlag != 0 && (first == 0 || a.firstFlag < first) {
			first = a.firstFlag
			// Recorded before the insert is acknowledged: if it never is,
			// the batch is redelivered and flags the account anyway.
			s.flags.first[id] = first
		}
		if first != 0 {
			t := time.Unix(first, 0).UTC()
			firstFlagged[i] = &t
		}
		account[i], verdict[i], explanation[i] = id, v.Verdict.String(), v.Explanation
		lastEvent[i], action[i], model[i] = v.EventID, v.Action, v.ModelVersion
		updatedAt[i] = updated
		lastTime[i], lastMS[i] = splitTime(v.Time)
		version[i] = uint64(a.version)
		score[i] = v.Score
		reasons[i] = v.Reasons
		if reasons[i] == nil {
			reasons[i] = []string{}
		}
	}
	// Order matches accountColumns.
	return []any{account, updatedAt, version, verdict, score, reasons, explanation,
		firstFlagged, lastEvent, lastTime, lastMS, action, model}, nil
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
