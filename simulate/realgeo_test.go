package simulate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oschwald/geoip2-golang/v2"

	"github.com/sharewatch/sharewatch/enrich"
	"github.com/sharewatch/sharewatch/ingest"
)

// These tests need no real data.
func TestRealGeoIPConfig(t *testing.T) {
	err := Config{RealGeoIP: RealGeoIP{City: "city.mmdb"}}.Validate()
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "RealGeoIP" || !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("Validate with only a City database = %v, want a RealGeoIP field error", err)
	}
	if err := WriteGeoIP(Config{RealGeoIP: RealGeoIP{City: "c", ASN: "a"}}, filepath.Join(t.TempDir(), "c"), ""); !errors.Is(err, ErrRealGeoIP) {
		t.Errorf("WriteGeoIP in real mode = %v, want ErrRealGeoIP", err)
	}
	dir := t.TempDir()
	missing := RealGeoIP{City: filepath.Join(dir, "nope-city.mmdb"), ASN: filepath.Join(dir, "nope-asn.mmdb")}
	if _, err := NewWorld(Config{RealGeoIP: missing}); err == nil {
		t.Error("NewWorld with missing databases succeeded")
	}
	if _, err := NewStream(Config{Accounts: 1, Days: 1, RealGeoIP: missing}); err == nil {
		t.Error("NewStream with missing databases succeeded")
	}
	// A corrupt City database is an error, not a panic.
	city, asn := filepath.Join(dir, "c.mmdb"), filepath.Join(dir, "a.mmdb")
	if err := WriteGeoIP(Config{Accounts: 1, Days: 1}, filepath.Join(dir, "sim-city.mmdb"), asn); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(city, []byte("not a database"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewWorld(Config{RealGeoIP: RealGeoIP{City: city, ASN: asn}}); err == nil {
		t.Error("NewWorld with a corrupt City database succeeded")
	}
}

// TestRealGeoIPPopulation checks a small population built from real
// GeoLite2 against the real databases. Local evaluation only: skipped
// without the data (scripts/geolite2.sh).
func TestRealGeoIPPopulation(t *testing.T) {
	g := realGeoIPForTest(t)
	if raceEnabled {
		t.Skip("real GeoLite2 tests do not run under -race: indexing the real databases takes ~35 s there (4 s without); run go test ./simulate -run RealGeoIP")
	}
	t0 := time.Now()
	if _, err := loadRealIndex(g); err != nil {
		t.Fatal(err)
	}
	t.Logf("indexed real GeoLite2 in %v", time.Since(t0).Round(time.Millisecond))
	cfg := Config{Accounts: 50, Days: 5, Seed: 3, RealGeoIP: g}
	p := drain(t, cfg)

	cityDB, err := geoip2.Open(g.City)
	if err != nil {
		t.Fatal(err)
	}
	defer cityDB.Close()
	asnDB, err := geoip2.Open(g.ASN)
	if err != nil {
		t.Fatal(err)
	}
	defer asnDB.Close()
	hostingList := enrich.DefaultHostingASNs()
	var homes, homesInCountry, vpn, v6, mobile, mobile6 int
	for i, ev := range p.events {
		line := AppendJSON(nil, ev)
		dec, err := ingest.Decode(line)
		if err != nil {
			t.Fatalf("Decode(%s): %v", line, err)
		}
		if dec.IP != ev.IP || !ev.IP.IsGlobalUnicast() || ev.IP.IsPrivate() {
			t.Fatalf("event %s: address %s (decoded %s)", ev.EventID, ev.IP, dec.IP)
		}
		c, err := cityDB.City(ev.IP)
		if err != nil {
			t.Fatal(err)
		}
		a, err := asnDB.ASN(ev.IP)
		if err != nil {
			t.Fatal(err)
		}
		asn := uint32(a.AutonomousSystemNumber)
		want, ok := p.world.Lookup(ev.IP)
		if !ok {
			t.Fatalf("%s is in no pool of the world", ev.IP)
		}
		if want.ASN != asn || want.Country != c.Country.ISOCode || want.City != c.City.Names.English || want.AccuracyKM != c.Location.AccuracyRadius ||
			(c.Location.Latitude != nil && math.Abs(want.Lat-*c.Location.Latitude) > 1e-9) {
			t.Fatalf("%s: the real databases say AS%d %s/%q ±%d, the world says %+v", ev.IP, asn, c.Country.ISOCode, c.City.Names.English, c.Location.AccuracyRadius, want)
		}
		if ev.IP.Is6() {
			v6++
		}
		m := p.meta[i]
		l := p.labels[ev.AccountID]
		switch m.net {
		case netHome:
			if slices.Contains(hostingList, asn) || asn == 0 {
				t.Errorf("home address %s on AS%d (%s)", ev.IP, asn, a.AutonomousSystemOrganization)
			}
			if c.Country.ISOCode != cities[m.city].Country {
				t.Errorf("home address %s of a line in %s resolves to %q", ev.IP, cities[m.city].Name, c.Country.ISOCode)
			}
			if cities[m.city].Name == l.HomeCity && !m.p.sharer {
				homes++
				if c.Country.ISOCode == l.HomeCountry {
					homesInCountry++
				}
			}
		case netVPN:
			vpn++
			if !slices.Contains(HostingASNs(), asn) {
				t.Errorf("VPN exit %s on AS%d (%s), not a listed hosting ASN", ev.IP, asn, a.AutonomousSystemOrganization)
			}
		case netMobile:
			mobile++
			if ev.IP.Is6() {
				mobile6++
			}
			if slices.Contains(hostingList, asn) {
				t.Errorf("mobile address %s on hosting AS%d", ev.IP, asn)
			}
		}
	}
	if homes == 0 || homesInCountry != homes {
		t.Errorf("%d of %d owners' home events resolve to the home country, want all", homesInCountry, homes)
	}
	if vpn == 0 || v6 == 0 || mobile == 0 || mobile6 == 0 {
		t.Errorf("want VPN, IPv6 and mobile (incl. IPv6) events: %d VPN, %d IPv6, %d mobile (%d IPv6)", vpn, v6, mobile, mobile6)
	}
	t.Logf("%d events: %d IPv6, %d owners' home, %d VPN, %d mobile (%d IPv6)", len(p.events), v6, homes, vpn, mobile, mobile6)

	// Determinism: the same Config and files give the same bytes, also
	// when the index is rebuilt.
	gen := func() []byte {
		var ev, lb bytes.Buffer
		if _, err := Generate(cfg, &ev, &lb); err != nil {
			t.Fatal(err)
		}
		return append(ev.Bytes(), lb.Bytes()...)
	}
	first := gen()
	if !testing.Short() { // a rebuild takes ~4 s
		realCache.Lock()
		realCache.key, realCache.ix = "", nil
		realCache.Unlock()
	}
	if !bytes.Equal(first, gen()) {
		t.Error("two runs of the same Config on the same databases differ")
	}
	other := cfg
	other.Seed = 4
	var ev bytes.Buffer
	if _, err := Generate(other, &ev, nil); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(first[:len(first)/2], ev.Bytes()[:min(ev.Len(), len(first)/2)]) {
		t.Error("another seed gives the same population")
	}
}

// TestRealGeoIPEval writes a 1000-account, 30-day population built from
// real GeoLite2 for scoring with the real databases:
//
//	SHAREWATCH_REAL_EVAL=1 go test ./simulate -run TestRealGeoIPEval -v
//
// writes real-ev.jsonl and real-labels.jsonl (exactly what Generate
// writes) to $SHAREWATCH_REAL_EVAL_DIR (default /tmp), logs what the
// logins' networks look like in the real databases by kind of network,
// and the score and eval command lines.
func TestRealGeoIPEval(t *testing.T) {
	if os.Getenv("SHAREWATCH_REAL_EVAL") == "" {
		t.Skip("set SHAREWATCH_REAL_EVAL=1 to write a real-GeoIP evaluation population")
	}
	g := realGeoIPForTest(t)
	dir := os.Getenv("SHAREWATCH_REAL_EVAL_DIR")
	if dir == "" {
		dir = "/tmp"
	}
	evPath, lbPath := filepath.Join(dir, "real-ev.jsonl"), filepath.Join(dir, "real-labels.jsonl")
	cfg := Config{Accounts: 1000, Days: 30, Seed: 1, RealGeoIP: g}
	t0 := time.Now()
	s, err := NewStream(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lf, err := os.Create(lbPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteLabels(lf, s.Labels()); err != nil {
		t.Fatal(err)
	}
	if err := lf.Close(); err != nil {
		t.Fatal(err)
	}
	ef, err := os.Create(evPath)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(ef, 1<<20)

	// Per kind of network, over successful logins: accuracy radius, no
	// city, IPv6, and how far the database puts the address from where
	// the person really is.
	type agg struct {
		n, noCity, v6 int
		acc, km       []float64
	}
	kinds := [...]string{netHome: "home line", netMobile: "mobile", netHotel: "hotel", netVPN: "VPN exit", netGuest: "friends' line"}
	stats := map[string]*agg{}
	var buf []byte
	for {
		ev, m, ok := s.next()
		if !ok {
			break
		}
		buf = append(appendJSON(buf[:0], ev, true), '\n')
		if _, err := bw.Write(buf); err != nil {
			t.Fatal(err)
		}
		if ev.Type != ingest.TypeLogin || !ev.Success {
			continue
		}
		r, _ := s.world.Lookup(ev.IP)
		for _, k := range []string{kinds[m.net], kinds[m.net] + " v4", kinds[m.net] + " v6"} {
			if (strings.HasSuffix(k, " v4") && ev.IP.Is6()) || (strings.HasSuffix(k, " v6") && ev.IP.Is4()) {
				continue
			}
			a := stats[k]
			if a == nil {
				a = &agg{}
				stats[k] = a
			}
			a.n++
			if r.City == "" {
				a.noCity++
			}
			if ev.IP.Is6() {
				a.v6++
			}
			a.acc = append(a.acc, float64(r.AccuracyKM))
			if !r.NoCoords {
				a.km = append(a.km, haversine(r.Lat, r.Lon, cities[m.city].Lat, cities[m.city].Lon))
			}
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := ef.Close(); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	t.Logf("wrote %s (%d events, %d sharing accounts) and %s in %v", evPath, st.Events, st.SharingAccounts, lbPath, time.Since(t0).Round(time.Millisecond))
	q := func(x []float64, p float64) float64 {
		if len(x) == 0 {
			return math.NaN()
		}
		slices.Sort(x)
		return x[min(len(x)-1, int(p*float64(len(x))))]
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\nsuccessful logins by network (real GeoLite2):\n%-18s %7s %6s %6s  %-22s  %s\n", "network", "logins", "IPv6", "nocity", "accuracy km p10/50/90", "km from the person p50/90/99")
	var keys []string
	for k := range stats {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		a := stats[k]
		fmt.Fprintf(&sb, "%-18s %7d %5.1f%% %5.1f%%  %5.0f %5.0f %5.0f         %6.0f %6.0f %6.0f\n", k, a.n, 100*float64(a.v6)/float64(a.n), 100*float64(a.noCity)/float64(a.n),
			q(a.acc, 0.1), q(a.acc, 0.5), q(a.acc, 0.9), q(a.km, 0.5), q(a.km, 0.9), q(a.km, 0.99))
	}
	acc := filepath.Join(dir, "real-acc.jsonl")
	fmt.Fprintf(&sb, "\nsharewatch score --geoip-city %s --geoip-asn %s --accounts %s < %s > /dev/null\nsharewatch eval --labels %s --accounts %s",
		g.City, g.ASN, acc, evPath, lbPath, acc)
	t.Log(sb.String())
}
