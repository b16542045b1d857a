package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata"
)

func main() {
	var cfg Config
	seed := flag.Uint64("seed", 1, "random seed (everything is deterministic from it)")
	flag.IntVar(&cfg.Accounts, "accounts", 3000, "number of accounts")
	flag.IntVar(&cfg.Days, "days", 30, "days simulated")
	start := flag.String("start", "2026-10-01T00:00:00Z", "start of the window (RFC 3339)")
	cityDB := flag.String("city-db", "/tmp/geolite2/GeoLite2-City.mmdb", "GeoLite2 City database")
	asnDB := flag.String("asn-db", "/tmp/geolite2/GeoLite2-ASN.mmdb", "GeoLite2 ASN database")
	evPath := flag.String("events", "events.jsonl", "output events file")
	labPath := flag.String("labels", "labels.jsonl", "output labels file")
	truthPath := flag.String("truth", "", "optional: write per-account details (cities, ISP, friend distance, trips) here")
	flag.Float64Var(&cfg.IPv6Share, "ipv6-share", 0.4, "share of home lines with IPv6 (mobile: x1.3); 0 = IPv4 only")
	flag.BoolVar(&cfg.Heartbeats, "heartbeats", true, "emit heartbeat and logout events (false: logins only)")
	flag.BoolVar(&cfg.UA, "ua", true, "emit user_agent")
	flag.Float64Var(&cfg.FriendPerWeek, "friend-sessions", 4, "median sessions per week of a sharing friend's household")
	flag.Float64Var(&cfg.TripDays, "trip-days", 5, "median trip length in days (traveller)")
	flag.Float64Var(&cfg.FailRate, "fail-rate", 0.015, "share of sessions preceded by a failed login")
	mix := flag.String("mix", defaultMix, "scenario mix (relative weights)")
	dump := flag.Bool("dump-isps", false, "print the ISP classification and exit")
	flag.Parse()
	cfg.Seed = *seed
	var err error
	if cfg.Mix, err = parseMix(*mix); err != nil {
		fatal("%v", err)
	}
	st, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		fatal("bad --start: %v", err)
	}

	t0 := time.Now()
	g, err := LoadGeo(*cityDB, *asnDB, usedCountries(), cfg.IPv6Share > 0)
	if err != nil {
		fatal("loading GeoLite2: %v", err)
	}
	fmt.Fprintf(os.Stderr, "geo: %d networks, %d cities in %.1fs\n", len(g.Nets), len(g.Cities), time.Since(t0).Seconds())
	if *dump {
		g.DumpOrgs()
		return
	}

	s, err := NewSim(cfg, g, st)
	if err != nil {
		fatal("%v", err)
	}
	s.Run()
	fmt.Fprintf(os.Stderr, "simulated %d events in %.1fs\n", len(s.Events), time.Since(t0).Seconds())
	if err := s.write(*evPath, *labPath); err != nil {
		fatal("writing: %v", err)
	}
	if *truthPath != "" {
		if err := writeFile(*truthPath, s.writeTruth); err != nil {
			fatal("%v", err)
		}
	}
	fmt.Fprintf(os.Stderr, "done in %.1fs\n", time.Since(t0).Seconds())
}

const defaultMix = "solo=20,household=21,traveller=14,two_homes=6,mobile_heavy=8,vpn_user=8,friend_sharer=11,same_city_sharer=5,reseller=7"

// parseMix reads --mix: comma-separated scenario=weight pairs.
func parseMix(mix string) (map[string]float64, error) {
	m := map[string]float64{}
	for _, kv := range strings.Split(mix, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		f, err := strconv.ParseFloat(v, 64)
		if !ok || err != nil || !slices.Contains(Scenarios, k) {
			return nil, fmt.Errorf("bad --mix entry %q", kv)
		}
		m[k] = f
	}
	return m, nil
}

// usedCountries: the countries whose networks LoadGeo keeps (homes, travel
// destinations, VPN exits).
func usedCountries() map[string]bool {
	cs := map[string]bool{}
	for c := range homeCountries {
		cs[c] = true
	}
	for _, c := range append(extraCountries, vpnFavourites...) {
		cs[c] = true
	}
	return cs
}

// NewSim prepares a simulation on loaded networks. It fails with a clear
// error when the databases cannot supply what the scenario mix needs (a home
// country with at least one usable city; hosting networks for VPN exits),
// instead of panicking halfway through.
func NewSim(cfg Config, g *Geo, start time.Time) (*Sim, error) {
	if cfg.Days < 1 {
		return nil, fmt.Errorf("--days must be at least 1 (got %d)", cfg.Days)
	}
	s := &Sim{Cfg: cfg, G: g, Start: start.UTC(), End: start.UTC().AddDate(0, 0, cfg.Days),
		uaIdx: map[string]int32{}, tzCache: map[string]*time.Location{}, carrierCache: map[[3]int64][]int32{}}
	for _, c := range sortedKeys(homeCountries) {
		if ct := g.Countries[c]; ct != nil && len(ct.Cities) > 0 {
			s.homeCC = append(s.homeCC, c)
			s.homeCCW = append(s.homeCCW, homeCountries[c])
		}
	}
	if len(s.homeCC) == 0 {
		return nil, fmt.Errorf("the databases have no usable home city: none of the home countries %v has a city "+
			"with at least 3 residential IPv4 networks (City DB networks with geoname_id, English name and time zone, "+
			"whose ASN is classified residential)", sortedKeys(homeCountries))
	}
	// VPN exits outside the user's chosen countries come from NL, or, when
	// the databases have no hosting networks there, from the first country
	// (alphabetically) that has some.
	if ct := g.Countries["NL"]; ct != nil && len(ct.Hosting) > 0 {
		s.vpnFallback = "NL"
	} else {
		for _, c := range sortedCountries(g) {
			if len(g.Countries[c].Hosting) > 0 {
				s.vpnFallback = c
				break
			}
		}
	}
	if s.vpnFallback == "" && (cfg.Mix["vpn_user"] > 0 || cfg.Mix["traveller"] > 0) {
		return nil, fmt.Errorf("the databases have no hosting networks (VPN exits) in any used country, " +
			"which vpn_user and traveller need: set their --mix weights to 0")
	}
	return s, nil
}

