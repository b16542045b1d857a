package main

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"sort"
	"strconv"
	"time"
)

func itoa(i int) string      { return strconv.Itoa(i) }
func sqrt(x float64) float64 { return math.Sqrt(x) }

var countriesByCC = map[string]*Country{}

func init() {
	for i := range countries {
		countriesByCC[countries[i].CC] = &countries[i]
	}
}

type Options struct {
	Accounts      int
	Days          int
	Seed          uint64
	Start         time.Time
	UAShare       float64
	IPv6Share     float64
	FriendPerWeek float64
	Intensity     float64
	GeoDrift      float64
	LogoutProb    float64
	MobileChurn   float64
	FailedLogin   float64
	CookieReset   float64
}

type Event struct {
	T    int64
	Seq  uint32
	Acc  int32
	Type uint8 // 0 login, 1 heartbeat, 2 logout, 3 failed login
	Sess string
	Dev  string
	IP   netip.Addr
	UA   string
	Blk  int32
}

type Place struct {
	City      *City
	Line      *Line
	Hotel     *Hotel
	FWA       *Carrier
	RouterVPN *VPNProf
	TripVPN   *VPNProf
	LocalSIM  *Carrier
	Fixed     []*Device
}

type Seg struct {
	a, b   int64
	P      *Place
	Travel bool // viewer carries only the devices in Take
	RateX  float64
}

type Viewer struct {
	Own      []*Device
	Take     []*Device
	Segs     []Seg
	Rate     float64
	HomeCC   string
	Carrier  *Carrier
	PMob     float64
	TabSIM   bool
	Tether   float64
	Churn    float64
	V6Mob    bool
	VPN      *VPNProf
	VPNShare float64
	VPNDevs  map[*Device]bool
	Commuter bool
	Sharer   bool
	busy     []ival
}

type Account struct {
	Idx          int32
	ID           string
	Scenario     string
	Sharing      bool
	Home         *City
	Viewers      []*Viewer
	DesignedFrom int64 // designed sharing start (ms)
	Pre          bool  // sharing began before the observation window
	firstShare   int64
}

type Sim struct {
	g          *Geo
	opt        Options
	start, end int64
	events     []Event
	seq        uint32
	carriers   map[string]*Carrier
	hotelCache map[uint32][]*Hotel
	exitCache  map[string][]Exit
	accs       []*Account
	ccList     []string
	ccW        []float64
}

func NewSim(g *Geo, o Options) *Sim {
	s := &Sim{g: g, opt: o, carriers: map[string]*Carrier{}, hotelCache: map[uint32][]*Hotel{}, exitCache: map[string][]Exit{}}
	s.start = o.Start.UnixMilli()
	s.end = o.Start.AddDate(0, 0, o.Days).UnixMilli()
	for _, c := range countries {
		if len(g.ByCC[c.CC]) > 0 {
			s.ccList = append(s.ccList, c.CC)
			s.ccW = append(s.ccW, c.W)
		}
	}
	return s
}

// ---------------- time-of-day model ----------------

var hourWeekday = []float64{2.0, 1.0, 0.4, 0.2, 0.1, 0.2, 0.5, 0.8, 0.8, 0.8, 0.9, 1.0, 1.4, 1.3, 1.1, 1.2, 1.6, 2.4, 3.6, 5.5, 7.5, 7.5, 5.5, 3.5}
var hourWeekend = []float64{2.5, 1.5, 0.6, 0.3, 0.1, 0.1, 0.3, 0.7, 1.2, 1.8, 2.3, 2.4, 2.5, 2.7, 2.9, 3.0, 3.3, 3.8, 4.3, 5.5, 7.0, 7.0, 5.5, 3.8}
var hourCommuter = []float64{1.5, 0.8, 0.3, 0.2, 0.2, 0.5, 1.5, 3.5, 3.5, 1.5, 1.2, 1.5, 3.0, 2.5, 1.2, 1.5, 2.5, 3.5, 3.5, 3.5, 4.5, 4.5, 3.5, 2.5}
var hours = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}

func poisson(r *rand.Rand, l float64) int {
	if l <= 0 {
		return 0
	}
	L := math.Exp(-l)
	k := 0
	p := 1.0
	for {
		p *= r.Float64()
		if p <= L {
			return k
		}
		k++
	}
}

func sampleDur(r *rand.Rand, weekend bool, h int) int64 {
	med := 55.0
	if weekend {
		med = 68
	}
	if h < 5 {
		med = 40
	}
	var m float64
	if r.Float64() < 0.08 {
		m = 120 + r.Float64()*60 // binge
	} else {
		m = med * math.Exp(r.NormFloat64()*0.5)
	}
	m = min(max(m, 20), 180)
	return int64(m * float64(msMin))
}

func lognorm(r *rand.Rand, med, sigma float64) float64 { return med * math.Exp(r.NormFloat64()*sigma) }

// ---------------- session generation ----------------

