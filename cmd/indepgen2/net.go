package main

// Network attachment points: home lines (with DHCP/PPPoE address changes and
// IPv6 /64 prefixes), mobile carriers (CGNAT, coarse geolocation), VPN exits
// and hotel networks.

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"net/netip"
	"sort"
)

func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

func pickW(r *rand.Rand, w []float64) int {
	t := 0.0
	for _, x := range w {
		t += x
	}
	u := r.Float64() * t
	for i, x := range w {
		u -= x
		if u < 0 {
			return i
		}
	}
	return len(w) - 1
}

func haversine(lat1, lon1, lat2, lon2 float64) float64 {
	const R = 6371.0
	rad := math.Pi / 180
	dlat := (lat2 - lat1) * rad
	dlon := (lon2 - lon1) * rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * R * math.Asin(math.Sqrt(a))
}

func (g *Geo) dist(a, b int32) float64 {
	ca, cb := g.Cities[a], g.Cities[b]
	return haversine(ca.Lat, ca.Lon, cb.Lat, cb.Lon)
}

// randV4 returns a random usable host address inside a v4 network.
func randV4(r *rand.Rand, n *Net) string {
	base := binary.BigEndian.Uint32(n.IP[:4])
	size := uint64(1) << (32 - n.Bits)
	var off uint64
	if size >= 4 {
		off = 1 + r.Uint64N(size-2)
	} else {
		off = r.Uint64N(size)
	}
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], base+uint32(off))
	return netip.AddrFrom4(b).String()
}

// randPrefix64 returns a random /64 inside a v6 network (upper 64 bits).
func randPrefix64(r *rand.Rand, n *Net) uint64 {
	hi := binary.BigEndian.Uint64(n.IP[:8])
	if n.Bits >= 64 {
		return hi
	}
	free := 64 - uint(n.Bits)
	var off uint64
	if free >= 64 {
		off = r.Uint64()
	} else {
		off = r.Uint64N(uint64(1) << free)
	}
	return hi + off
}

func v6String(prefix, iid uint64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], prefix)
	binary.BigEndian.PutUint64(b[8:], iid)
	return netip.AddrFrom16(b).String()
}

// ---------------------------------------------------------------- home lines

type ipPeriod struct {
	from   int64
	v4     string
	prefix uint64 // v6 /64, 0 = none
}

type Line struct {
	City    int32
	ASN     uint32
	Periods []ipPeriod
	HasV6   bool
	Policy  string
}

func (l *Line) at(t int64) ipPeriod {
	i := sort.Search(len(l.Periods), func(i int) bool { return l.Periods[i].from > t }) - 1
	if i < 0 {
		i = 0
	}
	return l.Periods[i]
}

// newLine creates a home broadband line in a city. asn==0 picks an ISP
// weighted by its footprint in the city. Address changes:
//   - "static" (45%): the address is kept for the whole window except a rare
//     change (probability ~window/120 days: modem swap, long outage).
//   - "sticky" (37%): DHCP lease mostly renewed, but the address changes after
//     router reboots / outages: exponential gaps, mean 12 days.
//   - "daily" (18%, 55% in DE): forced PPPoE reconnect every 24 h at a fixed
//     night hour; the v6 prefix rotates too.
func (s *Sim) newLine(r *rand.Rand, city int32, asn uint32) *Line {
	c := s.G.Cities[city]
	if asn == 0 || len(c.Res[asn]) == 0 {
		asn = c.ResASNs[pickW(r, c.ResW)]
	}
	l := &Line{City: city, ASN: asn}
	var v4, v6 []int32
	for _, ni := range c.Res[asn] {
		if s.G.Nets[ni].V6 {
			v6 = append(v6, ni)
		} else {
			v4 = append(v4, ni)
		}
	}
	l.HasV6 = len(v6) > 0 && r.Float64() < s.Cfg.IPv6Share
	pDaily := 0.18
	if c.Country == "DE" {
		pDaily = 0.55
	}
	u := r.Float64()
	switch {
	case u < pDaily:
		l.Policy = "daily"
	case u < pDaily+(1-pDaily)*0.45:
		l.Policy = "sticky"
	default:
		l.Policy = "static"
	}
	curNet := &s.G.Nets[v4[r.IntN(len(v4))]]
	newV4 := func() string {
		if r.Float64() < 0.35 {
			curNet = &s.G.Nets[v4[r.IntN(len(v4))]]
		}
		return randV4(r, curNet)
	}
	var v6net *Net
	var prefix uint64
	if l.HasV6 {
		v6net = &s.G.Nets[v6[r.IntN(len(v6))]]
		prefix = randPrefix64(r, v6net)
	}
	t0 := s.Start.Unix() - 86400*3
	end := s.End.Unix()
	l.Periods = append(l.Periods, ipPeriod{from: t0, v4: randV4(r, curNet), prefix: prefix})
	switch l.Policy {
	case "daily":
		loc := s.tz(c.TZ)
		hour := 1 + r.IntN(5)
		d := s.Start.In(loc)
		day := timeDate(d.Year(), d.Month(), d.Day(), hour, r.IntN(60), loc)
		for t := day.Unix(); t < end; t += 86400 {
			p := ipPeriod{from: t + int64(r.IntN(120)), v4: newV4()}
			if l.HasV6 {
				p.prefix = randPrefix64(r, v6net)
			}
			l.Periods = append(l.Periods, p)
		}
	case "sticky", "static":
		mean := 12.0 * 86400
		if l.Policy == "static" {
			mean = 120 * 86400
		}
		t := t0
		for {
			t += int64(r.ExpFloat64() * mean)
			if t >= end {
				break
			}
			p := ipPeriod{from: t, v4: newV4(), prefix: prefix}
			if l.HasV6 && r.Float64() < 0.3 {
				p.prefix = randPrefix64(r, v6net)
			}
			l.Periods = append(l.Periods, p)
		}
	}
	return l
}

