package simulate

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Profiles accepted by Config.Profile.
const (
	ProfileDefault = "default"
	ProfileAlt     = "alt"
)

// Config describes a population. The zero value is valid and means the
// defaults; every zero field takes its default (the variation knobs take
// the value of the selected Profile).
type Config struct {
	// Accounts is the number of accounts.
	// Default: 3000.
	Accounts int
	// Days is the length of the simulated period, starting at Start.
	// Default: 30.
	Days int
	// Seed makes a population reproducible: the same Config gives
	// byte-identical output. Zero means the default.
	// Default: 1.
	Seed uint64
	// Start is the beginning of the first simulated day.
	// Default: 2026-10-01T00:00:00Z.
	Start time.Time
	// Mix weights scenarios (keys from Scenarios). Accounts are assigned
	// exactly in these proportions (largest remainder), then shuffled.
	// Scenarios missing from a non-empty Mix get no accounts.
	// Default: DefaultMix().
	Mix map[string]float64

	// Profile selects the defaults of the variation knobs below, so an
	// evaluation can run on a population whose parameters differ from the
	// one a detector was tuned on: "default" or "alt".
	// Default: "default".
	Profile string
	// HeartbeatEvery is the clients' heartbeat interval; each interval is
	// jittered by ±10%.
	// Default: 10m ("alt": 15m).
	HeartbeatEvery time.Duration
	// AccuracyScale multiplies every accuracy radius in the GeoIP data
	// (synthetic pools only).
	// Default: 1 ("alt": 2).
	AccuracyScale float64
	// SessionRateScale multiplies how often everyone streams.
	// Default: 1 ("alt": 0.8).
	SessionRateScale float64
	// DevicesScale multiplies the number of devices of the account
	// owner's household (sharers keep their own 1-4).
	// Default: 1 ("alt": 1.5).
	DevicesScale float64
	// MobileShareScale multiplies the share of sessions on mobile data.
	// Default: 1 ("alt": 1.5).
	MobileShareScale float64
	// TripRate multiplies the number of trips travellers take.
	// Default: 1 ("alt": 2).
	TripRate float64
	// SharerActivity is the mean number of sessions a week of a friend
	// sharer's household; each account draws its own from ±40% of it.
	// Default: 3.5 ("alt": 2; the scoring issue says "several times a week").
	SharerActivity float64
	// DepartureSessionP is the chance that a traveller streams at home, on
	// a device they take along, in the hours before leaving on a trip.
	// Default: 0.85 ("alt": 0.6).
	DepartureSessionP float64
	// ResidentialJitterKM is the largest distance between a residential
	// network's GeoIP location and its city's centre. Zero means the
	// profile's value; use a tiny value for no jitter.
	// Default: 15 ("alt": 30).
	ResidentialJitterKM float64
	// IPv4Fallback is the share of sessions that a device speaking IPv6
	// opens over IPv4 anyway (Happy Eyeballs falls back when IPv6 is slow
	// to connect), so one device shows both families of a dual-stack home.
	// Zero keeps every such device on IPv6 at dual-stack lines, as before.
	// Default: 0 (both profiles).
	IPv4Fallback float64

	// RealGeoIP, when set, builds the world's address pools from real
	// GeoLite2 City and ASN databases instead of synthetic ones: the same
	// behaviours and labels, with real addresses, ASNs, locations and
	// accuracy radii (see realworld.go for the rules). AccuracyScale and
	// ResidentialJitterKM then have no effect, and WriteGeoIP refuses
	// (ErrRealGeoIP): score the population with the same real databases.
	// The same Config and the same database files give byte-identical
	// output.
	// Default: none (synthetic pools).
	RealGeoIP RealGeoIP
}

// ErrInvalidConfig is wrapped by every error Validate returns.
var ErrInvalidConfig = errors.New("invalid simulate config")

// FieldError names the Config field that is wrong and why.
type FieldError struct {
	Field  string
	Reason string
}

// Error implements error.
func (e *FieldError) Error() string { return "simulate: config: " + e.Field + ": " + e.Reason }

// Unwrap lets errors.Is(err, ErrInvalidConfig) match.
func (e *FieldError) Unwrap() error { return ErrInvalidConfig }

// DefaultMix returns the default scenario weights.
func DefaultMix() map[string]float64 {
	return map[string]float64{
		ScenarioSolo:           0.20,
		ScenarioHousehold:      0.20,
		ScenarioTraveller:      0.15,
		ScenarioTwoHomes:       0.07,
		ScenarioMobileHeavy:    0.08,
		ScenarioVPNUser:        0.08,
		ScenarioFriendSharer:   0.10,
		ScenarioSameCitySharer: 0.05,
		ScenarioReseller:       0.07,
	}
}

// DefaultConfig returns the defaults with every field filled in.
func DefaultConfig() Config { return Config{}.WithDefaults() }

