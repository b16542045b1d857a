package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"
)

type cityRecRaw struct {
	City struct {
		GeoNameID uint32            `maxminddb:"geoname_id"`
		Names     map[string]string `maxminddb:"names"`
	} `maxminddb:"city"`
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	Location struct {
		Lat    float64 `maxminddb:"latitude"`
		Lon    float64 `maxminddb:"longitude"`
		Radius uint16  `maxminddb:"accuracy_radius"`
		TZ     string  `maxminddb:"time_zone"`
	} `maxminddb:"location"`
}

type asnRecRaw struct {
	ASN uint32 `maxminddb:"autonomous_system_number"`
	Org string `maxminddb:"autonomous_system_organization"`
}

// GeoRec is one distinct City-database data record.
type GeoRec struct {
	GeoID    uint32
	City     string
	CC       string
	Lat, Lon float64
	Radius   uint16
	TZ       string
}

// Block is the intersection of a City network and an ASN network: every
// address inside it geolocates to Rec and belongs to ASN.
type Block struct {
	P   netip.Prefix
	Rec int32
	ASN uint32
}

// Pool is a weighted set of blocks.
type Pool struct {
	Idx []int32
	Cum []float64
}

func (p *Pool) add(i int32, w float64) {
	last := 0.0
	if len(p.Cum) > 0 {
		last = p.Cum[len(p.Cum)-1]
	}
	p.Idx = append(p.Idx, i)
	p.Cum = append(p.Cum, last+w)
}
func (p *Pool) Len() int { return len(p.Idx) }
func (p *Pool) Total() float64 {
	if len(p.Cum) == 0 {
		return 0
	}
	return p.Cum[len(p.Cum)-1]
}
func (p *Pool) Pick(r *rand.Rand) int32 {
	x := r.Float64() * p.Total()
	i := sort.SearchFloat64s(p.Cum, x)
	if i >= len(p.Idx) {
		i = len(p.Idx) - 1
	}
	return p.Idx[i]
}

type City struct {
	GeoID    uint32
	Name, CC string
	TZ       string
	Loc      *time.Location
	Lat, Lon float64
	ResV4    map[uint32]*Pool // residential ISP -> v4 blocks (radius <= 100 km)
	ResV6    map[uint32]*Pool
	ResAddr  float64 // residential IPv4 addresses (size proxy)
	ISPs     []uint32
	ISPW     []float64
	Biz      Pool // business-line blocks (hotel networks)
	W        float64
}

type Geo struct {
	cdb, adb *maxminddb.Reader
	Recs     []GeoRec
	Blocks   []Block
	Cities   map[uint32]*City
	ByCC     map[string][]*City             // usable home cities, sorted by ResAddr desc
	Mobile   map[string]map[uint32]*[4]Pool // cc -> carrier -> {v4 all, v6 all, v4 coarse, v6 coarse}
	Hosting  map[string]map[uint32]*Pool    // cc -> provider -> v4 blocks
	Country  map[string]*Country
	locCache map[string]*time.Location
	// verification
	verified, verifyFail int
}

func blockWeight(p netip.Prefix) float64 {
	if p.Addr().Is4() {
		return math.Sqrt(float64(uint64(1) << (32 - p.Bits())))
	}
	b := 64 - p.Bits()
	if b < 0 {
		b = 0
	}
	if b > 24 {
		b = 24
	}
	return math.Sqrt(float64(uint64(1) << b))
}