// hotelLine: a hotel / guest network in the city: any non-hosting ISP, one
// public NAT address (sometimes a small pool), IPv4 only.
func (s *Sim) hotelLine(r *rand.Rand, city int32) *Line {
	c := s.G.Cities[city]
	var cand []int32
	for _, ni := range c.Any {
		if !s.G.Nets[ni].V6 {
			cand = append(cand, ni)
		}
	}
	n := &s.G.Nets[cand[r.IntN(len(cand))]]
	l := &Line{City: city, ASN: n.ASN, Policy: "hotel"}
	l.Periods = append(l.Periods, ipPeriod{from: s.Start.Unix() - 86400*3, v4: randV4(r, n)})
	return l
}

// ---------------------------------------------------------------- mobile

type Carrier struct {
	CC  string
	ASN uint32
	V6  bool
}

func (s *Sim) pickCarrier(r *rand.Rand, cc string) *Carrier {
	ct := s.G.Countries[cc]
	if ct == nil || len(ct.Carriers) == 0 {
		return nil
	}
	a := ct.Carriers[pickW(r, ct.CarrierW)]
	// mobile networks are further along with IPv6 than fixed ones
	return &Carrier{CC: cc, ASN: a, V6: r.Float64() < s.Cfg.IPv6Share*1.3}
}

func (s *Sim) carrierNetsIn(city int32, asn uint32, v6 bool) []int32 {
	k := [3]int64{int64(city), int64(asn), 0}
	if v6 {
		k[2] = 1
	}
	if l, ok := s.carrierCache[k]; ok {
		return l
	}
	var out []int32
	for _, ni := range s.G.Cities[city].Mobile {
		n := &s.G.Nets[ni]
		if n.ASN == asn && n.V6 == v6 {
			out = append(out, ni)
		}
	}
	s.carrierCache[k] = out
	return out
}

func (s *Sim) carrierNets(cc string, asn uint32, v6 bool) []int32 {
	k := [3]int64{-1 - int64(len(cc)) - int64(cc[0])*256 - int64(cc[1])*65536, int64(asn), 0}
	if v6 {
		k[2] = 1
	}
	if l, ok := s.carrierCache[k]; ok {
		return l
	}
	var out []int32
	for _, ni := range s.G.Countries[cc].CarrierN[asn] {
		if s.G.Nets[ni].V6 == v6 {
			out = append(out, ni)
		}
	}
	s.carrierCache[k] = out
	return out
}

// mobileIP draws a CGNAT / carrier address. With probability local it comes
// from a network that geolocates to the city the user is in; otherwise from
// anywhere in the carrier's national footprint (which is what real carrier
// geolocation looks like: coarse, often the gateway's city or just the
// country).
func (s *Sim) mobileIP(r *rand.Rand, c *Carrier, city int32, local float64) string {
	v6 := c.V6 && r.Float64() < 0.85
	var cand []int32
	if city >= 0 && s.G.Cities[city].Country == c.CC && r.Float64() < local {
		cand = s.carrierNetsIn(city, c.ASN, v6)
	}
	if len(cand) == 0 {
		cand = s.carrierNets(c.CC, c.ASN, v6)
	}
	if len(cand) == 0 && v6 {
		v6 = false
		cand = s.carrierNets(c.CC, c.ASN, false)
	}
	n := &s.G.Nets[cand[r.IntN(len(cand))]]
	if v6 {
		return v6String(randPrefix64(r, n), r.Uint64())
	}
	return randV4(r, n)
}

// ---------------------------------------------------------------- VPN

// vpnIP: an exit in a hosting provider's network in the given country.
// Users tend to reuse "their" server, so the exit network is sticky.
func (s *Sim) vpnIP(r *rand.Rand, cc string, sticky map[string]string) string {
	if ip, ok := sticky[cc]; ok && r.Float64() < 0.6 {
		return ip
	}
	ct := s.G.Countries[cc]
	if ct == nil || len(ct.Hosting) == 0 {
		ct = s.G.Countries[s.vpnFallback]
	}
	// weight providers by sqrt(size) so the biggest one does not dominate
	asns := make([]uint32, 0, len(ct.HostASNs))
	for a := range ct.HostASNs {
		asns = append(asns, a)
	}
	sort.Slice(asns, func(i, j int) bool { return asns[i] < asns[j] })
	w := make([]float64, len(asns))
	for i, a := range asns {
		w[i] = math.Sqrt(float64(len(ct.HostASNs[a])))
	}
	a := asns[pickW(r, w)]
	nets := ct.HostASNs[a]
	var n *Net
	for try := 0; try < 10; try++ {
		n = &s.G.Nets[nets[r.IntN(len(nets))]]
		if !n.V6 {
			break
		}
	}
	var ip string
	if n.V6 {
		ip = v6String(randPrefix64(r, n), uint64(r.IntN(4096)+1))
	} else {
		ip = randV4(r, n)
	}
	sticky[cc] = ip
	return ip
}