func sortedCountries(g *Geo) []string {
	var k []string
	for c := range g.Countries {
		k = append(k, c)
	}
	slices.Sort(k)
	return k
}

// Run simulates every account and sorts the events by time (then session,
// then type).
func (s *Sim) Run() {
	cfg := s.Cfg
	var mixW []float64
	for _, sc := range Scenarios {
		mixW = append(mixW, cfg.Mix[sc])
	}
	for i := 1; i <= cfg.Accounts; i++ {
		r := rand.New(rand.NewPCG(cfg.Seed, uint64(i)*0x9E3779B97F4A7C15))
		scen := Scenarios[pickW(r, mixW)]
		a, lab := s.build(r, i, scen)
		var ss []sess
		for _, p := range a.People {
			ss = append(ss, s.schedule(r, p)...)
		}
		// keep only sessions inside the window
		k := 0
		for _, x := range ss {
			if x.T >= s.Start.Unix() && x.T < s.End.Unix() {
				ss[k] = x
				k++
			}
		}
		s.emitAccount(r, a, ss[:k])
		s.Labels = append(s.Labels, lab)
	}
	slices.SortStableFunc(s.Events, func(a, b Ev) int {
		if a.T != b.T {
			if a.T < b.T {
				return -1
			}
			return 1
		}
		if a.Sess != b.Sess {
			return int(a.Sess - b.Sess)
		}
		return int(a.Typ) - int(b.Typ)
	})
}

func sortedKeys(m map[string]float64) []string {
	var k []string
	for x := range m {
		k = append(k, x)
	}
	slices.Sort(k)
	return k
}

func fatal(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "gen2: "+f+"\n", a...)
	os.Exit(1)
}

var typNames = []string{"login", "heartbeat", "logout"}

func (s *Sim) write(evPath, labPath string) error {
	if err := writeFile(evPath, s.writeEvents); err != nil {
		return err
	}
	return writeFile(labPath, s.writeLabels)
}

// writeFile creates path and fills it with fill.
func writeFile(path string, fill func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeEvents writes the events as JSON lines, numbering them in order.
func (s *Sim) writeEvents(out io.Writer) error {
	w := bufio.NewWriterSize(out, 1<<20)
	uaJSON := make([]string, len(s.UAs))
	for i, u := range s.UAs {
		b, _ := json.Marshal(u)
		uaJSON[i] = string(b)
	}
	buf := make([]byte, 0, 512)
	for i, e := range s.Events {
		buf = buf[:0]
		buf = append(buf, `{"event_id":"e-`...)
		buf = strconv.AppendInt(buf, int64(i+1), 10)
		buf = append(buf, `","type":"`...)
		buf = append(buf, typNames[e.Typ]...)
		buf = append(buf, `","time":"`...)
		buf = time.Unix(e.T, 0).UTC().AppendFormat(buf, "2006-01-02T15:04:05Z")
		buf = append(buf, `","account_id":"a-`...)
		buf = strconv.AppendInt(buf, int64(e.Acct), 10)
		buf = append(buf, `","session_id":"s-`...)
		buf = strconv.AppendInt(buf, int64(e.Sess), 10)
		buf = append(buf, `","device_id":"d-`...)
		buf = strconv.AppendInt(buf, int64(e.Dev), 10)
		buf = append(buf, `","ip":"`...)
		buf = append(buf, e.IP...)
		buf = append(buf, '"')
		if s.Cfg.UA && e.UA >= 0 {
			buf = append(buf, `,"user_agent":`...)
			buf = append(buf, uaJSON[e.UA]...)
		}
		if e.Typ == 0 {
			buf = append(buf, `,"success":`...)
			buf = strconv.AppendBool(buf, !e.Fail)
		}
		buf = append(buf, "}\n"...)
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return w.Flush()
}

// writeLabels writes one label line per account.
func (s *Sim) writeLabels(out io.Writer) error {
	lw := bufio.NewWriter(out)
	for _, l := range s.Labels {
		ss := "null"
		if l.Sharing {
			ss = `"` + time.Unix(l.Start, 0).UTC().Format("2006-01-02T15:04:05Z") + `"`
		}
		fmt.Fprintf(lw, `{"account_id":"a-%d","scenario":"%s","sharing":%t,"sharing_start":%s}`+"\n", l.Acct, l.Scenario, l.Sharing, ss)
	}
	return lw.Flush()
}

// writeTruth writes the per-account details (--truth), one JSON object per
// account.
func (s *Sim) writeTruth(out io.Writer) error {
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	for _, l := range s.Labels {
		l.Info["account_id"] = fmt.Sprintf("a-%d", l.Acct)
		l.Info["scenario"] = l.Scenario
		if err := enc.Encode(l.Info); err != nil {
			return err
		}
	}
	return w.Flush()
}