func (s *Sim) devicesAt(v *Viewer, sg *Seg) []*Device {
	var out []*Device
	if sg.Travel {
		out = append(out, v.Take...)
	} else {
		out = append(out, v.Own...)
	}
	out = append(out, sg.P.Fixed...)
	return out
}

func devWeight(d *Device, h int) float64 {
	ev := h >= 18 || h == 0
	switch d.Kind {
	case TV, Stick:
		if ev {
			return 3
		}
		return 1
	case Console:
		if ev {
			return 1.2
		}
		return 0.5
	case Phone:
		if ev {
			return 0.8
		}
		return 2
	case Tablet:
		return 1
	case Laptop:
		return 1
	default:
		return 0.8
	}
}

func (s *Sim) runViewer(a *Account, v *Viewer, r *rand.Rand) {
	for si := range v.Segs {
		sg := &v.Segs[si]
		if sg.b <= s.start-msDay || sg.a >= s.end {
			continue
		}
		loc := sg.P.City.Loc
		from := max(sg.a, s.start-msDay)
		d0 := time.UnixMilli(from).In(loc)
		day := time.Date(d0.Year(), d0.Month(), d0.Day(), 0, 0, 0, 0, loc)
		rateX := sg.RateX
		if rateX == 0 {
			rateX = 1
		}
		for ; day.UnixMilli() < min(sg.b, s.end); day = day.AddDate(0, 0, 1) {
			wd := day.Weekday()
			weekend := wd == time.Saturday || wd == time.Sunday
			f := 1.0
			if weekend {
				f = 1.35
			} else if wd == time.Friday {
				f = 1.15
			}
			n := poisson(r, v.Rate*f*rateX*s.opt.Intensity)
			for i := 0; i < n; i++ {
				hw := hourWeekday
				if weekend {
					hw = hourWeekend
				} else if v.Commuter {
					hw = hourCommuter
				}
				h := pickW(r, hours, hw)
				st := time.Date(day.Year(), day.Month(), day.Day(), h, r.IntN(60), r.IntN(60), r.IntN(1000)*1e6, loc)
				t0 := st.UnixMilli()
				if t0 < sg.a || t0 >= sg.b || t0 < s.start-4*msHour || t0 >= s.end {
					continue
				}
				t1 := t0 + sampleDur(r, weekend, h)
				if t1 > sg.b-5*msMin {
					t1 = sg.b - 5*msMin
				}
				if t1-t0 < 20*msMin {
					continue
				}
				if overlaps(v.busy, t0, t1) {
					continue
				}
				devs := s.devicesAt(v, sg)
				if len(devs) == 0 {
					continue
				}
				w := make([]float64, len(devs))
				for j, d := range devs {
					w[j] = devWeight(d, h)
				}
				var dev *Device
				for try := 0; try < 4; try++ {
					c := pickW(r, devs, w)
					if !overlaps(c.busy, t0, t1) {
						dev = c
						break
					}
				}
				if dev == nil {
					continue
				}
				s.session(a, v, sg, dev, t0, t1, h, r)
			}
		}
	}
}

func (s *Sim) placeSrc(v *Viewer, p *Place, d *Device, r *rand.Rand) netSrc {
	switch {
	case p.FWA != nil:
		return &mobSrc{c: p.FWA, six: v.V6Mob && d.V6, churn: 0.08}
	case p.Hotel != nil:
		return &fixedSrc{p.Hotel.IPs[r.IntN(len(p.Hotel.IPs))], p.Hotel.Blk}
	case p.Line != nil:
		six := len(p.Line.v6) > 0 && d.V6 && r.Float64() < 0.85
		return &lineSrc{p.Line, d, six}
	}
	return nil
}

func (s *Sim) mobileSrc(v *Viewer, p *Place, churn float64) netSrc {
	c := v.Carrier
	if p.LocalSIM != nil {
		c = p.LocalSIM
	}
	if c == nil {
		return nil
	}
	return &mobSrc{c: c, six: v.V6Mob, churn: churn}
}

