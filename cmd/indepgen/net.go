package main

import (
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"
)

const (
	msMin  = int64(60 * 1000)
	msHour = 60 * msMin
	msDay  = 24 * msHour
)

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func subRNG(seed uint64, parts ...string) *rand.Rand {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return rand.New(rand.NewPCG(seed, splitmix(h.Sum64())))
}

// ---------------- residential lines ----------------

type addrPeriod struct {
	from int64
	ip   netip.Addr
	blk  int32
}

type pfxPeriod struct {
	from int64
	pfx  netip.Prefix
	blk  int32
}

// Line is a fixed home connection: an ISP in a city, with a dynamic IPv4
// address and optionally a delegated IPv6 prefix (/56 or /64).
type Line struct {
	City   *City
	ASN    uint32
	v4     []addrPeriod
	v6     []pfxPeriod
	subnet uint64
	Policy string
}

func asnTrait(asn uint32, mod uint32) uint32 { return uint32(splitmix(uint64(asn)*7919) % uint64(mod)) }

func (s *Sim) nearbyPools(c *City, asn uint32) []*City {
	var out []*City
	for _, o := range s.g.ByCC[c.CC] {
		if o == c {
			continue
		}
		if _, ok := o.ResV4[asn]; !ok {
			continue
		}
		if d := dist(c, o); d < 150 {
			out = append(out, o)
		}
	}
	return out
}

// NewLine creates a line for city c on ISP asn (0 = choose by market share).
func (s *Sim) NewLine(r *rand.Rand, c *City, asn uint32, avoid uint32) *Line {
	if asn == 0 {
		isps, w := c.ISPs, c.ISPW
		if avoid != 0 && len(isps) > 1 {
			var i2 []uint32
			var w2 []float64
			for i, a := range isps {
				if a != avoid {
					i2 = append(i2, a)
					w2 = append(w2, w[i])
				}
			}
			isps, w = i2, w2
		}
		asn = pickW(r, isps, w)
	}
	l := &Line{City: c, ASN: asn, subnet: uint64(pickW(r, []int{0, 1, 2, 15}, []float64{6, 3, 1, 1}))}
	pool := c.ResV4[asn]
	blk := pool.Pick(r)
	from := s.start - 10*msDay
	l.v4 = append(l.v4, addrPeriod{from, RandV4(s.g.Blocks[blk].P, r), blk})
	// dynamism depends on the ISP's practice
	var pw []float64
	switch asnTrait(asn, 3) {
	case 0:
		pw = []float64{0.75, 0.2, 0.05}
	case 1:
		pw = []float64{0.4, 0.45, 0.15}
	default:
		pw = []float64{0.2, 0.5, 0.3}
	}
	l.Policy = pickW(r, []string{"static", "periodic", "daily"}, pw)
	var changes []int64
	switch l.Policy {
	case "periodic":
		mean := 2 + r.Float64()*12
		t := from
		for {
			t += int64(r.ExpFloat64() * mean * float64(msDay))
			if t >= s.end {
				break
			}
			changes = append(changes, t)
		}
	case "daily":
		loc := c.Loc
		d0 := time.UnixMilli(from).In(loc)
		day := time.Date(d0.Year(), d0.Month(), d0.Day(), 0, 0, 0, 0, loc)
		hh := 2 + r.IntN(3)
		mm := r.IntN(60)
		for {
			day = day.AddDate(0, 0, 1)
			t := time.Date(day.Year(), day.Month(), day.Day(), hh, mm, r.IntN(60), 0, loc).UnixMilli()
			if t >= s.end {
				break
			}
			changes = append(changes, t)
		}
	}
	var drift []*City
	driftLoaded := false
	for _, t := range changes {
		cur := l.v4[len(l.v4)-1]
		nb := cur.blk
		cityNow := c
		if s.opt.GeoDrift > 0 && r.Float64() < s.opt.GeoDrift {
			if !driftLoaded {
				drift = s.nearbyPools(c, asn)
				driftLoaded = true
			}
			if len(drift) > 0 {
				cityNow = drift[r.IntN(len(drift))]
			}
		}
		bs := s.g.Blocks[nb].P.Bits()
		if cityNow != c || bs > 22 || r.Float64() < 0.5 {
			nb = cityNow.ResV4[asn].Pick(r)
		}
		l.v4 = append(l.v4, addrPeriod{t, RandV4(s.g.Blocks[nb].P, r), nb})
	}
	// IPv6
	if p6, ok := c.ResV6[asn]; ok && p6.Len() > 0 && r.Float64() < s.opt.IPv6Share {
		plen := 56
		if asnTrait(asn, 4) == 0 {
			plen = 64
		}
		b6 := p6.Pick(r)
		l.v6 = append(l.v6, pfxPeriod{from, RandV6Prefix(s.g.Blocks[b6].P, plen, r), b6})
		for _, t := range changes {
			if l.Policy == "daily" || r.Float64() < 0.3 {
				if r.Float64() < 0.6 {
					b6 = p6.Pick(r)
				}
				l.v6 = append(l.v6, pfxPeriod{t, RandV6Prefix(s.g.Blocks[b6].P, plen, r), b6})
			}
		}
	}
	return l
}

