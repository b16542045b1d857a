package enrich

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Errors returned by Enricher methods.
var (
	// ErrClosed is returned by Reload after Close.
	ErrClosed = errors.New("enricher is closed")
	// ErrNotReloadable is returned by Reload on an Enricher built by
	// NewFromBytes, which has no files to read.
	ErrNotReloadable = errors.New("enricher was built from bytes and has no files to reload")
	// ErrUnsupportedDatabase means a database file is not of a type this
	// package can use in that role, such as a Country database given as City.
	ErrUnsupportedDatabase = errors.New("unsupported database type")
)

// Options are the dependencies of an Enricher.
type Options struct {
	// Logger receives load, reload and lookup-error messages. Nil discards
	// them.
	Logger *slog.Logger
	// Registerer receives the package's metrics. Nil registers nothing.
	Registerer prometheus.Registerer
}

// Enricher looks up addresses in a GeoIP2 City database and, optionally, an
// ASN database. It is safe for concurrent use. Scoring calls Lookup on the
// concrete type; no interface is needed.
type Enricher struct {
	cityPath, asnPath string // empty when built from bytes
	interval          time.Duration
	hosting           *hostingRule // read-only after construction
	logger            *slog.Logger
	metrics           *metrics
	cache             *cache
	dbs               atomic.Pointer[databases]

	reloadMu sync.Mutex // serialises reloads and Close
	failed   [2]stamp   // per role, the file version that last failed to load; guarded by reloadMu
	closed   bool       // guarded by reloadMu
}

// New opens the databases named in cfg and returns an Enricher. Zero values
// in cfg mean the documented defaults, except ReloadInterval, where 0 means
// no polling. Call Run to reload the files when they change.
func New(cfg Config, opts Options) (*Enricher, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid geoip config: %w", err)
	}
	city, err := loadFile(cfg.City, roleCity)
	if err != nil {
		return nil, err
	}
	var asn *dbFile
	if cfg.ASN != "" {
		if asn, err = loadFile(cfg.ASN, roleASN); err != nil {
			return nil, err
		}
	}
	e, err := newEnricher(cfg, opts, city, asn)
	if err != nil {
		return nil, err
	}
	e.cityPath, e.asnPath = cfg.City, cfg.ASN
	return e, nil
}

// NewFromBytes returns an Enricher over databases already in memory, for
// tests and embedded use. asn may be nil. cfg.City, cfg.ASN and
// cfg.ReloadInterval are ignored: such an Enricher never reloads. The slices
// are retained and must not be modified afterwards.
func NewFromBytes(city, asn []byte, cfg Config, opts Options) (*Enricher, error) {
	cfg = cfg.withDefaults()
	if err := errors.Join(cfg.validateTuning()...); err != nil {
		return nil, fmt.Errorf("invalid geoip config: %w", err)
	}
	cityDB, err := openBytes(city, roleCity, "")
	if err != nil {
		return nil, err
	}
	var asnDB *dbFile
	if asn != nil {
		if asnDB, err = openBytes(asn, roleASN, ""); err != nil {
			return nil, err
		}
	}
	cfg.ReloadInterval = 0
	return newEnricher(cfg, opts, cityDB, asnDB)
}

func newEnricher(cfg Config, opts Options, city, asn *dbFile) (*Enricher, error) {
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &Enricher{
		interval: cfg.ReloadInterval,
		hosting:  cfg.hostingRule(),
		logger:   logger,
		metrics:  m,
		cache:    newCache(cfg.CacheSize),
	}
	e.swap(&databases{gen: 1, city: city, asn: asn})
	e.logger.Info("geoip databases loaded", "city", city.info(), "asn", asn.info())
	return e, nil
}

// Lookup enriches one address. The zero Addr is KindInvalid; non-routable
// addresses are KindPrivate without a database lookup; everything else is
// looked up, cached, and is KindPublic when the City database has
// coordinates for it and KindUnknown otherwise. IPv4-mapped IPv6 addresses
// are looked up as IPv4.
func (e *Enricher) Lookup(ip netip.Addr) Location {
	if !ip.IsValid() {
		e.metrics.lookups[KindInvalid].Inc()
		return Location{Kind: KindInvalid}
	}
	ip = canonical(ip)
	if nonRoutable(ip) {
		e.metrics.lookups[KindPrivate].Inc()
		return Location{Kind: KindPrivate, Network: NetworkOf(ip)}
	}
	d := e.dbs.Load()
	if loc, ok := e.cache.get(ip, d.gen); ok {
		e.metrics.cacheHits.Inc()
		e.metrics.lookups[loc.Kind].Inc()
		return loc
	}
	e.metrics.cacheMisses.Inc()
	loc, err := d.lookup(ip, e.hosting)
	if err != nil {
		e.metrics.lookupErrors.Inc()
		if !d.warned.Swap(true) {
			e.logger.Warn("geoip record could not be decoded; reporting such addresses as unknown (logged once per database load)",
				"ip", ip, "err", err)
		}
	}
	if d.city != nil {
		e.cache.put(ip, d.gen, loc)
	}
	e.metrics.lookups[loc.Kind].Inc()
	return loc
}

