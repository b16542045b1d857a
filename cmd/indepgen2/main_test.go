package main

// These tests run without GeoLite2: they write a tiny City + ASN database
// with mmdbwriter (a few cities in the US, Germany and the Netherlands, with
// residential, mobile, hosting, transit and unclassified ASNs), load it with
// LoadGeo and run the generator's core on it.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/oschwald/maxminddb-golang/v2"
)

type tCity struct {
	id       uint32
	name, cc string
	lat, lon float64
	tz       string
}

type tNet struct {
	prefix netip.Prefix
	cc     string
	city   *tCity // nil: the City DB knows only the country
	asn    uint32
	org    string
}

var (
	newYork      = &tCity{5128581, "New York", "US", 40.71, -74.01, "America/New_York"}
	philadelphia = &tCity{4560349, "Philadelphia", "US", 39.95, -75.16, "America/New_York"}
	chicago      = &tCity{4887398, "Chicago", "US", 41.85, -87.65, "America/Chicago"}
	losAngeles   = &tCity{5368361, "Los Angeles", "US", 34.05, -118.24, "America/Los_Angeles"}
	berlin       = &tCity{2950159, "Berlin", "DE", 52.52, 13.41, "Europe/Berlin"}
	hamburg      = &tCity{2911298, "Hamburg", "DE", 53.55, 10.0, "Europe/Berlin"}
	munich       = &tCity{2867714, "Munich", "DE", 48.14, 11.58, "Europe/Berlin"}
	amsterdam    = &tCity{2759794, "Amsterdam", "NL", 52.37, 4.89, "Europe/Amsterdam"}
	rotterdam    = &tCity{2747891, "Rotterdam", "NL", 51.92, 4.48, "Europe/Amsterdam"}
)

// The organisations of the synthetic ASNs and the class the generator must
// give them in their country.
var tASNs = []struct {
	asn  uint32
	org  string
	cc   string
	want Class
}{
	{7922, "Comcast Cable Communications, LLC", "US", ClsRes},
	{20115, "Charter Communications Inc", "US", ClsRes},
	{21928, "T-Mobile USA, Inc.", "US", ClsMobile},
	{20057, "AT&T Mobility LLC", "US", ClsMobile},
	{14061, "DigitalOcean, LLC", "US", ClsHosting},
	{174, "Cogent Communications", "US", ClsTransit},
	{64500, "Acme Widgets Inc", "US", ClsOther},
	{8881, "1&1 Versatel Deutschland GmbH", "DE", ClsRes},
	{3320, "Deutsche Telekom AG", "DE", ClsMobile}, // integrated: also a home ISP
	{6805, "Telefonica Germany GmbH & Co.OHG", "DE", ClsMobile},
	{24940, "Hetzner Online GmbH", "DE", ClsHosting},
	{33915, "Vodafone Libertel B.V.", "NL", ClsMobile},
	{9143, "Ziggo B.V.", "NL", ClsRes},
	{9009, "M247 Europe SRL", "NL", ClsHosting},
}

func orgOf(asn uint32) string {
	for _, a := range tASNs {
		if a.asn == asn {
			return a.org
		}
	}
	panic("unknown test ASN")
}

// alloc hands out non-overlapping /24s and /32s, with a gap after each so
// that mmdbwriter cannot merge two siblings with equal data into one network.
type alloc struct{ v4, v6 uint32 }

func (a *alloc) four() netip.Prefix {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], 0x0B000000+a.v4<<8) // 11.0.0.0/24, 11.0.2.0/24, ...
	a.v4 += 2
	return netip.PrefixFrom(netip.AddrFrom4(b), 24)
}

func (a *alloc) six() netip.Prefix {
	var b [16]byte
	binary.BigEndian.PutUint32(b[:4], 0x2A000000+a.v6<<16) // 2a00::/32, 2a00:2::/32, ...
	a.v6 += 2
	return netip.PrefixFrom(netip.AddrFrom16(b), 32)
}

