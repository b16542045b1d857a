package main

// People, devices, where they are, when they watch, and the events that
// result.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

type Config struct {
	Seed          uint64
	Accounts      int
	Days          int
	IPv6Share     float64
	Heartbeats    bool
	UA            bool
	FriendPerWeek float64 // sessions per week of a sharing friend household
	TripDays      float64 // median trip length
	FailRate      float64
	Mix           map[string]float64
}

var Scenarios = []string{"solo", "household", "traveller", "two_homes", "mobile_heavy", "vpn_user", "friend_sharer", "same_city_sharer", "reseller"}

type Ev struct {
	T    int64
	Typ  uint8 // 0 login, 1 heartbeat, 2 logout
	Fail bool
	Acct int32
	Sess int32
	Dev  int32
	UA   int32 // -1: none
	IP   string
}

type Label struct {
	Acct     int
	Scenario string
	Sharing  bool
	Start    int64 // 0 = null
	Info     map[string]any
}

type Sim struct {
	Cfg          Config
	G            *Geo
	Start, End   time.Time
	Events       []Ev
	Labels       []Label
	UAs          []string
	uaIdx        map[string]int32
	tzCache      map[string]*time.Location
	carrierCache map[[3]int64][]int32
	nextDev      int32
	nextSess     int32
	homeCC       []string
	homeCCW      []float64
	vpnFallback  string // VPN exit country when the wanted one has no hosting networks (NL with real data)
}

func timeDate(y int, m time.Month, d, h, min int, loc *time.Location) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, loc)
}

func (s *Sim) tz(name string) *time.Location {
	if l, ok := s.tzCache[name]; ok {
		return l
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		l = time.UTC
	}
	s.tzCache[name] = l
	return l
}

// ---------------------------------------------------------------- devices

type DevKind int

const (
	TV DevKind = iota
	Stick
	Phone
	Tablet
	Desktop
)

type Device struct {
	ID       int32
	ID2      int32 // browser whose cookies got cleared: new id from T2
	T2       int64
	Kind     DevKind
	UA       int32
	UA2      int32 // app update
	UAT      int64
	Portable bool
	Place    int // for fixed devices: index of the place (home) they live at
	HB       int // heartbeat base interval, seconds
	Carrier  *Carrier
	VPN      bool // sessions on this device may go through the user's VPN
}

func (s *Sim) ua(str string) int32 {
	if i, ok := s.uaIdx[str]; ok {
		return i
	}
	i := int32(len(s.UAs))
	s.UAs = append(s.UAs, str)
	s.uaIdx[str] = i
	return i
}

func (s *Sim) newDevice(r *rand.Rand, k DevKind, place int, cc string) *Device {
	s.nextDev++
	d := &Device{ID: s.nextDev, Kind: k, Place: place, Portable: k == Phone || k == Tablet || k == Desktop}
	ua, ua2 := pickUA(r, k)
	d.UA = s.ua(ua)
	d.UA2 = d.UA
	if ua2 != "" && r.Float64() < 0.5 {
		d.UA2 = s.ua(ua2)
		d.UAT = s.Start.Unix() + r.Int64N(int64(s.Cfg.Days)*86400)
	}
	d.HB = 300 + r.IntN(601) // 5-15 min
	if k == Desktop && r.Float64() < 0.12 {
		s.nextDev++
		d.ID2 = s.nextDev
		d.T2 = s.Start.Unix() + r.Int64N(int64(s.Cfg.Days)*86400)
	}
	if k == Phone || (k == Tablet && r.Float64() < 0.3) {
		d.Carrier = s.pickCarrier(r, cc)
	}
	return d
}

func (d *Device) idAt(t int64) int32 {
	if d.ID2 != 0 && t >= d.T2 {
		return d.ID2
	}
	return d.ID
}

func (d *Device) uaAt(t int64) int32 {
	if d.UAT != 0 && t >= d.UAT {
		return d.UA2
	}
	return d.UA
}

// ---------------------------------------------------------------- places

type PlaceKind int

const (
	PHome PlaceKind = iota
	PHotel
)

type Place struct {
	Kind     PlaceKind
	Line     *Line // nil: the household has no fixed line (mobile router)
	Router   *Carrier
	City     int32
	TZ       *time.Location
	Abroad   bool   // away from the home country
	HomeCC   string // for VPN back home while abroad
	VPNShare float64
}

// A stay: the person is at a place during [From, To).
type Stay struct {
	From, To int64
	P        *Place
}

type Person struct {
	Devices  []*Device // personal, portable
	PerWeek  float64
	Stays    []Stay // sorted, non-overlapping; gaps = travelling
	From     int64  // no activity before (sharing start)
	MobileP  float64
	MobLocal float64 // probability that carrier address geolocates locally
	MobJump  float64 // per-heartbeat probability of a new carrier address
	VPNShare float64
	VPNCCs   []string
	vpnStick map[string]string
	Fixed    func(p *Place) []*Device // fixed devices available at a place
}

type Account struct {
	Idx      int
	People   []*Person
	Fixed    map[*Place][]*Device
	Scenario string
}