func (l *Line) V4At(t int64) (netip.Addr, int32) {
	p := l.v4[0]
	for _, x := range l.v4[1:] {
		if x.from <= t {
			p = x
		} else {
			break
		}
	}
	return p.ip, p.blk
}

func (l *Line) V6At(t int64, d *Device) (netip.Addr, int32) {
	p := l.v6[0]
	for _, x := range l.v6[1:] {
		if x.from <= t {
			p = x
		} else {
			break
		}
	}
	return V6Addr(p.pfx, l.subnet, deviceIID(d, t)), p.blk
}

// deviceIID: stable interface ids for TVs/sticks/consoles, daily-rotating
// temporary (privacy) addresses for phones, tablets and computers.
func deviceIID(d *Device, t int64) uint64 {
	iid := d.stableIID
	if d.Kind.Portable() || d.Kind == Desktop {
		iid = splitmix(d.stableIID ^ uint64(t/msDay))
	}
	if iid>>32 == 0 {
		iid |= 1 << 40
	}
	return iid
}

// ---------------- mobile carriers ----------------

type Carrier struct {
	CC  string
	ASN uint32
	V4  *Pool
	V6  *Pool
}

func (s *Sim) carrier(cc string, asn uint32) *Carrier {
	key := cc + "/" + itoa(int(asn))
	if c, ok := s.carriers[key]; ok {
		return c
	}
	pp := s.g.Mobile[cc][asn]
	if pp == nil {
		return nil
	}
	c := &Carrier{CC: cc, ASN: asn, V4: &pp[0], V6: &pp[1]}
	mixed := false
	for _, a := range s.g.Country[cc].Res {
		if a == asn {
			mixed = true
		}
	}
	// mixed fixed/mobile ASNs: use only their coarse (carrier-like) networks if any
	if mixed {
		if pp[2].Len() > 0 {
			c.V4 = &pp[2]
		}
		if pp[3].Len() > 0 {
			c.V6 = &pp[3]
		}
	}
	if c.V4.Len() == 0 {
		return nil
	}
	s.carriers[key] = c
	return c
}

func (s *Sim) pickCarrier(r *rand.Rand, cc string) *Carrier {
	cs := []*Carrier{}
	w := []float64{}
	for _, a := range slices.Sorted(maps.Keys(s.g.Mobile[cc])) {
		if c := s.carrier(cc, a); c != nil {
			cs = append(cs, c)
			w = append(w, float64(c.V4.Len()+c.V6.Len()+50))
		}
	}
	if len(cs) == 0 {
		return nil
	}
	for i := range w {
		w[i] = sqrt(w[i])
	}
	return pickW(r, cs, w)
}

func (s *Sim) mobileAddr(r *rand.Rand, c *Carrier, v6 bool) (netip.Addr, int32) {
	if v6 && c.V6.Len() > 0 {
		b := c.V6.Pick(r)
		p := RandV6Prefix(s.g.Blocks[b].P, 64, r)
		return V6Addr(p, 0, r.Uint64()|1<<40), b
	}
	b := c.V4.Pick(r)
	return RandV4(s.g.Blocks[b].P, r), b
}

// ---------------- hotels ----------------

type Hotel struct {
	IPs []netip.Addr
	Blk int32
}

func (s *Sim) hotels(c *City) []*Hotel {
	if h, ok := s.hotelCache[c.GeoID]; ok {
		return h
	}
	r := subRNG(s.opt.Seed, "hotels", itoa(int(c.GeoID)))
	n := 4 + r.IntN(9)
	var hs []*Hotel
	for i := 0; i < n; i++ {
		var b int32
		if c.Biz.Len() > 0 && r.Float64() < 0.6 {
			b = c.Biz.Pick(r)
		} else {
			a := pickW(r, c.ISPs, c.ISPW)
			b = c.ResV4[a].Pick(r)
		}
		h := &Hotel{Blk: b}
		base := RandV4(s.g.Blocks[b].P, r)
		k := pickW(r, []int{1, 2, 4}, []float64{5, 2, 1})
		for j := 0; j < k; j++ {
			ip := base
			if j > 0 {
				ip = RandV4(s.g.Blocks[b].P, r)
			}
			h.IPs = append(h.IPs, ip)
		}
		hs = append(hs, h)
	}
	s.hotelCache[c.GeoID] = hs
	return hs
}