type worldOpts struct {
	resPerISP int  // residential IPv4 networks per ISP and city
	carriers  bool // mobile carriers
	hosting   bool // hosting networks (VPN exits)
	onlyDE    bool // Germany only
}

// world lays out the synthetic networks.
func world(o worldOpts) []tNet {
	var a alloc
	var nets []tNet
	add := func(p netip.Prefix, c *tCity, cc string, asn uint32) {
		nets = append(nets, tNet{p, cc, c, asn, orgOf(asn)})
	}
	type country struct {
		cc       string
		cities   []*tCity
		res      []uint32
		carriers []uint32
		host     uint32
	}
	cs := []country{
		{"US", []*tCity{newYork, philadelphia, chicago, losAngeles}, []uint32{7922, 20115}, []uint32{21928, 20057}, 14061},
		{"DE", []*tCity{berlin, hamburg, munich}, []uint32{8881, 3320}, []uint32{6805}, 24940},
		{"NL", []*tCity{amsterdam, rotterdam}, []uint32{9143}, []uint32{33915}, 9009},
	}
	if o.onlyDE {
		cs = cs[1:2]
		cs[0].res = []uint32{8881} // no integrated carrier either
	}
	for _, ct := range cs {
		for ci, c := range ct.cities {
			for _, isp := range ct.res {
				n := o.resPerISP
				if ci == 0 {
					n += 2 // the first city is the biggest
				}
				for k := 0; k < n; k++ {
					add(a.four(), c, ct.cc, isp)
				}
				add(a.six(), c, ct.cc, isp)
			}
			if o.carriers {
				for _, car := range ct.carriers {
					add(a.four(), c, ct.cc, car)
					add(a.four(), c, ct.cc, car)
					add(a.six(), c, ct.cc, car)
				}
			}
			if o.hosting {
				add(a.four(), c, ct.cc, ct.host)
				add(a.four(), c, ct.cc, ct.host)
				add(a.six(), c, ct.cc, ct.host)
			}
			if ct.cc == "US" {
				add(a.four(), c, ct.cc, 174)   // transit: never used
				add(a.four(), c, ct.cc, 64500) // other: hotels and guest wifi only
			}
		}
		if o.carriers {
			// carrier networks the City DB places only at country level
			for _, car := range ct.carriers {
				for k := 0; k < 4; k++ {
					add(a.four(), nil, ct.cc, car)
				}
			}
		}
	}
	return nets
}

func ipNet(p netip.Prefix) *net.IPNet {
	bits := 128
	if p.Addr().Is4() {
		bits = 32
	}
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), bits)}
}

