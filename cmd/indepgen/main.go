// indepgen: an independent synthetic population generator for account-sharing
// detection tests. See README.txt.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"time"
	_ "time/tzdata"
)

func main() {
	var (
		accounts  = flag.Int("accounts", 3000, "number of accounts")
		days      = flag.Int("days", 30, "length of the observation window in days")
		seed      = flag.Uint64("seed", 1, "PRNG seed")
		startS    = flag.String("start", "2026-10-01T00:00:00Z", "window start (RFC 3339)")
		eventsF   = flag.String("events", "events.jsonl", "events output file")
		labelsF   = flag.String("labels", "labels.jsonl", "labels output file")
		cityDB    = flag.String("city-db", "GeoLite2-City.mmdb", "GeoLite2 City database (real data: scripts/geolite2.sh DIR)")
		asnDB     = flag.String("asn-db", "GeoLite2-ASN.mmdb", "GeoLite2 ASN database")
		uaShare   = flag.Float64("ua-share", 0.9, "share of devices (hence events) that send a user_agent")
		v6Share   = flag.Float64("ipv6-share", 0.35, "share of home lines / mobile subscriptions that are dual-stack (where the ISP has IPv6 in the data)")
		fpw       = flag.Float64("friend-sessions-per-week", 4, "mean sessions per week of a sharer (friend) household")
		intensity = flag.Float64("intensity", 1.0, "global multiplier on viewing sessions per day")
		drift     = flag.Float64("geo-drift", 0.04, "probability that an IP re-assignment lands in the ISP's block of a nearby (<150 km) city")
		logout    = flag.Float64("logout-prob", 0.85, "probability that a session ends with an explicit logout")
		churn     = flag.Float64("mobile-churn", 0.06, "per-heartbeat probability that a mobile (CGNAT) session changes public IP")
		failed    = flag.Float64("failed-login", 0.012, "probability of a failed login attempt before a session")
		cookie    = flag.Float64("cookie-reset", 0.03, "weekly probability that a browser device gets a new device_id")
		check     = flag.Bool("check", false, "validate existing --events/--labels files instead of generating")
		inspect   = flag.String("inspect", "", "print the timeline of one account from existing --events/--labels files")
	)
	flag.Parse()
	if *inspect != "" {
		os.Exit(runInspect(*eventsF, *labelsF, *cityDB, *asnDB, *inspect))
	}
	if *check {
		os.Exit(runCheck(*eventsF, *labelsF, *cityDB, *asnDB))
	}
	start, err := time.Parse(time.RFC3339, *startS)
	if err != nil {
		fail(err)
	}
	opt := Options{Accounts: *accounts, Days: *days, Seed: *seed, Start: start.UTC(), UAShare: *uaShare, IPv6Share: *v6Share,
		FriendPerWeek: *fpw, Intensity: *intensity, GeoDrift: *drift, LogoutProb: *logout, MobileChurn: *churn,
		FailedLogin: *failed, CookieReset: *cookie}
	g, err := LoadGeo(*cityDB, *asnDB)
	if err != nil {
		fail(err)
	}
	t0 := time.Now()
	s := NewSim(g, opt)
	s.Run()
	fmt.Fprintf(os.Stderr, "simulated %d accounts, %d events in %v\n", len(s.accs), len(s.events), time.Since(t0).Round(time.Millisecond))
	s.SortEvents()
	// verify every distinct emitted address against the databases
	seen := map[netip.Addr]bool{}
	for i := range s.events {
		e := &s.events[i]
		if seen[e.IP] {
			continue
		}
		seen[e.IP] = true
		if !g.Verify(e.IP, e.Blk) {
			fmt.Fprintf(os.Stderr, "VERIFY FAIL %s blk %v\n", e.IP, g.Blocks[e.Blk])
		}
	}
	fmt.Fprintf(os.Stderr, "verified %d distinct IPs against City+ASN DBs: %d mismatches\n", g.verified, g.verifyFail)
	if err := s.writeEvents(*eventsF); err != nil {
		fail(err)
	}
	if err := s.writeLabels(*labelsF); err != nil {
		fail(err)
	}
	s.summary()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "error:", err)
	os.Exit(1)
}