func (s *Sim) session(a *Account, v *Viewer, sg *Seg, dev *Device, t0, t1 int64, h int, r *rand.Rand) {
	p := sg.P
	var src netSrc
	onPlaceNet := true
	// mobile data?
	pm := 0.0
	switch {
	case dev.Kind == Phone:
		pm = v.PMob
		if !v.Commuter && ((h >= 7 && h <= 9) || (h >= 12 && h <= 13) || (h >= 16 && h <= 18)) {
			pm = min(1, pm*2.5)
		}
	case dev.Kind == Tablet && v.TabSIM:
		pm = v.PMob * 0.8
	case dev.Kind == Laptop:
		pm = v.Tether
	}
	if p.Line == nil && p.Hotel == nil && p.FWA == nil && dev.Kind.Portable() {
		pm = 1
	}
	churn := s.opt.MobileChurn
	if v.Churn > 0 {
		churn = v.Churn
	}
	if pm > 0 && r.Float64() < pm {
		src = s.mobileSrc(v, p, churn)
		onPlaceNet = false
	}
	if src == nil {
		src = s.placeSrc(v, p, dev, r)
		onPlaceNet = true
	}
	if src == nil {
		return
	}
	// VPN overlays
	var vpn *VPNProf
	share := 0.0
	if onPlaceNet && p.RouterVPN != nil {
		vpn, share = p.RouterVPN, 0.85
	}
	if v.VPN != nil && v.VPNDevs[dev] {
		vpn, share = v.VPN, max(share, v.VPNShare)
	}
	if p.TripVPN != nil && dev.Kind.Portable() {
		vpn, share = p.TripVPN, 0.55
	}
	if vpn != nil && r.Float64() < share {
		vs := &vpnSrc{v: vpn, reconnect: 0.02}
		x := r.Float64()
		switch {
		case x < 0.25 && v.VPN != nil:
			// first tries without VPN, gives up after a few minutes, reconnects through the VPN
			s1 := t0 + int64((1+r.Float64()*3)*float64(msMin))
			s.emit(a, v, dev, t0, s1, src, r, true)
			t0 = s1 + int64((0.5+r.Float64()*5)*float64(msMin))
			src = vs
		case x < 0.37 && v.VPN != nil:
			// toggles VPN mid-stream (or drops it)
			at := t0 + int64(float64(t1-t0)*(0.2+0.6*r.Float64()))
			if r.Float64() < 0.5 {
				src = &switchSrc{a: src, b: vs, at: at}
			} else {
				src = &switchSrc{a: vs, b: src, at: at}
			}
		default:
			src = vs
		}
	}
	if t1-t0 < 10*msMin {
		return
	}
	s.emit(a, v, dev, t0, t1, src, r, false)
}

func (s *Sim) sessID(r *rand.Rand) string { return "s-" + hexs(r, 20) }

// emit writes login, heartbeats (every 5-15 min of watching) and usually a logout.
func (s *Sim) emit(a *Account, v *Viewer, d *Device, t0, t1 int64, src netSrc, r *rand.Rand, short bool) {
	v.busy = append(v.busy, ival{t0, t1})
	d.busy = append(d.busy, ival{t0, t1})
	sid := s.sessID(r)
	ip, blk := src.ip(s, r, t0, true)
	if !short && r.Float64() < s.opt.FailedLogin {
		tf := t0 - int64(5000+r.IntN(85000))
		s.add(a, Event{T: tf, Type: 3, Dev: d.ID(tf), IP: ip, UA: s.ua(d, tf), Blk: blk})
	}
	s.add(a, Event{T: t0, Type: 0, Sess: sid, Dev: d.ID(t0), IP: ip, UA: s.ua(d, t0), Blk: blk})
	if v.Sharer && t0 >= s.start && t0 >= a.DesignedFrom && (a.firstShare == 0 || t0 < a.firstShare) {
		a.firstShare = t0
	}
	if short {
		t := t1
		ip, blk = src.ip(s, r, t, false)
		s.add(a, Event{T: t, Type: 2, Sess: sid, Dev: s.hbDev(d, t), IP: ip, UA: s.ua(d, t), Blk: blk})
		return
	}
	base := 5 + r.Float64()*10
	t := t0
	for {
		g := base + (r.Float64() - 0.5) + float64(r.IntN(2000))/60000
		g = min(max(g, 5), 15)
		nt := t + int64(g*float64(msMin))
		if nt > t1 {
			break
		}
		t = nt
		ip, blk = src.ip(s, r, t, false)
		s.add(a, Event{T: t, Type: 1, Sess: sid, Dev: s.hbDev(d, t), IP: ip, UA: s.ua(d, t), Blk: blk})
	}
	if r.Float64() < s.opt.LogoutProb {
		te := max(t1, t+1000)
		ip, blk = src.ip(s, r, te, false)
		s.add(a, Event{T: te, Type: 2, Sess: sid, Dev: s.hbDev(d, te), IP: ip, UA: s.ua(d, te), Blk: blk})
	}
}

func (s *Sim) hbDev(d *Device, t int64) string {
	if d.HBDev {
		return d.ID(t)
	}
	return ""
}

func (s *Sim) ua(d *Device, t int64) string {
	if !d.SendsUA {
		return ""
	}
	return d.UA(t)
}

func (s *Sim) add(a *Account, e Event) {
	if e.T < s.start || e.T >= s.end {
		return
	}
	e.Acc = a.Idx
	e.Seq = s.seq
	s.seq++
	s.events = append(s.events, e)
}

func (s *Sim) SortEvents() {
	sort.Slice(s.events, func(i, j int) bool {
		if s.events[i].T != s.events[j].T {
			return s.events[i].T < s.events[j].T
		}
		return s.events[i].Seq < s.events[j].Seq
	})
}
