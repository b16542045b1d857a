package simulate

import (
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/sharewatch/sharewatch/ingest"
)

// Relative session starts per local hour: evening-heavy, flatter and
// later at weekends.
var (
	diurnalWeekday = cumulative([]float64{2.0, 1.0, 0.5, 0.3, 0.2, 0.3, 0.8, 1.4, 1.3, 1.0, 1.0, 1.1, 1.6, 1.4, 1.2, 1.3, 1.8, 2.8, 4.2, 6.0, 8.0, 8.5, 6.0, 3.5})
	diurnalWeekend = cumulative([]float64{3.0, 1.8, 0.9, 0.4, 0.2, 0.2, 0.4, 0.9, 1.6, 2.2, 2.6, 2.8, 3.0, 3.2, 3.4, 3.6, 4.0, 4.6, 5.4, 6.6, 8.0, 8.2, 6.5, 4.5})
)

func cumulative(w []float64) []float64 {
	out := make([]float64, len(w))
	var s float64
	for i, x := range w {
		s += x
		out[i] = s
	}
	return out
}

func (a *account) sampleHour(weekend bool) float64 {
	cum := diurnalWeekday
	if weekend {
		cum = diurnalWeekend
	}
	x := a.r.Float64() * cum[len(cum)-1]
	i, _ := slices.BinarySearch(cum, x)
	return float64(min(i, 23)) + a.r.Float64()
}

// candidate is a session someone would like to start.
type candidate struct {
	t    int64
	p    *person
	dev  *device // forced device
	st   *stay   // must happen during this stay
	lead bool    // the first session of the first sharer
}

// genDay generates the sessions starting on the next day. Every event it
// creates is at or after that day's start, which is what lets the stream
// emit earlier events before generating later days.
func (a *account) genDay() {
	d := a.nextDay
	a.nextDay++
	n := copy(a.buf, a.buf[a.head:])
	a.buf, a.head = a.buf[:n], 0
	ds := a.dayStart(d)
	a.cands = a.cands[:0]
	for _, hh := range a.hhs {
		for _, p := range hh.people {
			if p.joinAt >= ds+dayMS {
				continue
			}
			mid := a.localClock(d, 12, 0)
			tz := p.tzAt(mid)
			wd := time.UnixMilli(mid + int64(tz*float64(hourMS))).UTC().Weekday()
			weekend := wd == time.Saturday || wd == time.Sunday
			lambda := p.rate
			if weekend {
				lambda *= 1.25
			}
			for range a.poisson(lambda) {
				t := a.localTime(d, a.sampleHour(weekend)+p.shift, tz)
				a.cands = append(a.cands, candidate{t: t, p: p})
			}
			if p.first != nil && p.joinAt >= ds && p.joinAt < ds+dayMS {
				a.cands = append(a.cands, candidate{t: p.joinAt, p: p, dev: p.first, lead: true})
			}
			for _, f := range p.preTrip {
				if f.t >= ds && f.t < ds+dayMS {
					a.cands = append(a.cands, candidate{t: f.t, p: p, dev: f.dev})
				}
			}
			for i := range p.stays {
				st := &p.stays[i]
				if st.forced && st.from >= ds && st.from < ds+dayMS {
					a.cands = append(a.cands, candidate{t: st.from + int64(a.uniform(10, 60)*float64(minuteMS)), p: p, st: st})
				}
			}
		}
	}
	slices.SortStableFunc(a.cands, func(x, y candidate) int { return cmpInt64(x.t, y.t) })
	for _, c := range a.cands {
		a.plan(c)
	}
	slices.SortFunc(a.buf, func(x, y pendingEvent) int {
		if c := cmpInt64(x.t, y.t); c != 0 {
			return c
		}
		return cmpInt64(int64(x.seq), int64(y.seq))
	})
}

// plan turns a candidate into a session if the person is somewhere they
// can stream and has a free device there.
func (a *account) plan(c candidate) {
	p, t := c.p, c.t
	if p.sharer && !c.lead && t <= p.joinAt+5*minuteMS { // failed attempts precede a login by up to 160 s
		return
	}
	st, until := p.locAt(t)
	if st != nil && st.kind == stayTransit {
		return
	}
	if c.st != nil && st != c.st {
		return
	}
	dev := c.dev
	if dev == nil {
		if dev = a.pickDevice(p, st, t); dev == nil {
			return
		}
	} else if !dev.free(t) {
		return
	}
	end := t + a.duration(dev)
	if until != never && end > until-5*minuteMS {
		end = until - int64(a.uniform(5, 20)*float64(minuteMS))
	}
	if end-t < 20*minuteMS {
		return
	}
	a.session(p, st, dev, t, end, c.lead)
}