var typeNames = []string{"login", "heartbeat", "logout", "login"}

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, fmt.Sprintf("\\u%04x", c)...)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func (s *Sim) writeEvents(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r := subRNG(s.opt.Seed, "event-ids")
	var b []byte
	for i := range s.events {
		e := &s.events[i]
		b = b[:0]
		b = append(b, `{"event_id":`...)
		b = appendJSONString(b, uuid4(r))
		b = append(b, `,"type":"`...)
		b = append(b, typeNames[e.Type]...)
		b = append(b, `","time":"`...)
		b = time.UnixMilli(e.T).UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
		b = append(b, `","account_id":`...)
		b = appendJSONString(b, s.accs[e.Acc].ID)
		if e.Sess != "" {
			b = append(b, `,"session_id":`...)
			b = appendJSONString(b, e.Sess)
		}
		if e.Dev != "" {
			b = append(b, `,"device_id":`...)
			b = appendJSONString(b, e.Dev)
		}
		b = append(b, `,"ip":"`...)
		b = e.IP.AppendTo(b)
		b = append(b, '"')
		if e.UA != "" {
			b = append(b, `,"user_agent":`...)
			b = appendJSONString(b, e.UA)
		}
		if e.Type == 3 {
			b = append(b, `,"success":false`...)
		}
		b = append(b, "}\n"...)
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

type Label struct {
	AccountID    string  `json:"account_id"`
	Scenario     string  `json:"scenario"`
	Sharing      bool    `json:"sharing"`
	SharingStart *string `json:"sharing_start"`
	HomeCountry  string  `json:"home_country"`
	HomeCity     string  `json:"home_city"`
}

func (s *Sim) label(a *Account) Label {
	l := Label{AccountID: a.ID, Scenario: a.Scenario, Sharing: a.Sharing, HomeCountry: a.Home.CC, HomeCity: a.Home.Name}
	if a.Sharing {
		t := a.DesignedFrom
		if !a.Pre && a.firstShare != 0 {
			t = a.firstShare
		}
		str := time.UnixMilli(t).UTC().Format("2006-01-02T15:04:05.000Z")
		l.SharingStart = &str
	}
	return l
}

func (s *Sim) writeLabels(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, a := range s.accs {
		if err := enc.Encode(s.label(a)); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func (s *Sim) summary() {
	cnt := map[string]int{}
	ev := map[string]int{}
	pre := map[string]int{}
	for _, a := range s.accs {
		cnt[a.Scenario]++
		if a.Pre {
			pre[a.Scenario]++
		}
	}
	types := [4]int{}
	v6 := 0
	withUA := 0
	for i := range s.events {
		e := &s.events[i]
		ev[s.accs[e.Acc].Scenario]++
		types[e.Type]++
		if e.IP.Is6() {
			v6++
		}
		if e.UA != "" {
			withUA++
		}
	}
	names := make([]string, 0, len(cnt))
	for k := range cnt {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Fprintf(os.Stderr, "%-18s %8s %10s %8s\n", "scenario", "accounts", "events", "pre-window")
	for _, k := range names {
		fmt.Fprintf(os.Stderr, "%-18s %8d %10d %8d\n", k, cnt[k], ev[k], pre[k])
	}
	n := len(s.events)
	fmt.Fprintf(os.Stderr, "events=%d login=%d heartbeat=%d logout=%d failed_login=%d ipv6=%.1f%% with_ua=%.1f%%\n",
		n, types[0], types[1], types[2], types[3], 100*float64(v6)/float64(n), 100*float64(withUA)/float64(n))
}