// ---------------- VPN exits ----------------

type Exit struct {
	IP  netip.Addr
	Blk int32
}

func (s *Sim) exits(cc string, asn uint32) []Exit {
	key := cc + "/" + itoa(int(asn))
	if e, ok := s.exitCache[key]; ok {
		return e
	}
	var out []Exit
	if p := s.g.Hosting[cc][asn]; p != nil && p.Len() > 0 {
		r := subRNG(s.opt.Seed, "exits", key)
		n := 6 + r.IntN(12)
		for i := 0; i < n; i++ {
			b := p.Pick(r)
			out = append(out, Exit{RandV4(s.g.Blocks[b].P, r), b})
		}
	}
	s.exitCache[key] = out
	return out
}

type VPNProf struct {
	Provider  uint32
	Countries []string
	CW        []float64
}

func (s *Sim) newVPNProf(r *rand.Rand, homeCC string, onlyCC string) *VPNProf {
	pw := make([]float64, len(providers))
	pa := make([]uint32, len(providers))
	for i, p := range providers {
		pa[i], pw[i] = p.ASN, p.W
	}
	v := &VPNProf{Provider: pickW(r, pa, pw)}
	if onlyCC != "" {
		v.Countries = []string{onlyCC}
		v.CW = []float64{1}
		return v
	}
	ccs := slices.Sorted(maps.Keys(vpnExitCountries))
	n := pickW(r, []int{1, 2, 3}, []float64{5, 3, 2})
	for len(v.Countries) < n {
		var c string
		if r.Float64() < 0.2 {
			c = homeCC
		} else {
			w := make([]float64, len(ccs))
			for i, x := range ccs {
				w[i] = vpnExitCountries[x]
				if x == homeCC {
					w[i] = 0
				}
			}
			c = pickW(r, ccs, w)
		}
		dup := false
		for _, x := range v.Countries {
			dup = dup || x == c
		}
		if !dup {
			v.Countries = append(v.Countries, c)
			v.CW = append(v.CW, 1+r.Float64()*3)
		}
	}
	return v
}

func (s *Sim) pickExit(r *rand.Rand, v *VPNProf) Exit {
	for try := 0; try < 4; try++ {
		cc := pickW(r, v.Countries, v.CW)
		if e := s.exits(cc, v.Provider); len(e) > 0 {
			return e[r.IntN(len(e))]
		}
		// provider has no presence there: another provider in that country
		for _, p := range providers {
			if e := s.exits(cc, p.ASN); len(e) > 0 {
				return e[r.IntN(len(e))]
			}
		}
	}
	e := s.exits("US", 9009)
	return e[r.IntN(len(e))]
}

// ---------------- per-session address sources ----------------

type netSrc interface {
	ip(s *Sim, r *rand.Rand, t int64, first bool) (netip.Addr, int32)
}

type lineSrc struct {
	l   *Line
	d   *Device
	six bool
}

func (x *lineSrc) ip(s *Sim, r *rand.Rand, t int64, first bool) (netip.Addr, int32) {
	if x.six {
		return x.l.V6At(t, x.d)
	}
	return x.l.V4At(t)
}

type mobSrc struct {
	c     *Carrier
	six   bool
	churn float64
	cur   netip.Addr
	blk   int32
}

func (x *mobSrc) ip(s *Sim, r *rand.Rand, t int64, first bool) (netip.Addr, int32) {
	if first || r.Float64() < x.churn {
		x.cur, x.blk = s.mobileAddr(r, x.c, x.six)
	}
	return x.cur, x.blk
}

type fixedSrc struct {
	a   netip.Addr
	blk int32
}

func (x *fixedSrc) ip(s *Sim, r *rand.Rand, t int64, first bool) (netip.Addr, int32) {
	return x.a, x.blk
}

type vpnSrc struct {
	v         *VPNProf
	reconnect float64
	cur       Exit
}

func (x *vpnSrc) ip(s *Sim, r *rand.Rand, t int64, first bool) (netip.Addr, int32) {
	if first || r.Float64() < x.reconnect {
		x.cur = s.pickExit(r, x.v)
	}
	return x.cur.IP, x.cur.Blk
}

type switchSrc struct {
	a, b netSrc
	at   int64
	sw   bool
}

func (x *switchSrc) ip(s *Sim, r *rand.Rand, t int64, first bool) (netip.Addr, int32) {
	if t < x.at {
		return x.a.ip(s, r, t, first)
	}
	f := !x.sw
	x.sw = true
	return x.b.ip(s, r, t, f)
}