func (a *account) pickDevice(p *person, st *stay, t int64) *device {
	var devs [24]*device
	var ws [24]float64
	n := 0
	add := func(d *device, w float64) {
		if n < len(devs) && d.free(t) {
			devs[n], ws[n] = d, w*d.affinity
			n++
		}
	}
	for _, d := range p.devices {
		switch {
		case st == nil:
			add(d, [...]float64{devTV: 2.5, devPhone: 1, devLaptop: 1.2, devTablet: 0.9}[d.kind])
		case st.kind == stayVisit:
			add(d, [...]float64{devTV: 0, devPhone: 3, devLaptop: 0.2, devTablet: 0.4}[d.kind])
		case d.kind.portable():
			add(d, [...]float64{devTV: 0, devPhone: 1, devLaptop: 1.2, devTablet: 0.9}[d.kind])
		}
	}
	if st == nil {
		for _, d := range p.hh.shared {
			add(d, 2.5)
		}
	} else {
		for _, d := range st.devices {
			add(d, 2)
		}
	}
	if n == 0 {
		return nil
	}
	return weighted[*device]{vals: devs[:n], w: ws[:n]}.pick(a.r)
}

func (a *account) duration(d *device) int64 {
	lo, hi := float64(20*minuteMS), float64(180*minuteMS)
	x := d.medianMS * math.Exp(a.r.NormFloat64()*0.55)
	if x < lo {
		x = lo + a.uniform(0, float64(10*minuteMS))
	}
	if x > hi {
		x = hi - a.uniform(0, float64(20*minuteMS))
	}
	return int64(x)
}

func (a *account) mobileChance(p *person, d *device) bool {
	switch d.kind {
	case devPhone:
		return a.chance(p.mobileP)
	case devLaptop, devTablet:
		if p.mobileAny {
			return a.chance(p.mobileP * 0.9) // tethered or cellular
		}
		return a.chance(p.mobileP * 0.1)
	}
	return false
}

// session picks the network for a session and emits its events.
func (a *account) session(p *person, st *stay, dev *device, t, end int64, lead bool) {
	s := &session{id: fmt.Sprintf("s-%016x", a.r.Uint64()), dev: dev, p: p, city: p.hh.city, net: netHome}
	if st != nil {
		s.city = st.city
	}
	var ip netip.Addr
	var exits []int
	// Happy Eyeballs: a device that speaks IPv6 at a dual-stack line
	// still opens some sessions over IPv4 (Config.IPv4Fallback).
	v4 := a.cfg.IPv4Fallback > 0 && dev.v6 && a.chance(a.cfg.IPv4Fallback)
	switch {
	case lead:
		ip = a.homeAddr(p.hh.home, t, dev, v4)
	case st == nil || st.kind == stayHouse:
		h := p.hh.home
		if st != nil {
			h = st.home
		}
		switch {
		case p.vpnP > 0 && a.chance(p.vpnP): // TVs too: VPN apps on streaming sticks
			s.net, exits = netVPN, p.vpnExits
		case a.mobileChance(p, dev):
			s.net = netMobile
		default:
			ip = a.homeAddr(h, t, dev, v4)
		}
	case st.kind == stayHotel:
		r := a.r.Float64()
		switch {
		case slices.Contains(st.devices, dev):
			s.net = netHotel
		case dev.kind == devPhone && r < 0.3:
			s.net = netMobile // roaming: home carrier's addresses
		case len(st.vpnExits) > 0 && r < 0.65:
			s.net, exits = netVPN, st.vpnExits
		default:
			s.net = netHotel
		}
		if s.net == netHotel {
			ip = st.hotelIPs[a.r.IntN(len(st.hotelIPs))]
		}
	case st.kind == stayVisit:
		if dev.kind == devPhone && a.chance(0.15) {
			s.net = netMobile
		} else {
			s.net, ip = netGuest, a.homeAddr(st.home, t, dev, v4)
		}
	}
	mobilePool, exit := -1, -1
	switch s.net {
	case netMobile:
		mobilePool = p.carrier
		ip = a.poolAddr(p.carrier)
	case netVPN:
		exit = exits[a.r.IntN(len(exits))]
		ip = a.poolAddr(exit)
	}
	a.emit(s, t, end, ip, mobilePool, lead)
	dev.busy = end + minuteMS
	// VPN users hop exits: reconnect through another one within minutes.
	if s.net == netVPN && !lead && a.chance(0.3) {
		t2 := end + int64(a.uniform(1.2, 5)*float64(minuteMS))
		st2, until := p.locAt(t2)
		end2 := t2 + a.duration(dev)/2
		if until != never {
			end2 = min(end2, until-5*minuteMS)
		}
		if st2 != st || !dev.free(t2) || end2-t2 < 20*minuteMS {
			return
		}
		next := exits[a.r.IntN(len(exits))]
		for i := 0; next == exit && i < 8; i++ {
			next = exits[a.r.IntN(len(exits))]
		}
		s2 := &session{id: fmt.Sprintf("s-%016x", a.r.Uint64()), dev: dev, p: p, city: s.city, net: netVPN}
		a.emit(s2, t2, end2, a.poolAddr(next), -1, false)
		dev.busy = end2 + minuteMS
	}
}