type knobs struct {
	hb                                  time.Duration
	acc, rate, devices, mobile, trips   float64
	sharerActivity, residentialJitterKM float64
	departure                           float64
}

var profiles = map[string]knobs{
	ProfileDefault: {hb: 10 * time.Minute, acc: 1, rate: 1, devices: 1, mobile: 1, trips: 1, sharerActivity: 3.5, residentialJitterKM: 15, departure: 0.85},
	ProfileAlt:     {hb: 15 * time.Minute, acc: 2, rate: 0.8, devices: 1.5, mobile: 1.5, trips: 2, sharerActivity: 2.0, residentialJitterKM: 30, departure: 0.6},
}

// WithDefaults returns c with every zero field set to its default. It
// does not validate; call Validate first.
func (c Config) WithDefaults() Config {
	if c.Accounts == 0 {
		c.Accounts = 3000
	}
	if c.Days == 0 {
		c.Days = 30
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	}
	c.Start = c.Start.UTC()
	if len(c.Mix) == 0 {
		c.Mix = DefaultMix()
	} else {
		c.Mix = maps.Clone(c.Mix)
	}
	if c.Profile == "" {
		c.Profile = ProfileDefault
	}
	k, ok := profiles[c.Profile]
	if !ok {
		k = profiles[ProfileDefault]
	}
	if c.HeartbeatEvery == 0 {
		c.HeartbeatEvery = k.hb
	}
	setF := func(f *float64, v float64) {
		if *f == 0 {
			*f = v
		}
	}
	setF(&c.AccuracyScale, k.acc)
	setF(&c.SessionRateScale, k.rate)
	setF(&c.DevicesScale, k.devices)
	setF(&c.MobileShareScale, k.mobile)
	setF(&c.TripRate, k.trips)
	setF(&c.SharerActivity, k.sharerActivity)
	setF(&c.ResidentialJitterKM, k.residentialJitterKM)
	setF(&c.DepartureSessionP, k.departure)
	return c
}

// Validate reports every invalid field, joined with errors.Join. Zero
// values are valid: they mean the default.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	if c.Accounts < 0 || c.Accounts > 10_000_000 {
		bad("Accounts", "must be between 0 and 10000000, got %d", c.Accounts)
	}
	if c.Days < 0 || c.Days > 3660 {
		bad("Days", "must be between 0 and 3660, got %d", c.Days)
	}
	if c.Profile != "" {
		if _, ok := profiles[c.Profile]; !ok {
			bad("Profile", "must be %q or %q, got %q", ProfileDefault, ProfileAlt, c.Profile)
		}
	}
	if len(c.Mix) > 0 {
		var sum float64
		keys := make([]string, 0, len(c.Mix))
		for k := range c.Mix {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := c.Mix[k]
			switch {
			case !slices.Contains(scenarioOrder, k):
				bad("Mix", "unknown scenario %q (known: %s)", k, strings.Join(scenarioOrder, ", "))
			case v < 0 || math.IsNaN(v) || math.IsInf(v, 0):
				bad("Mix", "weight of %q must be finite and non-negative, got %v", k, v)
			default:
				sum += v
			}
		}
		if sum <= 0 {
			bad("Mix", "weights must not all be zero")
		}
	}
	if c.HeartbeatEvery < 0 || (c.HeartbeatEvery > 0 && c.HeartbeatEvery < time.Second) || c.HeartbeatEvery > 24*time.Hour {
		bad("HeartbeatEvery", "must be 0 (default) or between 1s and 24h, got %s", c.HeartbeatEvery)
	}
	for _, f := range []struct {
		name string
		v    float64
		max  float64
	}{
		{"AccuracyScale", c.AccuracyScale, 100},
		{"SessionRateScale", c.SessionRateScale, 20},
		{"DevicesScale", c.DevicesScale, 10},
		{"MobileShareScale", c.MobileShareScale, 20},
		{"TripRate", c.TripRate, 20},
		{"SharerActivity", c.SharerActivity, 100},
		{"ResidentialJitterKM", c.ResidentialJitterKM, 500},
		{"DepartureSessionP", c.DepartureSessionP, 1},
		{"IPv4Fallback", c.IPv4Fallback, 1},
	} {
		if f.v < 0 || f.v > f.max || math.IsNaN(f.v) {
			bad(f.name, "must be 0 (profile default) or in (0, %v], got %v", f.max, f.v)
		}
	}
	if g := c.RealGeoIP; g.Enabled() && (g.City == "" || g.ASN == "") {
		bad("RealGeoIP", "needs both a City and an ASN database, got City %q and ASN %q", g.City, g.ASN)
	}
	return errors.Join(errs...)
}

// end returns the end of the simulated period.
func (c Config) end() time.Time { return c.Start.Add(time.Duration(c.Days) * 24 * time.Hour) }
