package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"github.com/sharewatch/sharewatch/ingest"
)

const (
	minuteMS = int64(time.Minute / time.Millisecond)
	hourMS   = int64(time.Hour / time.Millisecond)
	dayMS    = 24 * hourMS
	never    = math.MaxInt64
)

type devKind uint8

const (
	devTV devKind = iota
	devPhone
	devLaptop
	devTablet
)

func (k devKind) portable() bool { return k != devTV }

// device is one client with a stable id. A device is in one place at a
// time: personal devices are where their person is, shared ones at home,
// stay devices (a hotel TV) only at their stay.
type device struct {
	id, ua   string
	kind     devKind
	from     int64 // active in [from, until)
	until    int64
	busy     int64   // no new session before this
	medianMS float64 // median session length
	affinity float64
	v6       bool // uses IPv6 where the home network offers it
	seed     uint64
}

func (d *device) free(t int64) bool { return t >= d.from && t < d.until && t >= d.busy }

// netKind is the kind of network a session is on.
type netKind uint8

const (
	netHome   netKind = iota // the household's own line (or a two_homes house)
	netMobile                // mobile carrier, coarse and jumping
	netHotel                 // hotel or guest Wi-Fi while travelling
	netVPN                   // hosting-provider exit
	netGuest                 // friends' home Wi-Fi during a visit
)

// epoch is one period of a home line's addressing.
type epoch struct {
	from  int64
	net   int // index into the pool's /24s
	host  byte
	v6sub byte // the /56 inside the pool's /48
}

// home is a residential line: an ISP pool in a city, renumbered now and
// then.
type home struct {
	pool   int
	city   int
	v6     bool
	epochs []epoch
}

func (h *home) at(t int64) epoch {
	i := len(h.epochs) - 1
	for i > 0 && h.epochs[i].from > t {
		i--
	}
	return h.epochs[i]
}

type stayKind uint8

const (
	stayTransit stayKind = iota // on the road or in the air: no sessions
	stayHotel                   // away on a trip
	stayHouse                   // the second home of two_homes
	stayVisit                   // an evening at friends'
)

// stay is a period a person spends away from home.
type stay struct {
	from, to int64
	kind     stayKind
	city     int
	tz       float64
	home     *home // house or friends' line
	hotelIPs []netip.Addr
	devices  []*device // seen only here (a hotel TV)
	vpnExits []int     // hosting pools used while away
	forced   bool      // at least one session happens here
}

// person streams from their own devices and the household's shared ones.
type person struct {
	hh        *household
	devices   []*device
	rate      float64 // sessions a day
	mobileP   float64
	mobileAny bool // laptops and tablets tether too
	vpnP      float64
	vpnExits  []int
	carrier   int // mobile pool
	shift     float64
	stays     []stay
	sharer    bool
	joinAt    int64   // no sessions before (sharers)
	first     *device // the lead sharer's device for the first session
	preTrip   []forcedSession
}

// forcedSession is a session that must be attempted at t on dev.
type forcedSession struct {
	t   int64
	dev *device
}

// locAt returns the stay at t (nil at home) and when that ends.
func (p *person) locAt(t int64) (*stay, int64) {
	i, found := slices.BinarySearchFunc(p.stays, t, func(s stay, t int64) int {
		switch {
		case s.from > t:
			return 1
		case s.to <= t:
			return -1
		}
		return 0
	})
	if found {
		return &p.stays[i], p.stays[i].to
	}
	if i < len(p.stays) {
		return nil, p.stays[i].from
	}
	return nil, never
}

func (p *person) tzAt(t int64) float64 {
	if st, _ := p.locAt(t); st != nil && st.kind != stayTransit {
		return st.tz
	}
	return p.hh.tz
}

func (p *person) hasPortable() bool {
	for _, d := range p.devices {
		if d.kind.portable() {
			return true
		}
	}
	return false
}

// household is people sharing one home line and its shared devices.
type household struct {
	home   *home
	city   int
	tz     float64
	people []*person
	shared []*device
}