// Metadata describes the databases in use.
type Metadata struct {
	City DatabaseInfo
	ASN  DatabaseInfo // zero when there is no ASN database
}

// DatabaseInfo describes one loaded database.
type DatabaseInfo struct {
	Path      string    // "" when loaded from bytes
	Type      string    // the database_type metadata, e.g. "GeoLite2-City"
	BuildTime time.Time // the build_epoch metadata
	Size      int64     // bytes
	ModTime   time.Time // the file's modification time; zero when loaded from bytes
}

// LogValue implements slog.LogValuer.
func (i DatabaseInfo) LogValue() slog.Value {
	if i.Type == "" {
		return slog.StringValue("none")
	}
	return slog.GroupValue(
		slog.String("path", i.Path),
		slog.String("type", i.Type),
		slog.Time("build_time", i.BuildTime),
		slog.Int64("size", i.Size),
	)
}

// Metadata returns the type, build time and file of each database in use,
// for logging.
func (e *Enricher) Metadata() Metadata {
	d := e.dbs.Load()
	return Metadata{City: d.city.info(), ASN: d.asn.info()}
}

// Close releases the databases. Later lookups of routable addresses report
// KindUnknown, and Reload returns ErrClosed. Close is idempotent.
func (e *Enricher) Close() error {
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	// Lookups in flight keep the old databases alive until they return;
	// the memory is then the garbage collector's.
	e.dbs.Store(&databases{gen: e.dbs.Load().gen + 1})
	e.cache.clear()
	return nil
}

// swap publishes d and records its build times.
func (e *Enricher) swap(d *databases) {
	e.dbs.Store(d)
	if d.gen > 1 {
		e.cache.clear()
	}
	e.metrics.cityBuildEpoch.Set(float64(d.city.info().BuildTime.Unix()))
	if d.asn != nil {
		e.metrics.asnBuildEpoch.Set(float64(d.asn.info().BuildTime.Unix()))
	} else {
		e.metrics.asnBuildEpoch.Set(0)
	}
}

// databases is one immutable generation of loaded databases. Lookups load
// the current generation once and use it throughout, so a concurrent swap
// never mixes generations within one answer.
type databases struct {
	gen    uint64
	city   *dbFile // nil only after Close
	asn    *dbFile // nil when there is no ASN database
	warned atomic.Bool
}

// lookup reads ip from the databases. On a decode error it returns what it
// could read, as KindUnknown, and the error.
func (d *databases) lookup(ip netip.Addr, hosting *hostingRule) (Location, error) {
	loc := Location{Kind: KindUnknown, Network: NetworkOf(ip)}
	if d.city == nil {
		return loc, nil
	}
	var errs []error
	if d.asn != nil {
		rec, err := d.asn.geo.ASN(ip)
		if err != nil {
			errs = append(errs, fmt.Errorf("asn database: %w", err))
		} else if rec.AutonomousSystemNumber != 0 {
			loc.ASN, loc.ASOrg = uint32(rec.AutonomousSystemNumber), rec.AutonomousSystemOrganization
			loc.Hosting = hosting.hosting(loc.ASN, loc.ASOrg)
		}
	}
	rec, err := d.city.geo.City(ip)
	if err != nil {
		errs = append(errs, fmt.Errorf("city database: %w", err))
		return loc, errors.Join(errs...)
	}
	loc.Country = rec.Country.ISOCode
	loc.City = rec.City.Names.English
	if lat, lon := rec.Location.Latitude, rec.Location.Longitude; lat != nil && lon != nil {
		loc.Kind = KindPublic
		loc.Lat, loc.Lon, loc.HasCoords = *lat, *lon, true
		loc.AccuracyKM = rec.Location.AccuracyRadius
	}
	return loc, errors.Join(errs...)
}
