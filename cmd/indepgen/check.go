package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"
)

type evIn struct {
	EventID   *string `json:"event_id"`
	Type      *string `json:"type"`
	Time      *string `json:"time"`
	AccountID *string `json:"account_id"`
	SessionID *string `json:"session_id"`
	DeviceID  *string `json:"device_id"`
	IP        *string `json:"ip"`
	UserAgent *string `json:"user_agent"`
	Success   *bool   `json:"success"`
}

type accStat struct {
	events, homeCity, homeCC, mobile, hosting int
	devs, ips                                 map[string]bool
}

func runCheck(eventsPath, labelsPath, cityPath, asnPath string) int {
	bad := 0
	problem := func(f string, a ...any) {
		bad++
		if bad <= 20 {
			fmt.Fprintf(os.Stderr, "PROBLEM: "+f+"\n", a...)
		}
	}
	// labels
	lf, err := os.Open(labelsPath)
	if err != nil {
		fail(err)
	}
	labels := map[string]Label{}
	valid := map[string]bool{}
	for _, m := range scenarioMix {
		valid[m.Name] = true
	}
	sc := bufio.NewScanner(lf)
	for sc.Scan() {
		var raw map[string]any
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			problem("label json: %v", err)
			continue
		}
		for _, k := range []string{"account_id", "scenario", "sharing", "sharing_start", "home_country", "home_city"} {
			if _, ok := raw[k]; !ok {
				problem("label missing %s", k)
			}
		}
		var l Label
		json.Unmarshal(sc.Bytes(), &l)
		if !valid[l.Scenario] {
			problem("bad scenario %q", l.Scenario)
		}
		shouldShare := l.Scenario == "friend_sharer" || l.Scenario == "same_city_sharer" || l.Scenario == "reseller"
		if l.Sharing != shouldShare || (l.SharingStart != nil) != l.Sharing {
			problem("inconsistent sharing label %+v", l)
		}
		if l.SharingStart != nil {
			if _, err := time.Parse(time.RFC3339, *l.SharingStart); err != nil {
				problem("bad sharing_start %v", err)
			}
		}
		if _, dup := labels[l.AccountID]; dup {
			problem("duplicate label %s", l.AccountID)
		}
		labels[l.AccountID] = l
	}
	lf.Close()

	cdb, err := maxminddb.Open(cityPath)
	if err != nil {
		fail(err)
	}
	adb, err := maxminddb.Open(asnPath)
	if err != nil {
		fail(err)
	}
	// "mobile" = carrier ASNs that are not also fixed-line ISPs in our table
	mob := map[uint32]bool{}
	resAny := map[uint32]bool{}
	for _, c := range countries {
		for _, a := range c.Res {
			resAny[a] = true
		}
	}
	for _, c := range countries {
		for _, a := range c.Mob {
			if !resAny[a] {
				mob[a] = true
			}
		}
	}
	host := map[uint32]bool{}
	for _, p := range providers {
		host[p.ASN] = true
	}
	type ipInfo struct {
		city, cc string
		asn      uint32
		radius   uint16
		loc      *time.Location
	}
	locs := map[string]*time.Location{}
	var hourHist [24]int
	var dowHist [7]int
	ipCache := map[string]ipInfo{}

	ef, err := os.Open(eventsPath)
	if err != nil {
		fail(err)
	}
	defer ef.Close()
	br := bufio.NewReaderSize(ef, 1<<20)
	ids := map[string]bool{}
	stats := map[string]*accStat{}
	var last time.Time
	n, n6, nUA := 0, 0, 0
	types := map[string]int{}
	for {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			break
		}
		n++
		var e evIn
		if err := json.Unmarshal(line, &e); err != nil {
			problem("line %d: invalid json: %v", n, err)
			continue
		}
		if e.EventID == nil || *e.EventID == "" || e.Type == nil || e.Time == nil || e.AccountID == nil || *e.AccountID == "" || e.IP == nil {
			problem("line %d: missing required field", n)
			continue
		}
		if ids[*e.EventID] {
			problem("line %d: duplicate event_id", n)
		}
		ids[*e.EventID] = true
		types[*e.Type]++
		switch *e.Type {
		case "login":
			if e.DeviceID == nil || *e.DeviceID == "" {
				problem("line %d: login without device_id", n)
			}
		case "heartbeat", "logout":
			if e.SessionID == nil && e.DeviceID == nil {
				problem("line %d: %s without session_id/device_id", n, *e.Type)
			}
		default:
			problem("line %d: bad type %q", n, *e.Type)
		}
		t, err := time.Parse(time.RFC3339Nano, *e.Time)
		if err != nil || !strings.HasSuffix(*e.Time, "Z") || len(*e.Time) != 24 {
			problem("line %d: bad time %q", n, *e.Time)
		}
		if t.Before(last) {
			problem("line %d: not sorted by time", n)
		}
		last = t
		ip, err := netip.ParseAddr(*e.IP)
		if err != nil || ip.Is4In6() || ip.Zone() != "" {
			problem("line %d: bad ip %q", n, *e.IP)
			continue
		}
		if ip.Is6() {
			n6++
		}
		if e.UserAgent != nil {
			nUA++
		}
		l, ok := labels[*e.AccountID]
		if !ok {
			problem("line %d: account %s not in labels", n, *e.AccountID)
			continue
		}
		info, ok := ipCache[*e.IP]
		if !ok {
			var cr cityRecRaw
			cdb.Lookup(ip).Decode(&cr)
			var ar asnRecRaw
			adb.Lookup(ip).Decode(&ar)
			info = ipInfo{cr.City.Names["en"], cr.Country.ISOCode, ar.ASN, cr.Location.Radius, nil}
			if tz := cr.Location.TZ; tz != "" {
				l, ok := locs[tz]
				if !ok {
					l, _ = time.LoadLocation(tz)
					locs[tz] = l
				}
				info.loc = l
			}
			if cr.Country.ISOCode == "" {
				problem("ip %s has no country in the City DB", ip)
			}
			ipCache[*e.IP] = info
		}
		if *e.Type == "login" && info.loc != nil && !host[info.asn] {
			lt := t.In(info.loc)
			hourHist[lt.Hour()]++
			dowHist[lt.Weekday()]++
		}
		st := stats[l.AccountID]
		if st == nil {
			st = &accStat{devs: map[string]bool{}, ips: map[string]bool{}}
			stats[l.AccountID] = st
		}
		st.events++
		if info.city == l.HomeCity && info.cc == l.HomeCountry {
			st.homeCity++
		}
		if info.cc == l.HomeCountry {
			st.homeCC++
		}
		if mob[info.asn] {
			st.mobile++
		}
		if host[info.asn] {
			st.hosting++
		}
		if e.DeviceID != nil {
			st.devs[*e.DeviceID] = true
		}
		st.ips[*e.IP] = true
	}
	for id := range labels {
		if stats[id] == nil {
			problem("account %s has no events", id)
		}
	}
	fmt.Printf("events: %d (login %d, heartbeat %d, logout %d), ipv6 %.1f%%, with user_agent %.1f%%, distinct IPs %d\n",
		n, types["login"], types["heartbeat"], types["logout"], 100*float64(n6)/float64(max(n, 1)), 100*float64(nUA)/float64(max(n, 1)), len(ipCache))
	fmt.Printf("labels: %d accounts, %d with events\n", len(labels), len(stats))
	fmt.Printf("login local-hour histogram (IP's time zone, non-hosting):")
	for h, x := range hourHist {
		fmt.Printf(" %02d:%d", h, x)
	}
	fmt.Printf("\nlogins by local weekday Sun..Sat: %v\n", dowHist)
	// per-scenario aggregates
	type agg struct {
		accts                       int
		ev, home, homeCC, mob, host int
		devs, ips                   []int
	}
	ag := map[string]*agg{}
	for id, l := range labels {
		a := ag[l.Scenario]
		if a == nil {
			a = &agg{}
			ag[l.Scenario] = a
		}
		a.accts++
		if st := stats[id]; st != nil {
			a.ev += st.events
			a.home += st.homeCity
			a.homeCC += st.homeCC
			a.mob += st.mobile
			a.host += st.hosting
			a.devs = append(a.devs, len(st.devs))
			a.ips = append(a.ips, len(st.ips))
		}
	}
	med := func(x []int) int {
		if len(x) == 0 {
			return 0
		}
		sort.Ints(x)
		return x[len(x)/2]
	}
	fmt.Printf("%-17s %6s %9s %9s %9s %8s %8s %8s %8s\n", "scenario", "accts", "events", "inHomeCity", "inHomeCC", "mobileAS", "hosting", "medDevs", "medIPs")
	keys := make([]string, 0, len(ag))
	for k := range ag {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a := ag[k]
		f := func(x int) string { return fmt.Sprintf("%.1f%%", 100*float64(x)/float64(max(a.ev, 1))) }
		fmt.Printf("%-17s %6d %9d %9s %9s %8s %8s %8d %8d\n", k, a.accts, a.ev, f(a.home), f(a.homeCC), f(a.mob), f(a.host), med(a.devs), med(a.ips))
	}
	if bad > 0 {
		fmt.Printf("CHECK FAILED: %d problems\n", bad)
		return 1
	}
	fmt.Println("CHECK OK")
	return 0
}