// account is one subscription and everyone who uses it. It generates its
// events lazily, a day at a time.
type account struct {
	idx      int
	id, num  string
	scenario string
	w        *World
	cfg      *Config
	r        *rand.Rand
	idSeed   uint64
	start    int64
	end      int64
	hhs      []*household
	logoutP  float64
	failP    float64
	devIDs   map[string]bool
	label    Label

	nextDay int
	buf     []pendingEvent
	head    int
	headT   int64
	seq     uint32
	cands   []candidate
}

// pendingEvent is an event generated but not yet emitted.
type pendingEvent struct {
	t      int64 // unix ms
	seq    uint32
	typ    ingest.Type
	failed bool
	ip     netip.Addr
	s      *session
}

// session is what the events of one login share; its fields beyond the
// ids are ground truth for tests.
type session struct {
	id   string
	dev  *device
	p    *person
	net  netKind
	city int // where the person really is
}

func (a *account) uniform(lo, hi float64) float64 { return lo + a.r.Float64()*(hi-lo) }
func (a *account) chance(p float64) bool          { return a.r.Float64() < p }
func (a *account) between(lo, hi int) int         { return lo + a.r.IntN(hi-lo+1) }

func (a *account) poisson(lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= a.r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// scaledCount draws from [lo, hi] and applies DevicesScale.
func (a *account) scaledCount(lo, hi int) int {
	return max(1, int(math.Round(float64(a.between(lo, hi))*a.cfg.DevicesScale)))
}

func (a *account) dayStart(d int) int64 { return a.start + int64(d)*dayMS }

// startHour is Start's time of day in UTC hours: simulated days need not
// begin at midnight.
func (a *account) startHour() float64 {
	return float64(((a.start%dayMS)+dayMS)%dayMS) / float64(hourMS)
}

// localTime returns the first instant at or after the start of simulated
// day d whose local time is hour h.
func (a *account) localTime(d int, h, tz float64) int64 {
	m := math.Mod(h-tz-a.startHour(), 24)
	if m < 0 {
		m += 24
	}
	return a.dayStart(d) + int64(m*float64(hourMS))
}

// localClock returns the instant of local hour h on the local date of
// simulated day d (unlike localTime it does not wrap, so evenings west of
// UTC fall on the next UTC day).
func (a *account) localClock(d int, h, tz float64) int64 {
	return a.dayStart(d) + int64((h-tz-a.startHour())*float64(hourMS))
}

var medianMinutes = [...][2]float64{devTV: {50, 100}, devPhone: {20, 45}, devLaptop: {35, 80}, devTablet: {28, 60}}

func (a *account) newDevice(kind devKind, from int64) *device {
	var id string
	for {
		id = fmt.Sprintf("d-%s-%06x", a.num, a.r.Uint32()&0xffffff)
		if !a.devIDs[id] {
			break
		}
	}
	a.devIDs[id] = true
	uas := userAgents[kind]
	m := medianMinutes[kind]
	return &device{
		id: id, ua: uas[a.r.IntN(len(uas))], kind: kind, from: from, until: never,
		medianMS: a.uniform(m[0], m[1]) * float64(minuteMS), affinity: a.uniform(0.5, 1.5),
		v6: a.chance(0.7), seed: a.r.Uint64(),
	}
}

// newHome connects a line of ISP prov in city c. avoidNet, when >= 0,
// is a /24 the line must not use (and keep24 pins it to its first /24).
func (a *account) newHome(c, prov int, avoidNet int, keep24 bool) *home {
	pid := a.w.residentialPool(prov, c)
	pl := &a.w.pools[pid]
	h := &home{pool: pid, city: c, v6: pl.v6.IsValid() && a.chance(0.6)}
	pickNet := func(not int) int {
		var ok []int
		for n := range pl.nets {
			if n != not && n != avoidNet {
				ok = append(ok, n)
			}
		}
		if len(ok) == 0 {
			return max(0, not)
		}
		return ok[a.r.IntN(len(ok))]
	}
	e := epoch{from: math.MinInt64, net: pickNet(-1), host: byte(a.between(2, 254)), v6sub: byte(a.r.IntN(256))}
	h.epochs = append(h.epochs, e)
	meanDays := a.uniform(10, 45)
	t := a.start
	for {
		t += int64(a.r.ExpFloat64() * meanDays * float64(dayMS))
		if t >= a.end {
			break
		}
		if !keep24 && a.chance(0.35) {
			e.net = pickNet(e.net)
		}
		e.host = byte(a.between(2, 254))
		if a.chance(0.5) {
			e.v6sub = byte(a.r.IntN(256))
		}
		e.from = t
		h.epochs = append(h.epochs, e)
	}
	return h
}

func (a *account) randomISP(c int) int {
	n := a.w.nation(c)
	return n.residential[a.r.IntN(len(n.residential))]
}

func (a *account) newPerson(hh *household, rateLo, rateHi float64) *person {
	n := a.w.nation(hh.city)
	carrier := n.mobile[a.r.IntN(len(n.mobile))]
	p := &person{
		hh:      hh,
		rate:    a.uniform(rateLo, rateHi) * a.cfg.SessionRateScale,
		mobileP: min(0.95, a.uniform(0.04, 0.3)*a.cfg.MobileShareScale),
		carrier: a.w.mob[carrier],
		shift:   a.uniform(-1.5, 1.5),
		joinAt:  math.MinInt64,
	}
	hh.people = append(hh.people, p)
	return p
}

// hhSpec says how to furnish a household.
type hhSpec struct {
	people, devices int
	rateLo, rateHi  float64
	portableOnly    bool // no TVs (two_homes, mobile_heavy)
	solo            bool // a single device may be anything
}

func (a *account) newHousehold(c, prov int, h *home, spec hhSpec) *household {
	if h == nil {
		h = a.newHome(c, prov, -1, false)
	}
	hh := &household{home: h, city: c, tz: cities[c].TZ}
	people := max(1, min(spec.people, spec.devices))
	for range people {
		a.newPerson(hh, spec.rateLo, spec.rateHi)
	}
	left := spec.devices
	give := func(kind devKind, p *person) {
		d := a.newDevice(kind, math.MinInt64)
		if kind == devTV {
			hh.shared = append(hh.shared, d)
		} else {
			p.devices = append(p.devices, d)
		}
		left--
	}
	if spec.solo && left == 1 {
		give(weighted[devKind]{vals: []devKind{devTV, devLaptop, devPhone, devTablet}, w: []float64{0.35, 0.25, 0.25, 0.15}}.pick(a.r), hh.people[0])
		return hh
	}
	for _, p := range hh.people {
		if left > 0 {
			give(devPhone, p)
		}
	}
	if left > 0 && !spec.portableOnly {
		give(devTV, hh.people[0])
	}
	extra := weighted[devKind]{vals: []devKind{devLaptop, devTablet, devTV, devPhone}, w: []float64{0.35, 0.3, 0.2, 0.15}}
	if spec.portableOnly {
		extra.w[2] = 0
	}
	for left > 0 {
		give(extra.pick(a.r), hh.people[a.r.IntN(len(hh.people))])
	}
	return hh
}

// build creates everyone on the account according to its scenario.
func (a *account) build() {
	w := a.w
	c := w.pickHome(a.r)
	var owner *household
	standard := func(people, devices int, lo, hi float64) *household {
		return a.newHousehold(c, a.randomISP(c), nil, hhSpec{people: people, devices: devices, rateLo: lo, rateHi: hi})
	}
	soloSpec := func() hhSpec {
		return hhSpec{people: 1, devices: a.scaledCount(1, 2), rateLo: 0.9, rateHi: 2.4, solo: true}
	}
	ownerMaybeFamily := func() *household {
		if a.chance(0.5) {
			return a.newHousehold(c, a.randomISP(c), nil, soloSpec())
		}
		return standard(a.between(2, 4), a.scaledCount(3, 7), 0.45, 1.3)
	}
	switch a.scenario {
	case ScenarioSolo:
		owner = a.newHousehold(c, a.randomISP(c), nil, soloSpec())
	case ScenarioHousehold:
		owner = standard(a.between(2, 4), a.scaledCount(3, 7), 0.45, 1.3)
	case ScenarioTraveller:
		owner = standard(a.between(2, 4), max(3, a.scaledCount(3, 7)), 0.45, 1.3)
		p := owner.people[0]
		if a.chance(0.5) {
			p.devices = append(p.devices, a.newDevice(devLaptop, math.MinInt64))
		}
		a.hhs = append(a.hhs, owner)
		a.addTrips(p)
	case ScenarioTwoHomes:
		c = a.pickTwoHomesFlat()
		owner = a.newHousehold(c, a.randomISP(c), nil, hhSpec{people: 1, devices: a.scaledCount(1, 3), rateLo: 0.8, rateHi: 2, portableOnly: true})
		a.hhs = append(a.hhs, owner)
		a.addCountryHouse(owner.people[0])
	case ScenarioMobileHeavy:
		people := 1
		if a.chance(0.2) {
			people = 2
		}
		owner = a.newHousehold(c, a.randomISP(c), nil, hhSpec{people: people, devices: a.scaledCount(people, 3), rateLo: 0.8, rateHi: 2.2, portableOnly: true})
		for _, p := range owner.people {
			p.mobileP = min(0.97, a.uniform(0.65, 0.92)*math.Sqrt(a.cfg.MobileShareScale))
			p.mobileAny = true
		}
	case ScenarioVPNUser:
		people := 1
		if a.chance(0.35) {
			people = 2
		}
		owner = a.newHousehold(c, a.randomISP(c), nil, hhSpec{people: people, devices: a.scaledCount(1, 4), rateLo: 0.6, rateHi: 1.8})
		p := owner.people[0]
		p.vpnP = a.uniform(0.3, 0.7)
		p.vpnExits = a.vpnExitsAbroad(c)
	case ScenarioFriendSharer, ScenarioSameCitySharer:
		owner = ownerMaybeFamily()
		a.hhs = append(a.hhs, owner)
		a.addSharers(owner)
	case ScenarioReseller:
		owner = a.newHousehold(c, a.randomISP(c), nil, soloSpec())
		a.hhs = append(a.hhs, owner)
		a.addSharers(owner)
	}
	if len(a.hhs) == 0 || a.hhs[0] != owner {
		a.hhs = append([]*household{owner}, a.hhs...)
	}
	a.addNoise(owner)
	for _, hh := range a.hhs {
		for _, p := range hh.people {
			slices.SortFunc(p.stays, func(x, y stay) int { return cmpInt64(x.from, y.from) })
		}
	}
	a.label = Label{
		AccountID:   a.id,
		Scenario:    a.scenario,
		Sharing:     IsSharing(a.scenario),
		HomeCountry: cities[owner.city].Country,
		HomeCity:    cities[owner.city].Name,
	}
	if a.label.Sharing {
		first := int64(never)
		for _, hh := range a.hhs[1:] {
			for _, p := range hh.people {
				if p.first != nil {
					first = min(first, p.joinAt)
				}
			}
		}
		t := time.UnixMilli(first).UTC()
		a.label.SharingStart = &t
	}
}

func cmpInt64(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// vpnExitsAbroad picks the exits of a VPN user: two to four favourite
// countries other than home, one or two exits in each.
func (a *account) vpnExitsAbroad(home int) []int {
	homeCC := cities[home].Country
	fav := map[string]float64{"US": 3, "GB": 2, "JP": 1, "CA": 1, "NL": 1, "DE": 1}
	var ccs []string
	var ws []float64
	for _, c := range countries {
		if c.Code == homeCC || len(a.w.vpnByCountry[c.Code]) == 0 {
			continue
		}
		ccs = append(ccs, c.Code)
		wt := fav[c.Code]
		if wt == 0 {
			wt = 0.4
		}
		ws = append(ws, wt)
	}
	d := weighted[string]{vals: ccs, w: ws}
	var exits []int
	n := a.between(2, 4)
	for range n {
		cc := d.pick(a.r)
		pools := a.w.vpnByCountry[cc]
		for range a.between(1, 2) {
			if e := pools[a.r.IntN(len(pools))]; !slices.Contains(exits, e) {
				exits = append(exits, e)
			}
		}
	}
	return exits
}

// addTrips sends a traveller away one to three times (scaled by TripRate
// and Days). The rest of the household stays home.
func (a *account) addTrips(p *person) {
	days := a.cfg.Days
	n := int(math.Round(a.uniform(1, 3) * a.cfg.TripRate * float64(days) / 30))
	if n < 1 && days >= 3 {
		n = 1
	}
	home := p.hh.city
	homeCC := cities[home].Country
	cursor := 0
	for k := range n {
		remaining := days - cursor
		if remaining < 2 {
			break
		}
		slot := remaining / (n - k)
		startDay := cursor + a.r.IntN(max(1, slot/2+1))
		length := a.between(2, 10)
		dest := -1
		if a.chance(0.4) {
			dest = a.w.pickCity(a.r, func(c int) float64 {
				if cities[c].Country == homeCC && a.w.dist[home][c] >= 100 {
					return 1
				}
				return 0
			})
		}
		if dest < 0 {
			dest = a.w.pickCity(a.r, func(c int) float64 {
				if cities[c].Country == homeCC {
					return 0
				}
				return 1 / (1 + a.w.dist[home][c]/1500)
			})
		}
		dist := a.w.dist[home][dest]
		travel := a.travelHours(dist)
		depart := a.localClock(startDay, a.uniform(6, 15), cities[home].TZ)
		if depart < a.start {
			depart += dayMS
		}
		arrive := depart + int64(travel*float64(hourMS))
		back := a.localClock(startDay+length, a.uniform(8, 18), cities[dest].TZ)
		if back < arrive+dayMS {
			back = arrive + dayMS
		}
		home2 := back + int64(a.travelHours(dist)*float64(hourMS))
		bz := a.w.biz[dest]
		hp := &a.w.pools[bz[a.r.IntN(len(bz))]]
		hn := hp.nets[a.r.IntN(len(hp.nets))]
		net := hn.Addr().As4()
		h1, h2 := net, net
		h1[3], h2[3] = byte(a.between(2, 126)), byte(a.between(127, 254))
		st := stay{
			from: arrive, to: back, kind: stayHotel, city: dest, tz: cities[dest].TZ,
			hotelIPs: []netip.Addr{within(hn, netip.AddrFrom4(h1)), within(hn, netip.AddrFrom4(h2))},
		}
		if a.chance(0.4) {
			tv := a.newDevice(devTV, arrive)
			tv.until = back
			tv.ua = hotelTVAgents[a.r.IntN(len(hotelTVAgents))]
			st.devices = append(st.devices, tv)
		}
		if cities[dest].Country != homeCC && a.chance(0.3) {
			pools := a.w.vpnByCountry[homeCC]
			if len(pools) == 0 {
				pools = a.w.hostByCountry[homeCC]
			}
			for range min(len(pools), a.between(1, 2)) {
				if e := pools[a.r.IntN(len(pools))]; !slices.Contains(st.vpnExits, e) {
					st.vpnExits = append(st.vpnExits, e)
				}
			}
		}
		// Before leaving, the owner often streams at home on a device they
		// take along, so it shows up away "after a plausible travel time".
		if a.chance(a.cfg.DepartureSessionP) {
			var portable []*device
			for _, d := range p.devices {
				if d.kind.portable() {
					portable = append(portable, d)
				}
			}
			if len(portable) > 0 {
				t := depart - int64(a.uniform(1.5, 4)*float64(hourMS))
				if t > a.start {
					p.preTrip = append(p.preTrip, forcedSession{t: t, dev: portable[a.r.IntN(len(portable))]})
				}
			}
		}
		p.stays = append(p.stays,
			stay{from: depart, to: arrive, kind: stayTransit},
			st,
			stay{from: back, to: home2, kind: stayTransit},
		)
		cursor = int((home2-a.start)/dayMS) + 1 + a.r.IntN(3)
	}
}

// travelHours is door-to-door time: driving below 400 km, otherwise a
// ~700 km/h flight plus two to four hours of airports.
func (a *account) travelHours(km float64) float64 {
	if km < 400 {
		return km/a.uniform(70, 100) + a.uniform(0.2, 0.8)
	}
	return km/700 + a.uniform(2, 4)
}

// twoHomesRange is how far a two_homes country house is from the flat.
const twoHomesMinKM, twoHomesMaxKM = 40, 300

// houseWeight is how likely city c is to hold the country house of
// someone living in flat.
func houseWeight(w *World, flat, c int) float64 {
	d := w.dist[flat][c]
	if c == flat || d < twoHomesMinKM || d > twoHomesMaxKM {
		return 0
	}
	if cities[c].Country == cities[flat].Country {
		return 3 / cities[c].Pop // country houses are in small places
	}
	return 1 / cities[c].Pop
}

func (a *account) pickTwoHomesFlat() int {
	return a.w.pickCity(a.r, func(c int) float64 {
		if _, ok := slices.BinarySearch(a.w.twoHomesFlats, c); ok {
			return 1
		}
		return 0
	})
}

// addCountryHouse gives a two_homes person weekends at a second home on
// another ISP, driving there and back.
func (a *account) addCountryHouse(p *person) {
	flat := p.hh.city
	var cands []int
	var ws []float64
	for _, c := range a.w.populated {
		if wt := houseWeight(a.w, flat, c); wt > 0 {
			cands = append(cands, c)
			ws = append(ws, wt)
		}
	}
	house := weighted[int]{vals: cands, w: ws}.pick(a.r)
	// A different ISP from the flat's (automatically so abroad).
	flatISP := a.w.pools[p.hh.home.pool].prov
	isp := a.randomISP(house)
	if n := a.w.nation(house); len(n.residential) > 1 {
		for isp == flatISP {
			isp = a.randomISP(house)
		}
	}
	h := a.newHome(house, isp, -1, false)
	dist := a.w.dist[flat][house]
	tz := cities[flat].TZ
	skip := a.uniform(0.05, 0.25)
	for d := range a.cfg.Days {
		wd := time.UnixMilli(a.localClock(d, 12, 0)).UTC().Weekday()
		if wd != time.Friday || a.chance(skip) {
			continue
		}
		long := a.chance(0.1)
		var dep, ret int64
		switch {
		case long:
			dep = a.localClock(d-1, a.uniform(15, 20), tz)
		case a.chance(0.2):
			dep = a.localClock(d+1, a.uniform(8, 11), tz)
		default:
			dep = a.localClock(d, a.uniform(16, 20), tz)
		}
		switch {
		case long:
			ret = a.localClock(d+4, a.uniform(6, 19), tz)
		case a.chance(0.3):
			ret = a.localClock(d+3, a.uniform(5, 8), tz)
		default:
			ret = a.localClock(d+2, a.uniform(15, 21), tz)
		}
		if dep < a.start {
			continue
		}
		drive := int64(a.travelHours(dist) * float64(hourMS))
		p.stays = append(p.stays,
			stay{from: dep, to: dep + drive, kind: stayTransit},
			stay{from: dep + drive, to: ret, kind: stayHouse, city: house, tz: cities[house].TZ, home: h},
			stay{from: ret, to: ret + drive, kind: stayTransit},
		)
	}
}

// sharingStartDay draws the day sharing begins: day 0 for a quarter of
// accounts, otherwise uniform in [0, Days/2].
func (a *account) sharingStartDay() int {
	if a.chance(0.25) {
		return 0
	}
	return a.r.IntN(a.cfg.Days/2 + 1)
}

// addSharers adds the people outside the household: a friend's household
// (elsewhere or in the same city) or a reseller's customers.
func (a *account) addSharers(owner *household) {
	c := owner.city
	day := a.sharingStartDay()
	lead := func(p *person, hh *household) {
		devs := append(slices.Clone(p.devices), hh.shared...)
		p.first = devs[a.r.IntN(len(devs))]
		p.joinAt = max(a.localTime(day, a.uniform(18.5, 22), hh.tz), a.dayStart(day)+10*minuteMS)
	}
	switch a.scenario {
	case ScenarioFriendSharer, ScenarioSameCitySharer:
		fc := c
		var h *home
		prov := a.randomISP(c)
		if a.scenario == ScenarioFriendSharer {
			fc = a.w.pickCity(a.r, func(o int) float64 {
				d := a.w.dist[c][o]
				if d < 50 || d > 2000 {
					return 0
				}
				if cities[o].Country == cities[c].Country {
					return 3
				}
				return 1
			})
			if fc < 0 {
				fc = a.w.nearest(c)
			}
			prov = a.randomISP(fc)
		} else {
			ownerProv := a.w.pools[owner.home.pool].prov
			n := a.w.nation(c)
			pl := &a.w.pools[owner.home.pool]
			if a.chance(0.3) && len(pl.nets) > 1 {
				// Same ISP, another /24; both lines keep their /24.
				owner.home = a.newHome(c, ownerProv, -1, true)
				h = a.newHome(c, ownerProv, owner.home.epochs[0].net, true)
				prov = ownerProv
			} else if len(n.residential) > 1 {
				for prov == ownerProv {
					prov = a.randomISP(c)
				}
			}
		}
		total := a.cfg.SharerActivity * a.uniform(0.6, 1.4) / 7
		people := a.between(1, 2)
		devices := a.between(1, 4)
		hh := a.newHousehold(fc, prov, h, hhSpec{people: people, devices: devices, rateLo: 1, rateHi: 1})
		for _, p := range hh.people {
			p.rate = total / float64(len(hh.people))
			p.mobileP = a.uniform(0, 0.15)
			p.sharer = true
		}
		lead(hh.people[0], hh)
		for _, p := range hh.people[1:] {
			p.joinAt = hh.people[0].joinAt
		}
		a.hhs = append(a.hhs, hh)
	case ScenarioReseller:
		n := a.between(5, 15)
		var joined int64
		for i := range n {
			cc := -1
			if a.chance(0.5) {
				cc = a.w.pickCity(a.r, func(o int) float64 {
					if o != c && cities[o].Country == cities[c].Country {
						return 1
					}
					return 0
				})
			}
			if cc < 0 {
				cc = a.w.pickCity(a.r, func(o int) float64 {
					if o == c {
						return 0
					}
					return 1
				})
			}
			hh := a.newHousehold(cc, a.randomISP(cc), nil, hhSpec{people: 1, devices: a.between(1, 2), rateLo: 0.6, rateHi: 1.6})
			p := hh.people[0]
			p.sharer = true
			p.mobileP = a.uniform(0, 0.2)
			if i == 0 {
				lead(p, hh)
				joined = p.joinAt
			} else {
				p.joinAt = joined + int64(a.uniform(0, 10)*float64(dayMS))
			}
			a.hhs = append(a.hhs, hh)
		}
	}
}

// addNoise adds what happens in every account: evenings at friends' with
// the phone on their Wi-Fi, and a new phone replacing an old one.
func (a *account) addNoise(owner *household) {
	days := a.cfg.Days
	for _, p := range owner.people {
		if !p.hasPortable() {
			continue
		}
		visits := a.poisson(a.uniform(0.05, 0.25) * float64(days) / 7)
		for range visits {
			d := a.r.IntN(days)
			from := a.localTime(d, a.uniform(18, 20.5), owner.tz)
			to := from + int64(a.uniform(2.5, 5)*float64(hourMS))
			if overlaps(p.stays, from-hourMS, to+hourMS) {
				continue
			}
			vc := owner.city
			if a.chance(0.3) {
				if o := a.w.pickCity(a.r, func(o int) float64 {
					if o != vc && a.w.dist[vc][o] <= 80 {
						return 1
					}
					return 0
				}); o >= 0 {
					vc = o
				}
			}
			h := a.newHome(vc, a.randomISP(vc), -1, false)
			p.stays = append(p.stays, stay{from: from, to: to, kind: stayVisit, city: vc, tz: cities[vc].TZ, home: h, forced: true})
			slices.SortFunc(p.stays, func(x, y stay) int { return cmpInt64(x.from, y.from) })
		}
	}
	if days >= 2 && a.chance(min(1, a.uniform(0.1, 0.3)*float64(days)/30)) {
		var phones []*device
		var owners []*person
		for _, p := range owner.people {
			for _, d := range p.devices {
				if d.kind == devPhone {
					phones, owners = append(phones, d), append(owners, p)
				}
			}
		}
		if len(phones) > 0 {
			i := a.r.IntN(len(phones))
			t := a.localTime(a.between(1, days-1), a.uniform(10, 20), owner.tz)
			nd := a.newDevice(devPhone, t)
			if a.chance(0.7) {
				phones[i].until = t
			}
			owners[i].devices = append(owners[i].devices, nd)
		}
	}
}

func overlaps(stays []stay, from, to int64) bool {
	for _, s := range stays {
		if s.from < to && from < s.to {
			return true
		}
	}
	return false
}