// ---------------------------------------------------------------- schedule

// hour-of-day weights for session starts (local time)
var hourW = [24]float64{2.2, 1.2, 0.6, 0.3, 0.15, 0.15, 0.4, 0.8, 0.9, 0.9, 1, 1.1, 1.6, 1.5, 1.4, 1.6, 2, 2.8, 4.2, 6.5, 8.5, 8.5, 6, 3.6}

func startHour(r *rand.Rand, weekend bool) int {
	w := hourW
	if weekend {
		for h := 9; h <= 17; h++ {
			w[h] *= 2.3
		}
		w[0] *= 1.4
		w[1] *= 1.4
	}
	return pickW(r, w[:])
}

func sessionLen(r *rand.Rand) int64 {
	if r.Float64() < 0.06 { // zapping, checking something
		return int64(120 + r.IntN(1080))
	}
	// lognormal, median 65 min, clipped to 20 min - 3 h
	m := math.Exp(math.Log(65) + 0.55*r.NormFloat64())
	m = math.Max(20, math.Min(180, m))
	return int64(m*60) + int64(r.IntN(60))
}

type sess struct {
	T, Dur int64
	P      *Place
	Person *Person
	Dev    *Device
}

// schedule draws session starts for a person over their stays.
func (s *Sim) schedule(r *rand.Rand, p *Person) []sess {
	var out []sess
	// person's own rhythm varies week to week
	for _, st := range p.Stays {
		from, to := st.From, st.To
		if from < p.From {
			from = p.From
		}
		if from >= to {
			continue
		}
		loc := st.P.TZ
		d0 := time.Unix(from, 0).In(loc)
		day := timeDate(d0.Year(), d0.Month(), d0.Day(), 0, 0, loc)
		for ; day.Unix() < to; day = day.AddDate(0, 0, 1) {
			wd := day.Weekday()
			weekend := wd == time.Saturday || wd == time.Sunday || wd == time.Friday && r.Float64() < 0.5
			lam := p.PerWeek / 7
			if weekend {
				lam *= 1.3
			} else {
				lam *= 0.88
			}
			n := poisson(r, lam)
			for i := 0; i < n; i++ {
				h := startHour(r, weekend)
				t := day.Add(time.Duration(h)*time.Hour + time.Duration(r.IntN(3600))*time.Second).Unix()
				if t < from || t >= to {
					continue
				}
				out = append(out, sess{T: t, Dur: sessionLen(r), P: st.P, Person: p})
			}
		}
	}
	return out
}

func poisson(r *rand.Rand, lam float64) int {
	L := math.Exp(-lam)
	k, p := 0, 1.0
	for {
		p *= r.Float64()
		if p < L {
			return k
		}
		k++
	}
}

// pickDevice chooses which device a session is on, given the place and the
// hour: big screens dominate evenings at home, phones daytime and away.
func pickDevice(r *rand.Rand, p *Person, pl *Place, fixed []*Device, hour int, weekend bool) *Device {
	var cand []*Device
	var w []float64
	evening := hour >= 18 || hour < 1
	for _, d := range append(append([]*Device{}, p.Devices...), fixed...) {
		x := 1.0
		switch d.Kind {
		case TV, Stick:
			x = 2.5
			if evening || weekend {
				x = 6
			}
		case Phone:
			x = 1.6
			if !evening {
				x = 3
			}
		case Tablet:
			x = 1.5
		case Desktop:
			x = 1.4
		}
		cand = append(cand, d)
		w = append(w, x)
	}
	if len(cand) == 0 {
		return nil
	}
	return cand[pickW(r, w)]
}

// ---------------------------------------------------------------- emission

type netCtx struct {
	kind    int // 0 line, 1 mobile, 2 vpn
	v6      bool
	ip      string
	carrier *Carrier
}

func (s *Sim) emitAccount(r *rand.Rand, a *Account, ss []sess) {
	// assign devices, then drop overlapping sessions per device
	for i := range ss {
		x := &ss[i]
		lt := time.Unix(x.T, 0).In(x.P.TZ)
		wd := lt.Weekday()
		x.Dev = pickDevice(r, x.Person, x.P, a.Fixed[x.P], lt.Hour(), wd == time.Saturday || wd == time.Sunday)
	}
	sort.SliceStable(ss, func(i, j int) bool { return ss[i].T < ss[j].T })
	busy := map[*Device]int64{}
	for _, x := range ss {
		if x.Dev == nil {
			continue
		}
		if x.T < busy[x.Dev]+60 {
			continue
		}
		busy[x.Dev] = x.T + x.Dur
		s.emitSession(r, a, x)
	}
}