func LoadGeo(cityPath, asnPath string) (*Geo, error) {
	t0 := time.Now()
	cdb, err := maxminddb.Open(cityPath)
	if err != nil {
		return nil, err
	}
	adb, err := maxminddb.Open(asnPath)
	if err != nil {
		return nil, err
	}
	g := &Geo{cdb: cdb, adb: adb, Cities: map[uint32]*City{}, ByCC: map[string][]*City{},
		Mobile: map[string]map[uint32]*[4]Pool{}, Hosting: map[string]map[uint32]*Pool{},
		Country: map[string]*Country{}, locCache: map[string]*time.Location{}}
	resSet := map[string]map[uint32]bool{}
	mobSet := map[string]map[uint32]bool{}
	for i := range countries {
		c := &countries[i]
		g.Country[c.CC] = c
		resSet[c.CC] = map[uint32]bool{}
		mobSet[c.CC] = map[uint32]bool{}
		for _, a := range c.Res {
			resSet[c.CC][a] = true
		}
		for _, a := range c.Mob {
			mobSet[c.CC][a] = true
		}
	}
	hostSet := map[uint32]bool{}
	for _, p := range providers {
		hostSet[p.ASN] = true
	}
	bizSet := map[uint32]bool{}
	for _, a := range businessASNs {
		bizSet[a] = true
	}

	recIdx := map[uintptr]int32{}
	asnCache := map[uintptr]uint32{}
	for r := range cdb.Networks() {
		if r.Err() != nil {
			return nil, r.Err()
		}
		off := r.Offset()
		ri, ok := recIdx[off]
		if !ok {
			var raw cityRecRaw
			if err := r.Decode(&raw); err != nil {
				return nil, err
			}
			ri = -1
			if _, want := g.Country[raw.Country.ISOCode]; want {
				ri = int32(len(g.Recs))
				g.Recs = append(g.Recs, GeoRec{GeoID: raw.City.GeoNameID, City: raw.City.Names["en"], CC: raw.Country.ISOCode,
					Lat: raw.Location.Lat, Lon: raw.Location.Lon, Radius: raw.Location.Radius, TZ: raw.Location.TZ})
			}
			recIdx[off] = ri
		}
		if ri < 0 {
			continue
		}
		rec := &g.Recs[ri]
		cp := r.Prefix()
		for ar := range adb.NetworksWithin(cp) {
			if ar.Err() != nil {
				return nil, ar.Err()
			}
			aoff := ar.Offset()
			asn, ok := asnCache[aoff]
			if !ok {
				var a asnRecRaw
				if err := ar.Decode(&a); err != nil {
					return nil, err
				}
				asn = a.ASN
				asnCache[aoff] = asn
			}
			isRes := resSet[rec.CC][asn] && rec.GeoID != 0 && rec.City != "" && rec.Radius <= 100
			isMob := mobSet[rec.CC][asn]
			isHost := hostSet[asn]
			isBiz := bizSet[asn] && rec.GeoID != 0 && rec.City != "" && rec.Radius <= 200
			if !isRes && !isMob && !isHost && !isBiz {
				continue
			}
			bp := ar.Prefix()
			if cp.Bits() > bp.Bits() {
				bp = cp
			}
			// skip tiny IPv6 blocks (cannot hold a /64) and tiny IPv4 blocks
			if bp.Addr().Is6() && bp.Bits() > 64 {
				continue
			}
			if bp.Addr().Is4() && bp.Bits() > 30 {
				continue
			}
			bi := int32(len(g.Blocks))
			g.Blocks = append(g.Blocks, Block{P: bp, Rec: ri, ASN: asn})
			w := blockWeight(bp)
			if isRes || isBiz {
				c := g.Cities[rec.GeoID]
				if c == nil {
					c = &City{GeoID: rec.GeoID, Name: rec.City, CC: rec.CC, TZ: rec.TZ, Lat: rec.Lat, Lon: rec.Lon,
						ResV4: map[uint32]*Pool{}, ResV6: map[uint32]*Pool{}}
					g.Cities[rec.GeoID] = c
				}
				if c.TZ == "" {
					c.TZ = rec.TZ
				}
				if isRes {
					m := c.ResV4
					if bp.Addr().Is6() {
						m = c.ResV6
					} else {
						c.ResAddr += float64(uint64(1) << (32 - bp.Bits()))
					}
					p := m[asn]
					if p == nil {
						p = &Pool{}
						m[asn] = p
					}
					p.add(bi, w)
				}
				if isBiz && bp.Addr().Is4() {
					c.Biz.add(bi, w)
				}
			}
			if isMob {
				mm := g.Mobile[rec.CC]
				if mm == nil {
					mm = map[uint32]*[4]Pool{}
					g.Mobile[rec.CC] = mm
				}
				pp := mm[asn]
				if pp == nil {
					pp = &[4]Pool{}
					mm[asn] = pp
				}
				// coarse geolocation (no city or large radius) is typical of carrier ranges
				coarse := rec.GeoID == 0 || rec.Radius >= 100
				mw := w
				if coarse {
					mw *= 3
				}
				k := 0
				if bp.Addr().Is6() {
					k = 1
				}
				pp[k].add(bi, mw)
				if coarse {
					pp[k+2].add(bi, w)
				}
			}
			if isHost && bp.Addr().Is4() {
				hm := g.Hosting[rec.CC]
				if hm == nil {
					hm = map[uint32]*Pool{}
					g.Hosting[rec.CC] = hm
				}
				p := hm[asn]
				if p == nil {
					p = &Pool{}
					hm[asn] = p
				}
				p.add(bi, 1)
			}
		}
	}
	// finalize cities
	for _, c := range g.Cities {
		if c.Name == "" || len(c.ResV4) == 0 {
			continue
		}
		asns := make([]uint32, 0, len(c.ResV4))
		for a, p := range c.ResV4 {
			if p.Len() >= 1 {
				asns = append(asns, a)
			}
		}
		slices.Sort(asns)
		for _, a := range asns {
			c.ISPs = append(c.ISPs, a)
			c.ISPW = append(c.ISPW, c.ResV4[a].Total())
		}
		loc := g.loc(c.TZ)
		if loc == nil {
			continue
		}
		c.Loc = loc
		c.W = math.Pow(c.ResAddr, 0.7)
		g.ByCC[c.CC] = append(g.ByCC[c.CC], c)
	}
	for cc, l := range g.ByCC {
		sort.Slice(l, func(i, j int) bool {
			if l[i].ResAddr != l[j].ResAddr {
				return l[i].ResAddr > l[j].ResAddr
			}
			return l[i].GeoID < l[j].GeoID
		})
		g.ByCC[cc] = l
	}
	fmt.Fprintf(os.Stderr, "geo index: %d records, %d blocks, %d cities in %v\n", len(g.Recs), len(g.Blocks), len(g.Cities), time.Since(t0).Round(time.Millisecond))
	return g, nil
}

