package scoring

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sharewatch/sharewatch/enrich"
)

// Config configures the scorer. The zero value of a field means its default.
type Config struct {
	// SessionTimeout ends a session that has no logout this long after its
	// last event. Default: 30m.
	SessionTimeout time.Duration `yaml:"session_timeout"`
	// StateTTL evicts an account's state after this much inactivity, in
	// event time. Default: 1080h (45 days).
	StateTTL time.Duration `yaml:"state_ttl"`
	// MaxAccounts bounds the number of accounts held in memory; beyond it
	// the least recently active accounts are evicted early. Default: 5000000.
	MaxAccounts int `yaml:"max_accounts"`
	// BridgeWindow is how long a single visit of a device links two places
	// into one household (a hotel, a friend's flat). Persistent links (2+
	// days) last as long as the state. Default: 48h.
	BridgeWindow time.Duration `yaml:"bridge_window"`
	// CoarseAccuracyKM: a location whose accuracy radius is larger than
	// this says nothing about which home a device is in, so it never
	// becomes a place. Default: 250.
	CoarseAccuracyKM int `yaml:"coarse_accuracy_km"`
	// TravelMinKM is the least separation from home, beyond both accuracy
	// radii, that counts as travel. Default: 100.
	TravelMinKM float64 `yaml:"travel_min_km"`
	// TravelMaxAccuracyKM: a travel verdict needs a location at least this
	// precise; carriers' coarse geolocation jumps between hub cities
	// without anybody moving. Default: 50.
	TravelMaxAccuracyKM int `yaml:"travel_max_accuracy_km"`
	// SuspectedThreshold is the score from which a verdict is
	// suspected_sharing. Default: the model's calibrated threshold.
	SuspectedThreshold float64 `yaml:"suspected_threshold"`
	// ConcurrentSuspectedThreshold is the score from which a verdict is
	// suspected_sharing when another household has streamed at the same
	// time as the owner's, at places one household cannot be at (on a
	// day of the last 14, or now). It lets one device on three days, or
	// two devices on two, reach an analyst a day or two sooner when they
	// overlap the household; without overlap SuspectedThreshold applies.
	// A value at or above SuspectedThreshold turns it off. Default (0):
	// concurrentMargin below the suspected threshold in use, so a
	// deployment that raises suspected_threshold raises this with it
	// (0.7999 with the built-in model's 0.8249).
	ConcurrentSuspectedThreshold float64 `yaml:"concurrent_suspected_threshold"`
	// SharingThreshold is the score from which a verdict is sharing.
	// Default: the model's calibrated threshold.
	SharingThreshold float64 `yaml:"sharing_threshold"`
	// SharingMinSpanDays: a sharing verdict needs another household whose
	// home has persisted at least this long (first to last day its lines
	// in one area streamed), or four or more other households (a
	// reseller). A shorter episode stays suspected_sharing however high
	// its score: a stay elsewhere (a trip whose devices were never seen at
	// home) looks like a second household for a while, but not for weeks,
	// and stays in one city after another do not add up to a home. A
	// negative value disables the guard.
	// Default: 12.
	SharingMinSpanDays int `yaml:"sharing_min_span_days"`
	// SharingQuietMinDays: a sharing verdict for other households that
	// have not streamed at the same time as the owner's in the last 14
	// days needs one of them active on at least this many of the last 28
	// days. One person's second home, or a string of stays, is never in
	// use at once with the home; three visits spread over a month are
	// not enough to act on without that. Such an account stays
	// suspected_sharing, for a person to judge. A negative value disables
	// the guard.
	// Default: 5.
	SharingQuietMinDays int `yaml:"sharing_quiet_min_days"`
	// SharingMinHistoryDays: a sharing verdict needs this many days of
	// the account's history (from its first event), or four or more other
	// households (a reseller). A place elsewhere
	// that an account has had since we started watching it may be the
	// owner away since before then, on a trip of two or three weeks,
	// with devices we have never seen at home; when they come home the
	// place is explained. Until then such an account stays
	// suspected_sharing, for a person to judge. This matters for new
	// accounts and whenever the scorer starts without state. A negative
	// value disables the guard.
	// Default: 21.
	SharingMinHistoryDays int `yaml:"sharing_min_history_days"`
	// FlagApartHouseholds: flag other households that were never in use
	// within travel time of the owner's home (TravelSeconds; in one town,
	// or without positions, on the same day), and never streamed at the
	// same time as it. Off by default: such a place is in use only while
	// the home is empty (the owner away on a trip, one person's weekend
	// house), as one person moving between places is. A friend's
	// household streams on its own schedule and so, sooner or later,
	// within a few hours of the home; until then it is not flagged.
	// Default: false.
	FlagApartHouseholds bool `yaml:"flag_apart_households"`
	// DedupWindow is how far apart, in event time, two deliveries of one
	// event_id are still recognised as one event by the scorer itself
	// (besides the last few events of each account). The verdict store
	// deduplicates beyond it. Memory grows with the events in the window.
	// Default: 6h.
	DedupWindow time.Duration `yaml:"dedup_window"`
	// Model is a path to a model JSON file; empty uses the built-in model.
	// Default: "".
	Model string `yaml:"model"`
	// BusinessASNs are carriers that sell connectivity to businesses only
	// (transit and enterprise networks: offices, hotels, venues), never to
	// homes. A line of theirs is where somebody stays, never a household's
	// home. An empty list turns this off.
	// Default: DefaultBusinessASNs()
	BusinessASNs []uint32 `yaml:"business_asns"`
}