// homeAddr is the address a device has on a home line at t: the line's
// IPv4 address, or on dual-stack lines an IPv6 privacy address in the
// home's /56 that changes daily, unless the session fell back to IPv4.
func (a *account) homeAddr(h *home, t int64, d *device, v4 bool) netip.Addr {
	e := h.at(t)
	pl := &a.w.pools[h.pool]
	if h.v6 && d.v6 && !v4 {
		b := pl.v6.Addr().As16()
		b[6] = e.v6sub
		binary.BigEndian.PutUint64(b[8:], splitmix64(d.seed^uint64((t-a.start)/dayMS)))
		return within(pl.v6, netip.AddrFrom16(b))
	}
	b := pl.nets[e.net].Addr().As4()
	b[3] = e.host
	return within(pl.nets[e.net], netip.AddrFrom4(b))
}

// poolAddr draws an address from a pool (mobile carrier, VPN exit). A
// real carrier with IPv6 networks hands out IPv6 half the time.
func (a *account) poolAddr(pool int) netip.Addr {
	pl := &a.w.pools[pool]
	if len(pl.nets6) > 0 && a.chance(0.5) {
		n := pl.nets6[a.r.IntN(len(pl.nets6))]
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], a.r.Uint64())
		binary.BigEndian.PutUint64(b[8:], a.r.Uint64())
		return within(n, netip.AddrFrom16(b))
	}
	n := pl.nets[a.r.IntN(len(pl.nets))]
	b := n.Addr().As4()
	b[3] = byte(a.between(1, 254))
	return within(n, netip.AddrFrom4(b))
}

// emit creates a session's events: perhaps a failed login or two first,
// the login, jittered heartbeats (a few lost), and usually a logout.
func (a *account) emit(s *session, t, end int64, ip netip.Addr, mobilePool int, lead bool) {
	if !lead && a.chance(a.failP) {
		// Failed attempts must not precede the day being generated.
		ft, floor := t, a.dayStart(a.nextDay-1)
		for range a.between(1, 2) {
			if ft -= int64(a.uniform(5, 80) * 1000); ft >= floor {
				a.push(ft, ingest.TypeLogin, true, ip, s)
			}
		}
	}
	a.push(t, ingest.TypeLogin, false, ip, s)
	hb := float64(a.cfg.HeartbeatEvery.Milliseconds())
	ht := t
	for {
		ht += int64(hb * a.uniform(0.9, 1.1))
		if ht >= end {
			break
		}
		if mobilePool >= 0 && a.chance(0.03) {
			ip = a.poolAddr(mobilePool) // the carrier moved us to another /24
		}
		if a.chance(0.01) {
			continue
		}
		a.push(ht, ingest.TypeHeartbeat, false, ip, s)
	}
	if a.chance(a.logoutP) {
		a.push(end, ingest.TypeLogout, false, ip, s)
	}
}

func (a *account) push(t int64, typ ingest.Type, failed bool, ip netip.Addr, s *session) {
	if t >= a.end {
		return
	}
	a.seq++
	a.buf = append(a.buf, pendingEvent{t: t, seq: a.seq, typ: typ, failed: failed, ip: ip, s: s})
}

// peek makes sure the head of the buffer is the account's next event,
// generating days as needed, and returns its time.
func (a *account) peek() (int64, bool) {
	for {
		if a.head < len(a.buf) {
			t := a.buf[a.head].t
			if a.nextDay < a.cfg.Days && a.dayStart(a.nextDay) <= t {
				a.genDay()
				continue
			}
			return t, true
		}
		if a.nextDay >= a.cfg.Days {
			return 0, false
		}
		a.genDay()
	}
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

const hexDigits = "0123456789abcdef"

// eventID is a deterministic UUIDv4-shaped id, unique within the account.
func eventID(seed uint64, seq uint32) string {
	x := splitmix64(seed + uint64(seq)*0x9e3779b97f4a7c15)
	y := splitmix64(x ^ seed)
	var u [16]byte
	binary.BigEndian.PutUint64(u[:8], x)
	binary.BigEndian.PutUint64(u[8:], y)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexDigits[c>>4], hexDigits[c&0xf]
		j += 2
	}
	return string(b[:])
}