// writeDBs writes GeoLite2-shaped City and ASN databases for nets.
func writeDBs(t *testing.T, nets []tNet) (cityPath, asnPath string) {
	t.Helper()
	city, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-City", RecordSize: 28, Languages: []string{"en"}})
	if err != nil {
		t.Fatal(err)
	}
	asn, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-ASN", RecordSize: 28})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nets {
		rec := mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(n.cc)}}
		if c := n.city; c != nil {
			rec["city"] = mmdbtype.Map{"geoname_id": mmdbtype.Uint32(c.id), "names": mmdbtype.Map{"en": mmdbtype.String(c.name)}}
			rec["location"] = mmdbtype.Map{"latitude": mmdbtype.Float64(c.lat), "longitude": mmdbtype.Float64(c.lon),
				"time_zone": mmdbtype.String(c.tz), "accuracy_radius": mmdbtype.Uint16(20)}
		}
		if err := city.Insert(ipNet(n.prefix), rec); err != nil {
			t.Fatalf("city %s: %v", n.prefix, err)
		}
		if err := asn.Insert(ipNet(n.prefix), mmdbtype.Map{
			"autonomous_system_number":       mmdbtype.Uint32(n.asn),
			"autonomous_system_organization": mmdbtype.String(n.org),
		}); err != nil {
			t.Fatalf("asn %s: %v", n.prefix, err)
		}
	}
	dir := t.TempDir()
	cityPath, asnPath = filepath.Join(dir, "City.mmdb"), filepath.Join(dir, "ASN.mmdb")
	for path, tree := range map[string]*mmdbwriter.Tree{cityPath: city, asnPath: asn} {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tree.WriteTo(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return cityPath, asnPath
}

func loadWorld(t *testing.T, o worldOpts, withV6 bool) (g *Geo, cityPath, asnPath string, nets []tNet) {
	t.Helper()
	nets = world(o)
	cityPath, asnPath = writeDBs(t, nets)
	g, err := LoadGeo(cityPath, asnPath, usedCountries(), withV6)
	if err != nil {
		t.Fatal(err)
	}
	return g, cityPath, asnPath, nets
}

func testConfig(accounts, days int, seed uint64) Config {
	mix, err := parseMix(defaultMix)
	if err != nil {
		panic(err)
	}
	return Config{Seed: seed, Accounts: accounts, Days: days, IPv6Share: 0.4, Heartbeats: true, UA: true,
		FriendPerWeek: 4, TripDays: 5, FailRate: 0.015, Mix: mix}
}

var testStart = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

type output struct{ events, labels, truth []byte }

func generate(t *testing.T, g *Geo, cfg Config) output {
	t.Helper()
	s, err := NewSim(cfg, g, testStart)
	if err != nil {
		t.Fatal(err)
	}
	s.Run()
	var ev, lab, truth bytes.Buffer
	if err := s.writeEvents(&ev); err != nil {
		t.Fatal(err)
	}
	if err := s.writeLabels(&lab); err != nil {
		t.Fatal(err)
	}
	if err := s.writeTruth(&truth); err != nil {
		t.Fatal(err)
	}
	return output{ev.Bytes(), lab.Bytes(), truth.Bytes()}
}

func jsonLines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d: %v: %s", len(out)+1, err, sc.Text())
		}
		out = append(out, m)
	}
	return out
}

type label struct {
	AccountID    string  `json:"account_id"`
	Scenario     string  `json:"scenario"`
	Sharing      bool    `json:"sharing"`
	SharingStart *string `json:"sharing_start"`
}