// defaultBusinessASNs are transit and enterprise carriers with no
// residential service: a hotel's or an office's line, never a home's.
// Carriers that also serve homes (AT&T, Verizon, Lumen's CenturyLink,
// Deutsche Telekom, Telia...) are not here, nor Hurricane Electric (home
// IPv6 tunnels).
var defaultBusinessASNs = []uint32{
	174,   // Cogent
	1299,  // Arelion (Telia Carrier)
	2914,  // NTT Global IP Network
	3257,  // GTT
	3356,  // Lumen (Level 3) backbone
	3491,  // PCCW Global
	5511,  // Orange International Carriers
	6453,  // Tata Communications
	6461,  // Zayo
	6762,  // Telecom Italia Sparkle
	8220,  // Colt
	12956, // Telefónica Global Solutions
}

// DefaultBusinessASNs returns a copy of the built-in list used when
// Config.BusinessASNs is nil.
func DefaultBusinessASNs() []uint32 { return slices.Clone(defaultBusinessASNs) }

// Sentinel errors returned by Config.Validate.
var (
	ErrBadThresholds = errors.New("thresholds must satisfy 0 < suspected_threshold < sharing_threshold <= 1")
	ErrNegative      = errors.New("must not be negative")
)

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		SessionTimeout:        30 * time.Minute,
		StateTTL:              45 * 24 * time.Hour,
		MaxAccounts:           5_000_000,
		BridgeWindow:          48 * time.Hour,
		CoarseAccuracyKM:      250,
		TravelMinKM:           100,
		SharingMinSpanDays:    12,
		SharingQuietMinDays:   5,
		SharingMinHistoryDays: 21,
		TravelMaxAccuracyKM:   50,
		DedupWindow:           6 * time.Hour,
	}
}

// concurrentMargin is how far below the suspected threshold a household
// that streamed at the same time as the owner's reaches an analyst, by
// default: the built-in model scores one other household with two
// devices on two days, or one device on three, 0.8247, just under its
// suspected threshold (0.8249).
const concurrentMargin = 0.025

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.SessionTimeout == 0 {
		c.SessionTimeout = d.SessionTimeout
	}
	if c.StateTTL == 0 {
		c.StateTTL = d.StateTTL
	}
	if c.MaxAccounts == 0 {
		c.MaxAccounts = d.MaxAccounts
	}
	if c.TravelMaxAccuracyKM == 0 {
		c.TravelMaxAccuracyKM = d.TravelMaxAccuracyKM
	}
	if c.SharingMinSpanDays == 0 {
		c.SharingMinSpanDays = d.SharingMinSpanDays
	}
	if c.SharingQuietMinDays == 0 {
		c.SharingQuietMinDays = d.SharingQuietMinDays
	}
	if c.SharingMinHistoryDays == 0 {
		c.SharingMinHistoryDays = d.SharingMinHistoryDays
	}
	if c.DedupWindow == 0 {
		c.DedupWindow = d.DedupWindow
	}
	if c.BridgeWindow == 0 {
		c.BridgeWindow = d.BridgeWindow
	}
	if c.CoarseAccuracyKM == 0 {
		c.CoarseAccuracyKM = d.CoarseAccuracyKM
	}
	if c.TravelMinKM == 0 {
		c.TravelMinKM = d.TravelMinKM
	}
	if c.BusinessASNs == nil {
		c.BusinessASNs = DefaultBusinessASNs()
	}
	return c
}

// Validate checks the config after defaults are applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	for name, v := range map[string]int64{
		"session_timeout":    int64(c.SessionTimeout),
		"state_ttl":          int64(c.StateTTL),
		"bridge_window":      int64(c.BridgeWindow),
		"dedup_window":       int64(c.DedupWindow),
		"max_accounts":       int64(c.MaxAccounts),
		"coarse_accuracy_km": int64(c.CoarseAccuracyKM),
	} {
		if v < 0 {
			errs = append(errs, fmt.Errorf("scoring.%s: %w", name, ErrNegative))
		}
	}
	if slices.Contains(c.BusinessASNs, 0) {
		errs = append(errs, fmt.Errorf("scoring.business_asns: %w", enrich.ErrInvalidASN))
	}
	if c.TravelMinKM < 0 {
		errs = append(errs, fmt.Errorf("scoring.travel_min_km: %w", ErrNegative))
	}
	if !(c.ConcurrentSuspectedThreshold >= 0 && c.ConcurrentSuspectedThreshold <= 1) {
		errs = append(errs, fmt.Errorf("scoring.concurrent_suspected_threshold (%g) must be between 0 (the default) and 1: %w", c.ConcurrentSuspectedThreshold, ErrBadThresholds))
	}
	if (c.SuspectedThreshold != 0 || c.SharingThreshold != 0) && !(c.SuspectedThreshold > 0 && c.SuspectedThreshold < c.SharingThreshold && c.SharingThreshold <= 1) {
		errs = append(errs, fmt.Errorf("scoring.suspected_threshold/sharing_threshold (%g, %g): %w", c.SuspectedThreshold, c.SharingThreshold, ErrBadThresholds))
	}
	return errors.Join(errs...)
}
