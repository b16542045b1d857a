package simulate

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/ingest"
)

// smallConfig keeps test populations fast. SIMULATE_TEST_SEED runs the
// behavioural tests on another population.
var smallConfig = Config{Accounts: 100, Days: 7, Seed: testSeed()}

func testSeed() uint64 {
	s, err := strconv.ParseUint(os.Getenv("SIMULATE_TEST_SEED"), 10, 64)
	if err != nil {
		return 1
	}
	return s
}

// sessionView is a session reassembled from the stream, with ground truth.
type sessionView struct {
	acct       string
	s          *session
	start, end time.Time
	ips        []netip.Addr
	types      []ingest.Type
}

// population is a fully drained small stream.
type population struct {
	cfg      Config
	world    *World
	labels   map[string]Label
	events   []ingest.Event
	meta     []*session
	sessions map[string]*sessionView
	stats    Stats
}

var popCache = map[string]*population{}

func drain(t testing.TB, cfg Config) *population {
	t.Helper()
	key := fmt.Sprintf("%s/%d/%d/%d/%v/%v/%v/%v", cfg.Profile, cfg.Accounts, cfg.Days, cfg.Seed, cfg.Start, cfg.Mix, cfg.RealGeoIP, cfg.IPv4Fallback)
	if p, ok := popCache[key]; ok {
		return p
	}
	s, err := NewStream(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := &population{cfg: s.Config(), world: s.World(), labels: map[string]Label{}, sessions: map[string]*sessionView{}}
	for _, l := range s.Labels() {
		p.labels[l.AccountID] = l
	}
	for {
		ev, meta, ok := s.next()
		if !ok {
			break
		}
		p.events = append(p.events, ev)
		p.meta = append(p.meta, meta)
		if ev.SessionID == "" {
			continue
		}
		v := p.sessions[ev.SessionID]
		if v == nil {
			v = &sessionView{acct: ev.AccountID, s: meta, start: ev.Time}
			p.sessions[ev.SessionID] = v
		}
		v.end = ev.Time
		v.ips = append(v.ips, ev.IP)
		v.types = append(v.types, ev.Type)
	}
	p.stats = s.Stats()
	popCache[key] = p
	return p
}

func TestGenerateDeterministic(t *testing.T) {
	run := func(cfg Config) (string, string) {
		var ev, lb bytes.Buffer
		if _, err := Generate(cfg, &ev, &lb); err != nil {
			t.Fatal(err)
		}
		return ev.String(), lb.String()
	}
	cfg := Config{Accounts: 60, Days: 5}
	e1, l1 := run(cfg)
	e2, l2 := run(cfg)
	if e1 != e2 || l1 != l2 {
		t.Fatal("two runs of the same Config differ")
	}
	if len(e1) == 0 || len(l1) == 0 {
		t.Fatal("empty output")
	}
	other := cfg
	other.Seed = 2
	if e3, _ := run(other); e3 == e1 {
		t.Error("a different Seed gave the same events")
	}
	// Accounts are independent: a bigger population starts with the
	// same accounts behaving the same way.
	var small, big []ingest.Event
	for _, c := range []struct {
		n   int
		out *[]ingest.Event
	}{{60, &small}, {61, &big}} {
		s, err := NewStream(Config{Accounts: c.n, Days: 5, Mix: map[string]float64{ScenarioHousehold: 1}})
		if err != nil {
			t.Fatal(err)
		}
		for ev := range s.All() {
			if ev.AccountID == "acc-00007" {
				*c.out = append(*c.out, ev)
			}
		}
	}
	if !slices.EqualFunc(small, big, func(a, b ingest.Event) bool { return a.EventID == b.EventID && a.Time.Equal(b.Time) && a.IP == b.IP }) {
		t.Error("account acc-00007 behaves differently when another account is added")
	}
}

func TestStreamContract(t *testing.T) {
	p := drain(t, smallConfig)
	if len(p.events) < 5000 {
		t.Fatalf("only %d events", len(p.events))
	}
	ids := map[string]bool{}
	sessAcct := map[string]string{}
	sessDev := map[string]string{}
	var counts [4]int
	failed := 0
	for i, ev := range p.events {
		if i > 0 && ev.Time.Before(p.events[i-1].Time) {
			t.Fatalf("event %d at %v precedes event %d at %v", i, ev.Time, i-1, p.events[i-1].Time)
		}
		if ev.Time.Before(p.cfg.Start) || !ev.Time.Before(p.cfg.end()) {
			t.Fatalf("event at %v outside the simulated period", ev.Time)
		}
		if ids[ev.EventID] {
			t.Fatalf("duplicate event id %s", ev.EventID)
		}
		ids[ev.EventID] = true
		want, err := ev.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		got := AppendJSON(nil, ev)
		if !bytes.Equal(got, want) || !bytes.Equal(appendJSON(nil, ev, true), want) {
			t.Fatalf("AppendJSON = %s\nMarshalJSON = %s", got, want)
		}
		dec, err := ingest.Decode(got)
		if err != nil {
			t.Fatalf("Decode(%s): %v", got, err)
		}
		if dec.EventID != ev.EventID || dec.Type != ev.Type || !dec.Time.Equal(ev.Time) || dec.AccountID != ev.AccountID ||
			dec.SessionID != ev.SessionID || dec.DeviceID != ev.DeviceID || dec.IP != ev.IP || dec.UserAgent != ev.UserAgent || dec.Success != ev.Success {
			t.Fatalf("round trip changed the event:\n%+v\n%+v", ev, dec)
		}
		if !ev.IP.IsGlobalUnicast() || ev.IP.IsPrivate() {
			t.Fatalf("non-public address %s", ev.IP)
		}
		if _, ok := p.world.Lookup(ev.IP); !ok {
			t.Fatalf("address %s is in no simulated network", ev.IP)
		}
		if !ev.Success {
			failed++
			if ev.Type != ingest.TypeLogin || ev.SessionID != "" {
				t.Fatalf("failed login %+v must be a login without a session", ev)
			}
			continue
		}
		counts[ev.Type]++
		if a, ok := sessAcct[ev.SessionID]; ok && (a != ev.AccountID || sessDev[ev.SessionID] != ev.DeviceID) {
			t.Fatalf("session %s used by %s/%s and %s/%s", ev.SessionID, a, sessDev[ev.SessionID], ev.AccountID, ev.DeviceID)
		}
		sessAcct[ev.SessionID], sessDev[ev.SessionID] = ev.AccountID, ev.DeviceID
	}
	for id, v := range p.sessions {
		if v.types[0] != ingest.TypeLogin {
			t.Fatalf("session %s starts with %s", id, v.types[0])
		}
		for j, ty := range v.types[1:] {
			if ty == ingest.TypeLogin || (ty == ingest.TypeLogout && j != len(v.types)-2) {
				t.Fatalf("session %s has types %v", id, v.types)
			}
		}
	}
	st := p.stats
	if st.Events != len(p.events) || st.Logins != counts[ingest.TypeLogin] || st.Heartbeats != counts[ingest.TypeHeartbeat] ||
		st.Logouts != counts[ingest.TypeLogout] || st.FailedLogins != failed {
		t.Errorf("stats %+v disagree with the events (logins %d, heartbeats %d, logouts %d, failed %d)",
			st, counts[1], counts[2], counts[3], failed)
	}
	if r := float64(failed) / float64(st.Logins); r < 0.002 || r > 0.03 {
		t.Errorf("failed login rate %.3f, want about 1%%", r)
	}
	if r := float64(st.Logouts) / float64(st.Logins); r < 0.65 || r > 0.9 {
		t.Errorf("logout rate %.2f, want about 0.8", r)
	}
}

func TestAppendJSONEscapes(t *testing.T) {
	ev := ingest.Event{EventID: "e<1>", Type: ingest.TypeLogin, Time: time.Unix(0, 0), AccountID: "a\"b", DeviceID: "d", IP: netip.MustParseAddr("2a02::1"), UserAgent: "x&y\u00e9", Success: false}
	want, _ := ev.MarshalJSON()
	if got := AppendJSON([]byte("prefix"), ev); string(got) != "prefix"+string(want) {
		t.Errorf("AppendJSON = %s, want prefix%s", got, want)
	}
}

func TestLabels(t *testing.T) {
	p := drain(t, smallConfig)
	if len(p.labels) != smallConfig.Accounts {
		t.Fatalf("%d labels for %d accounts", len(p.labels), smallConfig.Accounts)
	}
	perScenario := map[string]int{}
	firstSharer := map[string]time.Time{}
	for i, ev := range p.events {
		m := p.meta[i]
		if !m.p.sharer {
			continue
		}
		if !IsSharing(p.labels[ev.AccountID].Scenario) {
			t.Fatalf("honest account %s has an event from outside the household", ev.AccountID)
		}
		if _, ok := firstSharer[ev.AccountID]; !ok {
			firstSharer[ev.AccountID] = ev.Time
		}
	}
	for id, l := range p.labels {
		perScenario[l.Scenario]++
		if l.Sharing != IsSharing(l.Scenario) {
			t.Errorf("%s: sharing=%v for scenario %s", id, l.Sharing, l.Scenario)
		}
		if l.HomeCountry == "" || l.HomeCity == "" {
			t.Errorf("%s: no home", id)
		}
		if !l.Sharing {
			if l.SharingStart != nil {
				t.Errorf("%s: honest account with sharing_start", id)
			}
			continue
		}
		if l.SharingStart == nil {
			t.Errorf("%s: sharing account without sharing_start", id)
			continue
		}
		latest := p.cfg.Start.AddDate(0, 0, p.cfg.Days/2+1)
		if l.SharingStart.Before(p.cfg.Start) || !l.SharingStart.Before(latest) {
			t.Errorf("%s: sharing_start %v outside [%v, %v)", id, l.SharingStart, p.cfg.Start, latest)
		}
		if first, ok := firstSharer[id]; !ok || !first.Equal(*l.SharingStart) {
			t.Errorf("%s: sharing_start %v, first sharer event %v", id, l.SharingStart, first)
		}
	}
	for _, sc := range Scenarios {
		if perScenario[sc] == 0 || p.stats.AccountsByScenario[sc] != perScenario[sc] {
			t.Errorf("scenario %s: %d labels, stats say %d", sc, perScenario[sc], p.stats.AccountsByScenario[sc])
		}
	}

	var buf bytes.Buffer
	if _, err := Generate(Config{Accounts: 30, Days: 2}, nil, &buf); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLabels(&buf)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := NewStream(Config{Accounts: 30, Days: 2})
	want := s.Labels()
	if len(got) != len(want) {
		t.Fatalf("ReadLabels returned %d labels, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.AccountID != w.AccountID || g.Scenario != w.Scenario || g.Sharing != w.Sharing || g.HomeCity != w.HomeCity ||
			(g.SharingStart == nil) != (w.SharingStart == nil) || (g.SharingStart != nil && !g.SharingStart.Equal(*w.SharingStart)) {
			t.Errorf("label %d: read %+v, want %+v", i, g, w)
		}
	}
}

func TestReadLabelsErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", "{oops\n", "line 1"},
		{"unknown scenario", `{"account_id":"a","scenario":"pirate","sharing":true}` + "\n", "unknown scenario"},
		{"contradiction", "\n" + `{"account_id":"a","scenario":"solo","sharing":true}`, "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadLabels(bytes.NewBufferString(tt.in))
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.want)) {
				t.Errorf("ReadLabels error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// TestDeviceContinuity checks that a device is one person in one place:
// its sessions never overlap, and moving between cities takes at least
// the time a flight would.
func TestDeviceContinuity(t *testing.T) {
	p := drain(t, smallConfig)
	byDev := map[*device][]*sessionView{}
	for _, v := range p.sessions {
		byDev[v.s.dev] = append(byDev[v.s.dev], v)
	}
	moves := 0
	for d, vs := range byDev {
		sort.Slice(vs, func(i, j int) bool { return vs[i].start.Before(vs[j].start) })
		for i := 1; i < len(vs); i++ {
			prev, cur := vs[i-1], vs[i]
			if !cur.start.After(prev.end) {
				t.Fatalf("device %s: session at %v overlaps the one ending %v", d.id, cur.start, prev.end)
			}
			if prev.s.city == cur.s.city {
				continue
			}
			moves++
			km := p.world.dist[prev.s.city][cur.s.city]
			if h := cur.start.Sub(prev.end).Hours(); km/h > 900 {
				t.Errorf("device %s (%s) moved %s→%s, %.0f km in %.1f h",
					d.id, p.labels[cur.acct].Scenario, cities[prev.s.city].Name, cities[cur.s.city].Name, km, h)
			}
		}
	}
	if moves == 0 {
		t.Error("no device ever changed city; travellers and two_homes should")
	}
}

// TestScenarioBehaviour checks what makes each scenario what it is, over
// the accounts of that scenario in a small population.
func TestScenarioBehaviour(t *testing.T) {
	p := drain(t, smallConfig)
	byAcct := map[string][]*sessionView{}
	for _, v := range p.sessions {
		byAcct[v.acct] = append(byAcct[v.acct], v)
	}
	for _, vs := range byAcct {
		sort.Slice(vs, func(i, j int) bool { return vs[i].start.Before(vs[j].start) })
	}
	hosting := HostingASNs()
	asn := func(a netip.Addr) uint32 { r, _ := p.world.Lookup(a); return r.ASN }
	netOf := func(a netip.Addr) netip.Prefix {
		bits := 24
		if a.Is6() {
			bits = 56
		}
		pf, _ := a.Prefix(bits)
		return pf
	}
	count := func(vs []*sessionView, f func(*sessionView) bool) int {
		n := 0
		for _, v := range vs {
			if f(v) {
				n++
			}
		}
		return n
	}
	overlap := func(a, b *sessionView) bool { return a.start.Before(b.end) && b.start.Before(a.end) }

	tests := []struct {
		scenario string
		// check returns whether the account shows the behaviour; min is
		// the share of the scenario's accounts that must.
		check func(l Label, vs []*sessionView) bool
		min   float64
	}{
		{ScenarioSolo, func(l Label, vs []*sessionView) bool {
			devs := map[*device]bool{}
			for _, v := range vs {
				devs[v.s.dev] = true
			}
			return len(devs) <= 3 // two devices, perhaps a new phone
		}, 1},
		{ScenarioHousehold, func(l Label, vs []*sessionView) bool {
			conc := 0
			for i := range vs {
				for j := i + 1; j < len(vs) && vs[j].start.Before(vs[i].end); j++ {
					if vs[i].s.dev != vs[j].s.dev {
						conc++
					}
				}
			}
			return conc > 0
		}, 0.5},
		{ScenarioTraveller, func(l Label, vs []*sessionView) bool {
			// Away on hotel Wi-Fi while the family streams at home.
			for _, a := range vs {
				if a.s.net != netHotel {
					continue
				}
				for _, b := range vs {
					if b.s.net == netHome && b.s.p != a.s.p && overlap(a, b) {
						return true
					}
				}
			}
			return false
		}, 0.2},
		{ScenarioTraveller, func(l Label, vs []*sessionView) bool {
			return count(vs, func(v *sessionView) bool { return v.s.net == netHotel }) > 0
		}, 0.6},
		{ScenarioTwoHomes, func(l Label, vs []*sessionView) bool {
			// Two home lines in different cities, on different ISPs, with the same device.
			places := map[int]map[*device]bool{}
			isps := map[uint32]bool{}
			for _, v := range vs {
				if v.s.net != netHome {
					continue
				}
				if places[v.s.city] == nil {
					places[v.s.city] = map[*device]bool{}
				}
				places[v.s.city][v.s.dev] = true
				isps[asn(v.ips[0])] = true
			}
			if len(places) > 2 {
				t.Errorf("%s: home sessions in %d cities", l.AccountID, len(places))
			}
			if len(places) != 2 {
				return false // a week may have no weekend at the house
			}
			var sets []map[*device]bool
			for _, s := range places {
				sets = append(sets, s)
			}
			for d := range sets[0] {
				if sets[1][d] {
					return len(isps) >= 2
				}
			}
			return false
		}, 0.4},
		{ScenarioMobileHeavy, func(l Label, vs []*sessionView) bool {
			return 2*count(vs, func(v *sessionView) bool { return v.s.net == netMobile }) >= len(vs)
		}, 0.75},
		{ScenarioVPNUser, func(l Label, vs []*sessionView) bool {
			n := count(vs, func(v *sessionView) bool {
				r, _ := p.world.Lookup(v.ips[0])
				return v.s.net == netVPN && slices.Contains(hosting, r.ASN) && r.Country != l.HomeCountry
			})
			return n > 0 && count(vs, func(v *sessionView) bool { return v.s.net == netHome }) > 0
		}, 0.7}, // a quiet week of five sessions may have no VPN
		{ScenarioFriendSharer, func(l Label, vs []*sessionView) bool {
			home := p.world.cityIndex[l.HomeCity]
			// Isolated cities (Perth) have nothing within 2,000 km: the
			// friend then lives in the nearest city.
			farthest := 2000.0
			if p.world.pickCity(rand.New(rand.NewPCG(1, 1)), func(c int) float64 {
				if d := p.world.dist[home][c]; d >= 50 && d <= 2000 {
					return 1
				}
				return 0
			}) < 0 {
				farthest = p.world.dist[home][p.world.nearest(home)]
			}
			for _, v := range vs {
				if v.s.p.sharer {
					d := p.world.dist[v.s.p.hh.city][home]
					return d >= 50 && d <= farthest
				}
			}
			return false
		}, 1},
		{ScenarioSameCitySharer, func(l Label, vs []*sessionView) bool {
			owner, friend := map[netip.Prefix]bool{}, map[netip.Prefix]bool{}
			for _, v := range vs {
				if v.s.net != netHome {
					continue
				}
				if v.s.p.sharer {
					if cities[v.s.city].Name != l.HomeCity {
						return false
					}
					friend[netOf(v.ips[0])] = true
				} else {
					owner[netOf(v.ips[0])] = true
				}
			}
			for n := range friend {
				if owner[n] {
					return false
				}
			}
			return len(friend) > 0
		}, 1},
		{ScenarioReseller, func(l Label, vs []*sessionView) bool {
			places := map[int]bool{}
			for _, v := range vs {
				if v.s.p.sharer {
					places[v.s.city] = true
				}
			}
			return len(places) >= 2
		}, 0.8},
	}
	t.Run("honest accounts stream mostly at home", func(t *testing.T) {
		var home, all int
		for id, l := range p.labels {
			if l.Scenario == ScenarioSolo || l.Scenario == ScenarioHousehold {
				all += len(byAcct[id])
				home += count(byAcct[id], func(v *sessionView) bool { return v.s.net == netHome })
			}
		}
		if r := float64(home) / float64(all); r < 0.75 {
			t.Errorf("%.2f of solo and household sessions are at home, want most", r)
		}
	})
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			total, ok := 0, 0
			for id, l := range p.labels {
				if l.Scenario != tt.scenario {
					continue
				}
				total++
				if tt.check(l, byAcct[id]) {
					ok++
				}
			}
			if total == 0 {
				t.Fatal("no accounts")
			}
			if float64(ok) < tt.min*float64(total) {
				t.Errorf("%d of %d accounts show the behaviour, want at least %.0f%%", ok, total, tt.min*100)
			}
		})
	}
}

// TestMobileJumps checks that phones on mobile data appear to jump far
// within minutes, as real carrier geolocation does.
func TestMobileJumps(t *testing.T) {
	p := drain(t, smallConfig)
	jumps := 0
	for _, v := range p.sessions {
		if v.s.net != netMobile || p.labels[v.acct].Scenario != ScenarioMobileHeavy {
			continue
		}
		for _, o := range p.sessions {
			if o.s.dev != v.s.dev || o.s.net != netMobile || !o.start.After(v.end) || o.start.Sub(v.end) > 3*time.Hour {
				continue
			}
			a, _ := p.world.Lookup(v.ips[len(v.ips)-1])
			b, _ := p.world.Lookup(o.ips[0])
			if haversine(a.Lat, a.Lon, b.Lat, b.Lon) > 200 {
				jumps++
			}
		}
	}
	if jumps == 0 {
		t.Error("no mobile session jumped more than 200 km within 3 hours of the previous one")
	}
}

// With IPv4Fallback, a device that speaks IPv6 opens some sessions at a
// dual-stack home over IPv4, as Happy Eyeballs does, so one device shows
// both families of the home's ISP; without it, it never does at one home.
func TestIPv4Fallback(t *testing.T) {
	mixed := func(cfg Config) int {
		fam := map[string]int{} // device/ASN -> bit 1 IPv4, bit 2 IPv6
		p := drain(t, cfg)
		for _, v := range p.sessions {
			if v.s.net != netHome {
				continue
			}
			for _, ip := range v.ips {
				loc, ok := p.world.Lookup(ip)
				if !ok {
					continue
				}
				k := fmt.Sprintf("%p/%d", v.s.dev, loc.ASN)
				if ip.Is4() {
					fam[k] |= 1
				} else {
					fam[k] |= 2
				}
			}
		}
		n := 0
		for _, f := range fam {
			if f == 3 {
				n++
			}
		}
		return n
	}
	cfg := smallConfig
	none := mixed(cfg)
	cfg.IPv4Fallback = 0.3
	some := mixed(cfg)
	if some == 0 || some < 5*none {
		t.Errorf("devices on both families of one ISP at home: %d with IPv4Fallback 0.3, %d without; want many more with it", some, none)
	}
	t.Logf("devices on both families of one ISP at home: %d with IPv4Fallback 0.3, %d without", some, none)
}

func TestAltProfile(t *testing.T) {
	def := drain(t, smallConfig)
	alt := drain(t, Config{Accounts: smallConfig.Accounts, Days: smallConfig.Days, Seed: smallConfig.Seed, Profile: ProfileAlt})
	medianGap := func(p *population) time.Duration {
		last := map[string]time.Time{}
		var gaps []time.Duration
		for _, ev := range p.events {
			if ev.Type == ingest.TypeHeartbeat {
				if l, ok := last[ev.SessionID]; ok {
					gaps = append(gaps, ev.Time.Sub(l))
				}
			}
			if ev.SessionID != "" {
				last[ev.SessionID] = ev.Time
			}
		}
		slices.Sort(gaps)
		return gaps[len(gaps)/2]
	}
	if g := medianGap(def); g < 9*time.Minute || g > 11*time.Minute {
		t.Errorf("default heartbeat gap %v, want about 10m", g)
	}
	if g := medianGap(alt); g < 13*time.Minute || g > 17*time.Minute {
		t.Errorf("alt heartbeat gap %v, want about 15m", g)
	}
	devices := func(p *population) float64 {
		d := map[string]bool{}
		for _, ev := range p.events {
			d[ev.DeviceID] = true
		}
		return float64(len(d))
	}
	if r := devices(alt) / devices(def); r < 1.15 {
		t.Errorf("alt has %.2f times the devices, want noticeably more", r)
	}
}

func BenchmarkGenerate(b *testing.B) {
	cfg := Config{Accounts: 1000, Days: 30}
	var events int
	start := time.Now()
	for b.Loop() {
		st, err := Generate(cfg, discard{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		events += st.Events
	}
	b.ReportMetric(float64(events)/time.Since(start).Seconds(), "events/s")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestDiurnal checks sessions start mostly in the local evening, also
// when the simulated days do not begin at midnight.
func TestDiurnal(t *testing.T) {
	for _, start := range []time.Time{{}, time.Date(2026, 10, 1, 13, 17, 0, 0, time.UTC)} {
		p := drain(t, Config{Accounts: 60, Days: 4, Start: start, Mix: map[string]float64{ScenarioHousehold: 1}})
		var evening, all int
		for _, v := range p.sessions {
			h := v.start.Add(time.Duration(cities[v.s.city].TZ * float64(time.Hour))).Hour()
			all++
			if h >= 17 && h <= 23 {
				evening++
			}
		}
		// 17:00-23:59 is 7 of 24 hours but holds about 60% of the weight.
		if r := float64(evening) / float64(all); r < 0.45 {
			t.Errorf("start %v: %.2f of sessions start between 17:00 and 24:00 local, want most", start, r)
		}
	}
}