func parseLabels(t *testing.T, b []byte) []label {
	t.Helper()
	var out []label
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var l label
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// checkEvents asserts the event contract: sorted by time, unique ids,
// required fields, device_id on logins, and accounts that have labels.
func checkEvents(t *testing.T, evs []map[string]any, accounts map[string]bool) map[string]int {
	t.Helper()
	ids := map[string]bool{}
	types := map[string]int{}
	prev := time.Time{}
	for i, e := range evs {
		for _, k := range []string{"event_id", "type", "time", "account_id", "ip"} {
			if v, ok := e[k].(string); !ok || v == "" {
				t.Fatalf("event %d: missing %s: %v", i+1, k, e)
			}
		}
		typ := e["type"].(string)
		types[typ]++
		switch typ {
		case "login":
			if v, ok := e["device_id"].(string); !ok || v == "" {
				t.Fatalf("event %d: login without device_id: %v", i+1, e)
			}
			if _, ok := e["success"].(bool); !ok {
				t.Fatalf("event %d: login without success: %v", i+1, e)
			}
		case "heartbeat", "logout":
		default:
			t.Fatalf("event %d: bad type %q", i+1, typ)
		}
		id := e["event_id"].(string)
		if ids[id] {
			t.Fatalf("event %d: duplicate event_id %s", i+1, id)
		}
		ids[id] = true
		ts, err := time.Parse(time.RFC3339, e["time"].(string))
		if err != nil {
			t.Fatalf("event %d: %v", i+1, err)
		}
		if ts.Before(prev) {
			t.Fatalf("event %d: not sorted by time (%s after %s)", i+1, ts, prev)
		}
		prev = ts
		if ts.Before(testStart.Add(-3*time.Minute)) || ts.After(testStart.AddDate(0, 0, 10)) {
			t.Fatalf("event %d: time %s outside the window", i+1, ts)
		}
		if !accounts[e["account_id"].(string)] {
			t.Fatalf("event %d: account %s has no label", i+1, e["account_id"])
		}
		if _, err := netip.ParseAddr(e["ip"].(string)); err != nil {
			t.Fatalf("event %d: %v", i+1, err)
		}
	}
	return types
}

var sharingScenarios = map[string]bool{"friend_sharer": true, "same_city_sharer": true, "reseller": true}

func checkLabels(t *testing.T, labels []label, n int) map[string]bool {
	t.Helper()
	if len(labels) != n {
		t.Fatalf("%d labels for %d accounts", len(labels), n)
	}
	accounts := map[string]bool{}
	for _, l := range labels {
		if !slices.Contains(Scenarios, l.Scenario) {
			t.Errorf("%s: scenario %q is not one of the nine", l.AccountID, l.Scenario)
		}
		if l.Sharing != sharingScenarios[l.Scenario] {
			t.Errorf("%s: scenario %s with sharing=%v", l.AccountID, l.Scenario, l.Sharing)
		}
		if (l.SharingStart != nil) != l.Sharing {
			t.Errorf("%s: sharing=%v but sharing_start=%v", l.AccountID, l.Sharing, l.SharingStart)
		}
		if l.SharingStart != nil {
			if _, err := time.Parse(time.RFC3339, *l.SharingStart); err != nil {
				t.Errorf("%s: %v", l.AccountID, err)
			}
		}
		if accounts[l.AccountID] {
			t.Errorf("duplicate label for %s", l.AccountID)
		}
		accounts[l.AccountID] = true
	}
	return accounts
}

func TestSyntheticOrgsAreClassifiedAsIntended(t *testing.T) {
	for _, a := range tASNs {
		got := classifyIn(a.asn, a.org, a.cc)
		if got == ClsHosting && !reVPN.MatchString(a.org) {
			got = ClsTransit
		}
		if got != a.want {
			t.Errorf("AS%d %q in %s: %s, want %s", a.asn, a.org, a.cc, got, a.want)
		}
	}
}

func TestLoadGeoKeepsEachNetworkOnce(t *testing.T) {
	g, _, _, nets := loadWorld(t, worldOpts{resPerISP: 3, carriers: true, hosting: true}, true)
	// every synthetic network is in a used country and has an ASN: the
	// IPv4 aliases (::ffff:0:0/96, 2002::/16, ...) must not add copies
	if len(g.Nets) != len(nets) {
		t.Errorf("%d networks loaded, %d written", len(g.Nets), len(nets))
	}
	want := map[[17]byte]bool{}
	for _, n := range nets {
		var k [17]byte
		copy(k[:16], n.prefix.Addr().AsSlice())
		k[16] = byte(n.prefix.Bits())
		want[k] = true
	}
	for _, n := range g.Nets {
		var k [17]byte
		copy(k[:16], n.IP[:])
		k[16] = n.Bits
		if !want[k] {
			t.Errorf("loaded a network that was not written: %v/%d v6=%v", n.IP, n.Bits, n.V6)
		}
	}
	for cc, wantCities := range map[string]int{"US": 4, "DE": 3, "NL": 2} {
		ct := g.Countries[cc]
		if ct == nil {
			t.Fatalf("no %s", cc)
		}
		if len(ct.Cities) != wantCities || len(ct.Carriers) == 0 || len(ct.Hosting) == 0 {
			t.Errorf("%s: %d cities (want %d), %d carriers, %d hosting networks", cc, len(ct.Cities), wantCities, len(ct.Carriers), len(ct.Hosting))
		}
	}
	// Deutsche Telekom is a carrier and, being integrated, a home ISP too
	if c := g.Cities[g.cityIdx[berlin.id]]; len(c.Res[3320]) == 0 || len(c.Res[8881]) == 0 {
		t.Errorf("Berlin's home ISPs: %v", c.ResASNs)
	}
	if c := g.Cities[g.cityIdx[newYork.id]]; len(c.Res[174]) != 0 || len(c.Res[64500]) != 0 || len(c.Res[14061]) != 0 {
		t.Errorf("transit, other or hosting networks used for homes: %v", c.ResASNs)
	}
}

func TestGeneratesTheContractReproducibly(t *testing.T) {
	g, cityPath, asnPath, _ := loadWorld(t, worldOpts{resPerISP: 3, carriers: true, hosting: true}, true)
	const accounts = 100
	cfg := testConfig(accounts, 5, 7)
	out := generate(t, g, cfg)

	labels := parseLabels(t, out.labels)
	accts := checkLabels(t, labels, accounts)
	evs := jsonLines(t, out.events)
	types := checkEvents(t, evs, accts)
	if types["login"] == 0 || types["heartbeat"] == 0 || types["logout"] == 0 {
		t.Errorf("event types %v", types)
	}
	seen := map[string]int{}
	for _, l := range labels {
		seen[l.Scenario]++
	}
	for _, sc := range Scenarios {
		if seen[sc] == 0 {
			t.Errorf("no %s account in %d (mix %v)", sc, accounts, seen)
		}
	}
	if tr := jsonLines(t, out.truth); len(tr) != accounts {
		t.Errorf("%d truth lines", len(tr))
	}

	// every address lies in a network of the synthetic databases, and some
	// are IPv6, mobile and VPN (hosting) addresses
	cr, err := maxminddb.Open(cityPath)
	if err != nil {
		t.Fatal(err)
	}
	defer cr.Close()
	ar, err := maxminddb.Open(asnPath)
	if err != nil {
		t.Fatal(err)
	}
	defer ar.Close()
	byClass := map[Class]int{}
	v6 := 0
	for _, e := range evs {
		ip := netip.MustParseAddr(e["ip"].(string))
		if ip.Is6() {
			v6++
		}
		if !cr.Lookup(ip).Found() {
			t.Fatalf("%s is in no City network", ip)
		}
		var a asnRec
		if err := ar.Lookup(ip).Decode(&a); err != nil || a.Num == 0 {
			t.Fatalf("%s: no ASN (%v)", ip, err)
		}
		byClass[g.ASNs[a.Num].Class]++
		if a.Num == 174 {
			t.Errorf("%s: a transit network was used", ip)
		}
	}
	if v6 == 0 || byClass[ClsRes] == 0 || byClass[ClsMobile] == 0 || byClass[ClsHosting] == 0 {
		t.Errorf("addresses: %d IPv6, by class %v", v6, byClass)
	}

	again := generate(t, g, cfg)
	if !bytes.Equal(out.events, again.events) || !bytes.Equal(out.labels, again.labels) || !bytes.Equal(out.truth, again.truth) {
		t.Error("the same seed gave different output")
	}
	cfg.Seed = 8
	if other := generate(t, g, cfg); bytes.Equal(out.events, other.events) {
		t.Error("another seed gave the same events")
	}
}

func TestLoginsOnlyIPv4WithoutUserAgents(t *testing.T) {
	g, _, _, _ := loadWorld(t, worldOpts{resPerISP: 3, carriers: true, hosting: true}, false)
	for _, n := range g.Nets {
		if n.V6 {
			t.Fatal("IPv6 networks loaded with withV6=false")
		}
	}
	cfg := testConfig(60, 5, 2)
	cfg.IPv6Share, cfg.Heartbeats, cfg.UA = 0, false, false
	out := generate(t, g, cfg)
	accts := checkLabels(t, parseLabels(t, out.labels), 60)
	evs := jsonLines(t, out.events)
	types := checkEvents(t, evs, accts)
	if len(types) != 1 || types["login"] == 0 {
		t.Errorf("event types %v, want logins only", types)
	}
	for _, e := range evs {
		if strings.Contains(e["ip"].(string), ":") {
			t.Fatalf("IPv6 address with --ipv6-share 0: %v", e)
		}
		if _, ok := e["user_agent"]; ok {
			t.Fatalf("user_agent with --ua=false: %v", e)
		}
	}
}

// A database too small for the generator gives a clear error; one that is
// merely poor (no carriers, VPN exits only in one country) still works.
func TestDegradesOnSmallDatabases(t *testing.T) {
	t.Run("no usable home city", func(t *testing.T) {
		// at most two residential IPv4 networks per city: below the 3 a
		// home city needs
		g, _, _, _ := loadWorld(t, worldOpts{resPerISP: 0, hosting: true, onlyDE: true}, true)
		if n := len(g.Countries["DE"].Cities); n != 0 {
			t.Fatalf("%d home cities", n)
		}
		_, err := NewSim(testConfig(10, 5, 1), g, testStart)
		if err == nil || !strings.Contains(err.Error(), "no usable home city") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("no carriers, VPN exits only in DE", func(t *testing.T) {
		g, _, _, _ := loadWorld(t, worldOpts{resPerISP: 3, hosting: true, onlyDE: true}, true)
		cfg := testConfig(80, 5, 3)
		s, err := NewSim(cfg, g, testStart)
		if err != nil {
			t.Fatal(err)
		}
		if s.vpnFallback != "DE" {
			t.Errorf("VPN fallback %q, want DE", s.vpnFallback)
		}
		out := generate(t, g, cfg)
		labels := parseLabels(t, out.labels)
		checkEvents(t, jsonLines(t, out.events), checkLabels(t, labels, 80))
		n := map[string]int{}
		for _, l := range labels {
			n[l.Scenario]++
		}
		if n["mobile_heavy"] == 0 || n["vpn_user"] == 0 || n["traveller"] == 0 {
			t.Errorf("scenarios %v: want mobile_heavy, vpn_user and traveller exercised", n)
		}
	})
	t.Run("no hosting", func(t *testing.T) {
		g, _, _, _ := loadWorld(t, worldOpts{resPerISP: 3, carriers: true}, true)
		cfg := testConfig(50, 5, 4)
		if _, err := NewSim(cfg, g, testStart); err == nil || !strings.Contains(err.Error(), "no hosting networks") {
			t.Fatalf("error %v", err)
		}
		cfg.Mix["vpn_user"], cfg.Mix["traveller"] = 0, 0
		out := generate(t, g, cfg)
		labels := parseLabels(t, out.labels)
		checkEvents(t, jsonLines(t, out.events), checkLabels(t, labels, 50))
		for _, l := range labels {
			if l.Scenario == "vpn_user" || l.Scenario == "traveller" {
				t.Errorf("%s: scenario %s has weight 0", l.AccountID, l.Scenario)
			}
		}
	})
	t.Run("zero days", func(t *testing.T) {
		g, _, _, _ := loadWorld(t, worldOpts{resPerISP: 3, hosting: true, onlyDE: true}, true)
		if _, err := NewSim(testConfig(10, 0, 1), g, testStart); err == nil {
			t.Fatal("no error for --days 0")
		}
	})
}

func TestParseMix(t *testing.T) {
	m, err := parseMix(defaultMix)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != len(Scenarios) || m["solo"] != 20 || m["reseller"] != 7 {
		t.Errorf("default mix %v", m)
	}
	for _, bad := range []string{"solo", "solo=x", "sharer=3", "solo=1,,reseller=2"} {
		if _, err := parseMix(bad); err == nil {
			t.Errorf("no error for --mix %q", bad)
		}
	}
}
