package enrich_test

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"github.com/sharewatch/sharewatch/enrich"
	"github.com/sharewatch/sharewatch/internal/mmdbgen"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchCity.dir != "" {
		os.RemoveAll(benchCity.dir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// Private-use ASNs (RFC 6996) stand for deployment-specific networks.
const (
	asnBT      = 2856
	asnVirgin  = 5089
	asnAmazon  = 16509
	asnProton  = 209103
	asnExample = 65001 // not on the default hosting list
)

// testRecords is the world of the tests. The reserved-range records exist
// to prove that such addresses never reach the database.
var testRecords = []mmdbgen.Record{
	{Prefix: pfx("81.2.0.0/16"), Country: "GB", City: "London", Lat: 51.5142, Lon: -0.0931, AccuracyKM: 20, ASN: asnBT, ASOrg: "British Telecommunications PLC"},
	{Prefix: pfx("2a02:c7c::/32"), Country: "GB", City: "Manchester", Lat: 53.4809, Lon: -2.2374, AccuracyKM: 50, ASN: asnVirgin, ASOrg: "Virgin Media Limited"},
	{Prefix: pfx("3.0.0.0/9"), Country: "US", City: "Ashburn", Lat: 39.0469, Lon: -77.4903, AccuracyKM: 1000, ASN: asnAmazon, ASOrg: "AMAZON-02"},
	{Prefix: pfx("185.159.157.0/24"), Country: "CH", City: "Zurich", Lat: 47.3667, Lon: 8.55, AccuracyKM: 5, ASN: asnProton, ASOrg: "Proton AG"},
	{Prefix: pfx("45.10.0.0/16"), Country: "DE", City: "Frankfurt am Main", Lat: 50.1155, Lon: 8.6842, AccuracyKM: 10, ASN: asnExample, ASOrg: "Example Hosting GmbH"},
	{Prefix: pfx("5.5.0.0/16"), Country: "FR", NoCoords: true, ASN: 3215, ASOrg: "Orange S.A."},
	{Prefix: pfx("41.0.0.0/16"), Country: "GH", Lat: 0, Lon: 0, AccuracyKM: 1000},
	{Prefix: pfx("192.0.2.0/24"), Country: "XX", City: "Documentation", Lat: 1, Lon: 1, AccuracyKM: 1, ASN: asnExample},
	{Prefix: pfx("100.64.0.0/10"), Country: "XX", City: "CGNAT", Lat: 1, Lon: 1, AccuracyKM: 1, ASN: asnExample},
	{Prefix: pfx("10.0.0.0/8"), Country: "XX", City: "Private", Lat: 1, Lon: 1, AccuracyKM: 1, ASN: asnExample},
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func addr(s string) netip.Addr  { return netip.MustParseAddr(s) }

// writeDBs writes the City and ASN databases into dir and returns their
// paths.
func writeDBs(t testing.TB, dir string, recs []mmdbgen.Record) (city, asn string) {
	t.Helper()
	city, asn = filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")
	if err := mmdbgen.Write(city, asn, recs); err != nil {
		t.Fatal(err)
	}
	return city, asn
}

type testEnricher struct {
	*enrich.Enricher
	reg            *prometheus.Registry
	cityPath, asnP string
}

// newTestEnricher builds an Enricher over testRecords with a fresh registry;
// mod may change the config before New.
func newTestEnricher(t testing.TB, mod func(*enrich.Config)) testEnricher {
	t.Helper()
	city, asn := writeDBs(t, t.TempDir(), testRecords)
	cfg := enrich.DefaultConfig()
	cfg.City, cfg.ASN = city, asn
	if mod != nil {
		mod(&cfg)
	}
	reg := prometheus.NewRegistry()
	e, err := enrich.New(cfg, enrich.Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return testEnricher{Enricher: e, reg: reg, cityPath: city, asnP: asn}
}

// metric returns the value of the counter or gauge name whose labels
// include want, or 0 when there is none.
func metric(t testing.TB, g prometheus.Gatherer, name string, want ...string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(want); i += 2 {
				if !hasLabel(m, want[i], want[i+1]) {
					continue next
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

var london = enrich.Location{
	Kind: enrich.KindPublic, Country: "GB", City: "London",
	Lat: 51.5142, Lon: -0.0931, HasCoords: true, AccuracyKM: 20,
	ASN: asnBT, ASOrg: "British Telecommunications PLC",
	Network: pfx("81.2.3.0/24"),
}

func TestLookup(t *testing.T) {
	e := newTestEnricher(t, nil)
	private := func(network string) enrich.Location {
		return enrich.Location{Kind: enrich.KindPrivate, Network: pfx(network)}
	}
	tests := []struct {
		name string
		ip   netip.Addr
		want enrich.Location
	}{
		{"public IPv4 with accuracy radius", addr("81.2.3.4"), london},
		{"IPv4-mapped IPv6 is unmapped", addr("::ffff:81.2.3.4"), london},
		{"NAT64 well-known prefix is unmapped", addr("64:ff9b::81.2.3.4"), london},
		{"public IPv6", addr("2a02:c7c:1234:5678::1"), enrich.Location{
			Kind: enrich.KindPublic, Country: "GB", City: "Manchester",
			Lat: 53.4809, Lon: -2.2374, HasCoords: true, AccuracyKM: 50,
			ASN: asnVirgin, ASOrg: "Virgin Media Limited", Network: pfx("2a02:c7c:1234:5600::/56"),
		}},
		{"coordinates 0,0 are still coordinates", addr("41.0.1.1"), enrich.Location{
			Kind: enrich.KindPublic, Country: "GH", HasCoords: true, AccuracyKM: 1000, Network: pfx("41.0.1.0/24"),
		}},
		{"record without location is unknown but keeps country and ASN", addr("5.5.5.5"), enrich.Location{
			Kind: enrich.KindUnknown, Country: "FR", ASN: 3215, ASOrg: "Orange S.A.", Network: pfx("5.5.5.0/24"),
		}},
		{"address not in the databases is unknown", addr("8.8.8.8"), enrich.Location{
			Kind: enrich.KindUnknown, Network: pfx("8.8.8.0/24"),
		}},
		{"IPv6 not in the databases is unknown", addr("2600:1f18::1"), enrich.Location{
			Kind: enrich.KindUnknown, Network: pfx("2600:1f18::/56"),
		}},
		{"just past CGNAT is routable", addr("100.128.0.1"), enrich.Location{
			Kind: enrich.KindUnknown, Network: pfx("100.128.0.0/24"),
		}},
		{"hosting ASN from the default list", addr("3.5.6.7"), enrich.Location{
			Kind: enrich.KindPublic, Country: "US", City: "Ashburn", Lat: 39.0469, Lon: -77.4903, HasCoords: true,
			AccuracyKM: 1000, ASN: asnAmazon, ASOrg: "AMAZON-02", Hosting: true, Network: pfx("3.5.6.0/24"),
		}},
		{"VPN ASN from the default list", addr("185.159.157.42"), enrich.Location{
			Kind: enrich.KindPublic, Country: "CH", City: "Zurich", Lat: 47.3667, Lon: 8.55, HasCoords: true,
			AccuracyKM: 5, ASN: asnProton, ASOrg: "Proton AG", Hosting: true, Network: pfx("185.159.157.0/24"),
		}},
		{"RFC 1918 10/8 skips the database", addr("10.1.2.3"), private("10.1.2.0/24")},
		{"RFC 1918 172.16/12", addr("172.31.255.1"), private("172.31.255.0/24")},
		{"RFC 1918 192.168/16", addr("192.168.1.10"), private("192.168.1.0/24")},
		{"IPv4-mapped private", addr("::ffff:10.0.0.1"), private("10.0.0.0/24")},
		{"CGNAT low end", addr("100.64.0.1"), private("100.64.0.0/24")},
		{"CGNAT high end", addr("100.127.255.254"), private("100.127.255.0/24")},
		{"IPv4 loopback", addr("127.0.0.1"), private("127.0.0.0/24")},
		{"IPv6 loopback", addr("::1"), private("::/56")},
		{"IPv4 link-local", addr("169.254.10.1"), private("169.254.10.0/24")},
		{"IPv6 link-local with zone", addr("fe80::1%eth0"), private("fe80::/56")},
		{"IPv6 unique local", addr("fd12:3456::1"), private("fd12:3456::/56")},
		{"TEST-NET-1", addr("192.0.2.1"), private("192.0.2.0/24")},
		{"TEST-NET-2", addr("198.51.100.7"), private("198.51.100.0/24")},
		{"TEST-NET-3", addr("203.0.113.9"), private("203.0.113.0/24")},
		{"IPv6 documentation", addr("2001:db8::1"), private("2001:db8::/56")},
		{"IPv6 documentation 3fff::/20", addr("3fff:fff::1"), private("3fff:fff::/56")},
		{"benchmarking 198.18/15", addr("198.19.1.1"), private("198.19.1.0/24")},
		{"IPv4 multicast", addr("224.0.0.1"), private("224.0.0.0/24")},
		{"IPv6 multicast", addr("ff02::1"), private("ff02::/56")},
		{"IPv4 unspecified", addr("0.0.0.0"), private("0.0.0.0/24")},
		{"IPv6 unspecified", addr("::"), private("::/56")},
		{"broadcast", addr("255.255.255.255"), private("255.255.255.0/24")},
		{"zero Addr is invalid", netip.Addr{}, enrich.Location{Kind: enrich.KindInvalid}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Twice: the second answer comes from the cache.
			for i := range 2 {
				if got := e.Lookup(tt.ip); got != tt.want {
					t.Errorf("lookup %d of %s:\n got %+v\nwant %+v", i, tt.ip, got, tt.want)
				}
			}
		})
	}
	if got := metric(t, e.reg, "sharewatch_geoip_lookup_errors_total"); got != 0 {
		t.Errorf("lookup errors = %v, want 0", got)
	}
}

func TestLookupTrusted(t *testing.T) {
	e := newTestEnricher(t, nil)
	tests := []struct {
		name string
		ip   string
		want bool
	}{
		{"residential with coordinates", "81.2.3.4", true},
		{"hosting", "3.5.6.7", false},
		{"no coordinates", "5.5.5.5", false},
		{"private", "10.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.Lookup(addr(tt.ip)).Trusted(); got != tt.want {
				t.Errorf("Trusted() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHostingASNs(t *testing.T) {
	noNames := ""
	onlyExample := "(?i)example"
	tests := []struct {
		name    string
		mod     func(*enrich.Config)
		hosting map[string]bool // address → want Hosting
	}{
		{
			// 45.10.0.0/16 is on no list; its organisation is "Example
			// Hosting GmbH", which the default name pattern matches.
			name:    "default list and names",
			hosting: map[string]bool{"3.5.6.7": true, "185.159.157.1": true, "45.10.1.1": true, "81.2.3.4": false, "2a02:c7c::1": false},
		},
		{
			name:    "zero value config means default list",
			mod:     func(c *enrich.Config) { c.HostingASNs = nil },
			hosting: map[string]bool{"3.5.6.7": true, "45.10.1.1": true},
		},
		{
			name:    "empty name pattern turns name matching off",
			mod:     func(c *enrich.Config) { c.HostingOrgPattern = &noNames },
			hosting: map[string]bool{"3.5.6.7": true, "185.159.157.1": true, "45.10.1.1": false, "81.2.3.4": false},
		},
		{
			name:    "own name pattern replaces the default",
			mod:     func(c *enrich.Config) { c.HostingOrgPattern = &onlyExample; c.HostingASNs = []uint32{} },
			hosting: map[string]bool{"3.5.6.7": false, "45.10.1.1": true, "81.2.3.4": false},
		},
		{
			name: "extra ASNs add to the defaults",
			mod: func(c *enrich.Config) {
				c.ExtraHostingASNs = []uint32{asnExample}
				c.HostingOrgPattern = &noNames
			},
			hosting: map[string]bool{"3.5.6.7": true, "185.159.157.1": true, "45.10.1.1": true, "81.2.3.4": false},
		},
		{
			name:    "explicit list replaces the defaults",
			mod:     func(c *enrich.Config) { c.HostingASNs = []uint32{asnExample}; c.HostingOrgPattern = &noNames },
			hosting: map[string]bool{"3.5.6.7": false, "45.10.1.1": true},
		},
		{
			name:    "empty list disables the defaults",
			mod:     func(c *enrich.Config) { c.HostingASNs = []uint32{}; c.HostingOrgPattern = &noNames },
			hosting: map[string]bool{"3.5.6.7": false, "185.159.157.1": false},
		},
		{
			name:    "without an ASN database nothing is hosting",
			mod:     func(c *enrich.Config) { c.ASN = "" },
			hosting: map[string]bool{"3.5.6.7": false, "185.159.157.1": false, "45.10.1.1": false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnricher(t, tt.mod)
			for ip, want := range tt.hosting {
				if got := e.Lookup(addr(ip)).Hosting; got != want {
					t.Errorf("%s: Hosting = %v, want %v", ip, got, want)
				}
			}
		})
	}
}

// TestDefaultHostingOrgPattern checks the default pattern on organisation
// names as GeoLite2-ASN spells them: hosts that no list names, and ISPs,
// carriers and transit networks (homes, phones and hotels) that it must
// leave alone.
func TestDefaultHostingOrgPattern(t *testing.T) {
	re := regexp.MustCompile(enrich.DefaultHostingOrgPattern)
	hosts := []string{
		"HostRoyale Technologies Pvt Ltd", "HostPapa", "EGIHosting", "Hostkey B.v.",
		"Servers.com, Inc.", "UK Dedicated Servers Limited", "Colocation America Corporation",
		"Iomart Cloud Services Limited", "Akamai Connected Cloud", "Ace Data Centers II, L.L.C.",
		"Iron Mountain Data Center", "HA-VPS-NET", "Example VPN Ltd", "Rackspace Hosting",
	}
	for _, o := range hosts {
		if !re.MatchString(o) {
			t.Errorf("%q not matched", o)
		}
	}
	people := []string{
		"Comcast Cable Communications, LLC", "Charter Communications Inc", "Deutsche Telekom AG",
		"British Telecommunications PLC", "Orange", "Free SAS", "Bouygues Telecom SA",
		"T-Mobile USA, Inc.", "Vodafone GmbH", "Telia Company AB", "Verizon Business",
		"GTT Communications Inc.", "Cogent Communications, LLC", "Level 3 Parent, LLC",
		"Wifirst S.A.S.", "Ghost Networks Ltd", "Bell Canada", "Telstra Limited",
		"NTT DOCOMO, INC.", "Reliance Jio Infocomm Limited", "Claro NXT Telecomunicacoes Ltda",
	}
	for _, o := range people {
		if re.MatchString(o) {
			t.Errorf("%q matched", o)
		}
	}
}

func TestDefaultHostingASNs(t *testing.T) {
	list := enrich.DefaultHostingASNs()
	seen := map[uint32]bool{}
	for _, a := range list {
		if a == 0 || seen[a] {
			t.Errorf("default list has %d twice or zero", a)
		}
		seen[a] = true
	}
	for _, want := range []uint32{16509, 14618, 15169, 396982, 8075, 14061, 16276, 24940, 212317, 213230, 63949, 20473, 9009, 60068, 212238, 136787, 51167, 12876, 13335, 209103} {
		if !seen[want] {
			t.Errorf("default list lacks %d", want)
		}
	}
	list[0] = 1 // a copy: must not change the defaults
	if enrich.DefaultHostingASNs()[0] == 1 {
		t.Error("DefaultHostingASNs returns the package's own slice")
	}
}

func TestMissingASNDatabase(t *testing.T) {
	e := newTestEnricher(t, func(c *enrich.Config) { c.ASN = "" })
	want := london
	want.ASN, want.ASOrg = 0, ""
	if got := e.Lookup(addr("81.2.3.4")); got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if md := e.Metadata(); md.ASN != (enrich.DatabaseInfo{}) {
		t.Errorf("Metadata().ASN = %+v, want zero", md.ASN)
	}
	if got := metric(t, e.reg, "sharewatch_geoip_database_build_timestamp_seconds", "db", "asn"); got != 0 {
		t.Errorf("asn build timestamp = %v, want 0", got)
	}
}

func TestCacheMetrics(t *testing.T) {
	e := newTestEnricher(t, nil)
	for _, ip := range []string{
		"81.2.3.4", "81.2.3.4", "::ffff:81.2.3.4", // one miss, two hits: same key after unmapping
		"8.8.8.8", "8.8.8.8", // one miss, one hit
		"10.0.0.1", "127.0.0.1", // private: no cache
		"",
	} {
		var a netip.Addr
		if ip != "" {
			a = addr(ip)
		}
		e.Lookup(a)
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"sharewatch_geoip_cache_hits_total", nil, 3},
		{"sharewatch_geoip_cache_misses_total", nil, 2},
		{"sharewatch_geoip_lookups_total", []string{"result", "public"}, 3},
		{"sharewatch_geoip_lookups_total", []string{"result", "unknown"}, 2},
		{"sharewatch_geoip_lookups_total", []string{"result", "private"}, 2},
		{"sharewatch_geoip_lookups_total", []string{"result", "invalid"}, 1},
	} {
		if got := metric(t, e.reg, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}

func TestMetricsCreatedUpFront(t *testing.T) {
	e := newTestEnricher(t, nil)
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := map[string]int{}
	for _, mf := range mfs {
		series[mf.GetName()] = len(mf.GetMetric())
	}
	for name, want := range map[string]int{
		"sharewatch_geoip_lookups_total":                    4,
		"sharewatch_geoip_cache_hits_total":                 1,
		"sharewatch_geoip_cache_misses_total":               1,
		"sharewatch_geoip_lookup_errors_total":              1,
		"sharewatch_geoip_reloads_total":                    2,
		"sharewatch_geoip_database_build_timestamp_seconds": 2,
	} {
		if series[name] != want {
			t.Errorf("%s has %d series before any lookup, want %d", name, series[name], want)
		}
	}
	if got := metric(t, e.reg, "sharewatch_geoip_database_build_timestamp_seconds", "db", "city"); got <= 0 {
		t.Errorf("city build timestamp = %v, want > 0", got)
	}
}

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	city, asn := writeDBs(t, dir, testRecords)
	garbage := filepath.Join(dir, "garbage.mmdb")
	if err := os.WriteFile(garbage, []byte("not a MaxMind database"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		city, asn string
		wantIs    error  // checked with errors.Is when set
		wantText  string // substring of the error
	}{
		{name: "no city path", wantIs: enrich.ErrMissingCity, wantText: "city"},
		{name: "city file missing", city: filepath.Join(dir, "nope.mmdb"), wantIs: os.ErrNotExist, wantText: "reading city database"},
		{name: "asn file missing", city: city, asn: filepath.Join(dir, "nope.mmdb"), wantIs: os.ErrNotExist, wantText: "reading asn database"},
		{name: "city file corrupt", city: garbage, wantText: "opening city database"},
		{name: "ASN database given as city", city: asn, wantIs: enrich.ErrUnsupportedDatabase, wantText: `type "GeoLite2-ASN"`},
		{name: "city database given as ASN", city: city, asn: city, wantIs: enrich.ErrUnsupportedDatabase, wantText: "asn database"},
		{name: "directory as city", city: dir, wantText: "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			cfg := enrich.DefaultConfig()
			cfg.City, cfg.ASN = tt.city, tt.asn
			e, err := enrich.New(cfg, enrich.Options{Registerer: reg})
			if err == nil {
				e.Close()
				t.Fatal("New succeeded")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q is not %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q lacks %q", err, tt.wantText)
			}
			if n, _ := reg.Gather(); len(n) != 0 {
				t.Errorf("a failed New left %d metric families registered", len(n))
			}
		})
	}
}

func TestNewRegistersOnce(t *testing.T) {
	city, asn := writeDBs(t, t.TempDir(), testRecords)
	cfg := enrich.DefaultConfig()
	cfg.City, cfg.ASN = city, asn
	reg := prometheus.NewRegistry()
	e, err := enrich.New(cfg, enrich.Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e2, err := enrich.New(cfg, enrich.Options{Registerer: reg}); err == nil {
		e2.Close()
		t.Fatal("a second Enricher registered the same metrics")
	}
	// Without a registerer, nothing is registered and nothing fails.
	e3, err := enrich.New(cfg, enrich.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e3.Close()
}

func TestNewFromBytes(t *testing.T) {
	city, asn := writeDBs(t, t.TempDir(), testRecords)
	cityData, err := os.ReadFile(city)
	if err != nil {
		t.Fatal(err)
	}
	asnData, err := os.ReadFile(asn)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		asn     []byte
		cfg     enrich.Config
		want    enrich.Location
		wantErr error
	}{
		{name: "with ASN", asn: asnData, want: london},
		{name: "without ASN", want: func() enrich.Location { l := london; l.ASN, l.ASOrg = 0, ""; return l }()},
		{name: "tuning is validated", cfg: enrich.Config{CacheSize: -1}, wantErr: enrich.ErrInvalidCacheSize},
		{name: "ASN bytes must be an ASN database", asn: cityData, wantErr: enrich.ErrUnsupportedDatabase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := enrich.NewFromBytes(cityData, tt.asn, tt.cfg, enrich.Options{})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if got := e.Lookup(addr("81.2.3.4")); got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
			if err := e.Reload(); !errors.Is(err, enrich.ErrNotReloadable) {
				t.Errorf("Reload() = %v, want ErrNotReloadable", err)
			}
		})
	}
}

func TestMetadata(t *testing.T) {
	e := newTestEnricher(t, nil)
	md := e.Metadata()
	for _, c := range []struct {
		db       string
		info     enrich.DatabaseInfo
		path     string
		wantType string
	}{
		{"city", md.City, e.cityPath, "GeoLite2-City"},
		{"asn", md.ASN, e.asnP, "GeoLite2-ASN"},
	} {
		if c.info.Type != c.wantType || c.info.Path != c.path || c.info.Size <= 0 ||
			c.info.BuildTime.IsZero() || c.info.ModTime.IsZero() {
			t.Errorf("%s metadata = %+v", c.db, c.info)
		}
		ts := metric(t, e.reg, "sharewatch_geoip_database_build_timestamp_seconds", "db", c.db)
		if int64(ts) != c.info.BuildTime.Unix() {
			t.Errorf("%s build timestamp metric = %v, metadata %v", c.db, ts, c.info.BuildTime.Unix())
		}
	}
}

func TestClose(t *testing.T) {
	e := newTestEnricher(t, nil)
	if got := e.Lookup(addr("81.2.3.4")); got.Kind != enrich.KindPublic {
		t.Fatalf("before Close: %v", got.Kind)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if got := e.Lookup(addr("81.2.3.4")); got.Kind != enrich.KindUnknown {
		t.Errorf("after Close: %v, want unknown", got.Kind)
	}
	if got := e.Lookup(addr("10.0.0.1")); got.Kind != enrich.KindPrivate {
		t.Errorf("after Close, private: %v", got.Kind)
	}
	if err := e.Reload(); !errors.Is(err, enrich.ErrClosed) {
		t.Errorf("Reload after Close = %v, want ErrClosed", err)
	}
}