// runInspect prints the session timeline of one account (login events plus IP changes).
func runInspect(eventsPath, labelsPath, cityPath, asnPath, acct string) int {
	cdb, err := maxminddb.Open(cityPath)
	if err != nil {
		fail(err)
	}
	adb, err := maxminddb.Open(asnPath)
	if err != nil {
		fail(err)
	}
	lf, _ := os.ReadFile(labelsPath)
	for _, ln := range strings.Split(string(lf), "\n") {
		if strings.Contains(ln, `"`+acct+`"`) {
			fmt.Println(ln)
		}
	}
	ef, err := os.Open(eventsPath)
	if err != nil {
		fail(err)
	}
	defer ef.Close()
	br := bufio.NewReaderSize(ef, 1<<20)
	lastIP := map[string]string{}
	for {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			break
		}
		if !strings.Contains(string(line), `"`+acct+`"`) {
			continue
		}
		var e evIn
		json.Unmarshal(line, &e)
		key := ""
		if e.SessionID != nil {
			key = *e.SessionID
		}
		if *e.Type != "login" && lastIP[key] == *e.IP {
			continue
		}
		lastIP[key] = *e.IP
		ip := netip.MustParseAddr(*e.IP)
		var cr cityRecRaw
		cdb.Lookup(ip).Decode(&cr)
		var ar asnRecRaw
		adb.Lookup(ip).Decode(&ar)
		dev, ua := "", ""
		if e.DeviceID != nil {
			dev = *e.DeviceID
			if len(dev) > 14 {
				dev = dev[:14]
			}
		}
		if e.UserAgent != nil {
			ua = *e.UserAgent
			if len(ua) > 60 {
				ua = ua[:60]
			}
		}
		sid := key
		if len(sid) > 8 {
			sid = sid[:8]
		}
		fmt.Printf("%s %-9s %-8s %-14s %-39s %s/%s r%d AS%d %.20s | %s\n", *e.Time, *e.Type, sid, dev, *e.IP, cr.Country.ISOCode, cr.City.Names["en"], cr.Location.Radius, ar.ASN, ar.Org, ua)
	}
	return 0
}