func (g *Geo) loc(tz string) *time.Location {
	if tz == "" {
		return nil
	}
	if l, ok := g.locCache[tz]; ok {
		return l
	}
	l, err := time.LoadLocation(tz)
	if err != nil {
		l = nil
	}
	g.locCache[tz] = l
	return l
}

// RandV4 returns a random host address inside an IPv4 block.
func RandV4(p netip.Prefix, r *rand.Rand) netip.Addr {
	a := p.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	hb := 32 - p.Bits()
	for {
		var x uint32
		if hb > 0 {
			x = uint32(r.Uint64() & ((uint64(1) << hb) - 1))
		}
		ip := v | x
		last := ip & 0xff
		if hb >= 8 && (last == 0 || last == 255) {
			continue
		}
		return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)})
	}
}

// RandV6Prefix returns a random prefix of length plen (56 or 64) inside the block.
func RandV6Prefix(p netip.Prefix, plen int, r *rand.Rand) netip.Prefix {
	if p.Bits() > plen {
		plen = p.Bits()
	}
	b := p.Addr().As16()
	hi := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 | uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	free := plen - p.Bits() // random bits between block prefix and plen (within the first 64 bits)
	if free > 0 {
		x := r.Uint64() & ((uint64(1) << free) - 1)
		hi |= x << (64 - plen)
	}
	var o [16]byte
	for i := 0; i < 8; i++ {
		o[i] = byte(hi >> (56 - 8*i))
	}
	return netip.PrefixFrom(netip.AddrFrom16(o), plen)
}

// V6Addr builds an address from a /64 (or shorter) prefix, a subnet id and an interface id.
func V6Addr(p netip.Prefix, subnet uint64, iid uint64) netip.Addr {
	b := p.Addr().As16()
	hi := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 | uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	if p.Bits() < 64 {
		hi |= subnet & ((uint64(1) << (64 - p.Bits())) - 1)
	}
	var o [16]byte
	for i := 0; i < 8; i++ {
		o[i] = byte(hi >> (56 - 8*i))
		o[8+i] = byte(iid >> (56 - 8*i))
	}
	return netip.AddrFrom16(o)
}

// Verify checks that ip really geolocates to the record of block bi and
// belongs to its ASN (using the City and ASN databases).
func (g *Geo) Verify(ip netip.Addr, bi int32) bool {
	b := &g.Blocks[bi]
	rec := &g.Recs[b.Rec]
	var raw cityRecRaw
	ok := true
	if err := g.cdb.Lookup(ip).Decode(&raw); err != nil || raw.City.GeoNameID != rec.GeoID || raw.Country.ISOCode != rec.CC || raw.Location.Radius != rec.Radius {
		ok = false
	}
	var a asnRecRaw
	if err := g.adb.Lookup(ip).Decode(&a); err != nil || a.ASN != b.ASN {
		ok = false
	}
	g.verified++
	if !ok {
		g.verifyFail++
	}
	return ok
}

func haversine(lat1, lon1, lat2, lon2 float64) float64 {
	const R = 6371.0
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp := p2 - p1
	dl := (lon2 - lon1) * math.Pi / 180
	a := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * R * math.Asin(math.Sqrt(a))
}

func dist(a, b *City) float64 { return haversine(a.Lat, a.Lon, b.Lat, b.Lon) }