func (s *Sim) emitSession(r *rand.Rand, a *Account, x sess) {
	p, d, pl := x.Person, x.Dev, x.P
	lt := time.Unix(x.T, 0).In(pl.TZ)
	hour := lt.Hour()

	// choose the network
	nc := netCtx{}
	mobP := 0.0
	if d.Carrier != nil {
		mobP = p.MobileP
		if hour >= 7 && hour < 19 && lt.Weekday() != time.Saturday && lt.Weekday() != time.Sunday {
			mobP = math.Min(0.95, mobP*2.5) // commute, lunch break
		}
		if pl.Kind == PHotel {
			mobP = math.Max(mobP, 0.35)
		}
	}
	vpnP := 0.0
	if d.VPN {
		vpnP = p.VPNShare
	}
	if pl.Abroad && d.Kind != TV && d.Kind != Stick {
		vpnP = math.Max(vpnP, pl.VPNShare)
	}
	switch {
	case pl.Line == nil && (d.Kind == TV || d.Kind == Stick || d.Carrier == nil):
		nc.kind, nc.carrier = 1, pl.Router // fixed wireless / mobile router at home
	case r.Float64() < vpnP:
		nc.kind = 2
	case d.Carrier != nil && r.Float64() < mobP:
		nc.kind, nc.carrier = 1, d.Carrier
	case pl.Line == nil:
		nc.kind, nc.carrier = 1, pl.Router
	}
	if nc.kind == 0 && pl.Line.HasV6 {
		nc.v6 = r.Float64() < 0.75 // happy eyeballs mostly picks v6
	}
	vpnCC := ""
	if nc.kind == 2 {
		if pl.Abroad && pl.VPNShare > 0 {
			vpnCC = pl.HomeCC
		} else {
			vpnCC = p.VPNCCs[r.IntN(len(p.VPNCCs))]
		}
		nc.ip = s.vpnIP(r, vpnCC, p.vpnStick)
	}
	if nc.kind == 1 {
		// roaming: data goes through the home carrier, home-country address
		nc.ip = s.mobileIP(r, nc.carrier, pl.City, p.MobLocal)
	}
	ipAt := func(t int64) string {
		switch nc.kind {
		case 0:
			per := pl.Line.at(t)
			if nc.v6 && per.prefix != 0 {
				day := uint64((t - s.Start.Unix() + 86400*10) / 86400)
				return v6String(per.prefix, splitmix(uint64(d.ID)<<20^day)|0x0200000000000000)
			}
			return per.v4
		case 1:
			if r.Float64() < p.MobJump {
				nc.ip = s.mobileIP(r, nc.carrier, pl.City, p.MobLocal)
			}
		}
		return nc.ip
	}

	acct := int32(a.Idx)
	if r.Float64() < s.Cfg.FailRate {
		s.nextSess++
		t := x.T - int64(15+r.IntN(90))
		s.Events = append(s.Events, Ev{T: t, Typ: 0, Fail: true, Acct: acct, Sess: s.nextSess, Dev: d.idAt(t), UA: d.uaAt(t), IP: ipAt(t)})
	}
	end := x.T + x.Dur
	// VPN users sometimes hop to another exit (or drop the VPN) after a few
	// minutes: the session is cut and a new login follows shortly.
	if nc.kind == 2 && r.Float64() < 0.2 {
		cut := x.T + int64(120+r.IntN(900))
		if cut < end-300 {
			s.emitOne(r, acct, d, x.T, cut, false, ipAt)
			t2 := cut + int64(30+r.IntN(240))
			if r.Float64() < 0.5 && pl.Line != nil {
				nc.kind = 0
				nc.v6 = false
			} else {
				cc2 := vpnCC
				if len(p.VPNCCs) > 0 {
					cc2 = p.VPNCCs[r.IntN(len(p.VPNCCs))]
				}
				nc.ip = s.vpnIP(r, cc2, map[string]string{})
			}
			s.emitOne(r, acct, d, t2, end, true, ipAt)
			return
		}
	}
	s.emitOne(r, acct, d, x.T, end, true, ipAt)
}

func (s *Sim) emitOne(r *rand.Rand, acct int32, d *Device, t0, end int64, allowLogout bool, ipAt func(int64) string) {
	s.nextSess++
	sid := s.nextSess
	s.Events = append(s.Events, Ev{T: t0, Typ: 0, Acct: acct, Sess: sid, Dev: d.idAt(t0), UA: d.uaAt(t0), IP: ipAt(t0)})
	if !s.Cfg.Heartbeats {
		return
	}
	t := t0
	for {
		t += int64(d.HB) + int64(r.IntN(61)) - 30
		if t >= end {
			break
		}
		s.Events = append(s.Events, Ev{T: t, Typ: 1, Acct: acct, Sess: sid, Dev: d.idAt(t0), UA: d.uaAt(t0), IP: ipAt(t)})
	}
	pLogout := map[DevKind]float64{TV: 0.15, Stick: 0.15, Phone: 0.35, Tablet: 0.35, Desktop: 0.5}[d.Kind]
	if allowLogout && r.Float64() < pLogout {
		s.Events = append(s.Events, Ev{T: end, Typ: 2, Acct: acct, Sess: sid, Dev: d.idAt(t0), UA: d.uaAt(t0), IP: ipAt(end)})
	}
}

func (s *Sim) String() string { return fmt.Sprintf("sim(%d events)", len(s.Events)) }
