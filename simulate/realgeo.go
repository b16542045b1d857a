package simulate

// The real-GeoIP index: one pass over a real GeoLite2/GeoIP2 City database
// and its ASN database, keeping only what the world needs (see
// realworld.go for how pools are drawn from it).
//
// Both databases are walked in tree order, which is address order, so the
// walk is deterministic. Every City network in one of the world's
// countries is split at ASN boundaries; each piece is filed under
//
//   - (world city, ASN, family) when its record has a city located within
//     reach of a world city of the same country (nearestReach), and
//   - (country, ASN, family) when its ASN is one the world tables list
//     (residential, mobile, business or hosting), wherever it is located,
//     city or not.
//
// Each bucket keeps a bounded weighted sample (Efraimidis-Spirakis A-Res,
// weight = addresses, capped) drawn with a fixed-seed generator, so the
// index does not depend on Config.Seed and is cached per database file:
// a second world from the same files costs nothing but the pool draws.

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"sort"
	"sync"

	"github.com/oschwald/maxminddb-golang/v2"
)

// RealGeoIP names real MaxMind databases (GeoLite2 or GeoIP2 City and ASN)
// to build the world from instead of synthetic address pools. Both are
// required when either is set. The files are read once per process (the
// index is cached by path, size and modification time).
type RealGeoIP struct {
	// City is the path of a GeoLite2-City (or GeoIP2-City) database.
	City string
	// ASN is the path of a GeoLite2-ASN database.
	ASN string
}

// Enabled reports whether real databases are configured.
func (g RealGeoIP) Enabled() bool { return g.City != "" || g.ASN != "" }

// ErrRealGeoIP is returned by WriteGeoIP when the Config uses real
// databases: those are used as they are and nothing is written.
var ErrRealGeoIP = errors.New("simulate: the population uses real GeoIP databases (Config.RealGeoIP); use those files, nothing is written")

// Bucket sizes of the index.
const (
	realNearListed   = 64  // networks per (world city, listed ASN, family)
	realNearOther    = 8   // per (world city, other ASN, family): fallback ISPs
	realCountryCap   = 256 // per (country, listed ASN, family)
	realMaxV4Bits    = 29  // smaller IPv4 networks are ignored
	realMaxV6Bits    = 64  // smaller IPv6 networks are ignored
	realWeightCapLog = 16  // weights are capped at 2^16 addresses (/16, or /48 in /64s)
)

// realRec is one City database record the index kept.
type realRec struct {
	name     string // city name (English); "" when the record has no city
	country  string
	lat, lon float64
	acc      uint16
	noCoords bool
	near     int16 // nearest populated world city within reach, or -1
	nearDC   int16 // nearest data-centre-only world city within reach, or -1
}

// realNet is one network (a City network clipped to one ASN network).
type realNet struct {
	pfx netip.Prefix
	rec int32
	asn uint32
}

// bucketKey files networks: place is a world city index, or -1-i for
// country i.
type bucketKey struct {
	place int32
	asn   uint32
	v6    bool
}

type realIndex struct {
	recs    []realRec
	buckets map[bucketKey][]realNet // sorted by prefix
	// nearWeight is the IPv4 address weight of each ASN's networks near
	// each populated world city, to rank fallback ISPs.
	nearWeight map[[2]uint32]float64
	orgs       map[uint32]string
	listed     map[uint32]providerKind
}

func (ix *realIndex) nets(place int, asn uint32, v6 bool) []realNet {
	return ix.buckets[bucketKey{int32(place), asn, v6}]
}

func countryPlace(ci int) int { return -1 - ci }

var realCache struct {
	sync.Mutex
	key string
	ix  *realIndex
}

// loadRealIndex returns the index of the databases, building it on first
// use. Only the most recent index is kept.
func loadRealIndex(g RealGeoIP) (*realIndex, error) {
	var key string
	for _, p := range []string{g.City, g.ASN} {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("simulate: real GeoIP: %w", err)
		}
		key += fmt.Sprintf("%s\x00%d\x00%d\x00", p, fi.Size(), fi.ModTime().UnixNano())
	}
	realCache.Lock()
	defer realCache.Unlock()
	if realCache.key == key {
		return realCache.ix, nil
	}
	ix, err := buildRealIndex(g)
	if err != nil {
		return nil, err
	}
	realCache.key, realCache.ix = key, ix
	return ix, nil
}

// asnTable is the ASN database flattened to sorted, disjoint ranges.
type asnTable struct {
	v4start, v4end []uint32
	v4asn          []uint32
	v6start, v6end []u128
	v6asn          []uint32
	orgs           map[uint32]string
}

type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }

func addrU128(a netip.Addr) u128 {
	b := a.As16()
	return u128{beUint64(b[:8]), beUint64(b[8:])}
}

func beUint64(b []byte) uint64 {
	var x uint64
	for _, c := range b[:8] {
		x = x<<8 | uint64(c)
	}
	return x
}

func addrU32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// prefixEnd6 returns the last address of p.
func prefixEnd6(p netip.Prefix) u128 {
	s := addrU128(p.Addr())
	bits := p.Bits()
	switch {
	case bits == 0:
		return u128{math.MaxUint64, math.MaxUint64}
	case bits <= 64:
		s.hi |= math.MaxUint64 >> bits // a shift by 64 is 0 in Go
		s.lo = math.MaxUint64
	default:
		s.lo |= math.MaxUint64 >> (bits - 64)
	}
	return s
}

func prefixEnd4(p netip.Prefix) uint32 {
	s := addrU32(p.Addr())
	if p.Bits() == 0 {
		return math.MaxUint32
	}
	return s | (math.MaxUint32 >> p.Bits())
}

type mmASN struct {
	Number uint32 `maxminddb:"autonomous_system_number"`
	Org    string `maxminddb:"autonomous_system_organization"`
}

func readASNTable(path string) (*asnTable, error) {
	db, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("simulate: real GeoIP: opening ASN database: %w", err)
	}
	defer db.Close()
	t := &asnTable{orgs: map[uint32]string{}}
	cache := map[uintptr]uint32{}
	for res := range db.Networks() {
		if err := res.Err(); err != nil {
			return nil, fmt.Errorf("simulate: real GeoIP: reading %s: %w", path, err)
		}
		asn, ok := cache[res.Offset()]
		if !ok {
			var m mmASN
			if err := res.Decode(&m); err != nil {
				return nil, fmt.Errorf("simulate: real GeoIP: decoding %s: %w", path, err)
			}
			asn = m.Number
			cache[res.Offset()] = asn
			if _, seen := t.orgs[asn]; !seen && asn != 0 {
				t.orgs[asn] = m.Org
			}
		}
		if asn == 0 {
			continue
		}
		p := res.Prefix()
		if p.Addr().Is4() {
			t.v4start = append(t.v4start, addrU32(p.Addr()))
			t.v4end = append(t.v4end, prefixEnd4(p))
			t.v4asn = append(t.v4asn, asn)
		} else {
			t.v6start = append(t.v6start, addrU128(p.Addr()))
			t.v6end = append(t.v6end, prefixEnd6(p))
			t.v6asn = append(t.v6asn, asn)
		}
	}
	if len(t.v4start) == 0 {
		return nil, fmt.Errorf("simulate: real GeoIP: %s has no IPv4 networks; is it an ASN database?", path)
	}
	if !sort.SliceIsSorted(t.v4start, func(i, j int) bool { return t.v4start[i] < t.v4start[j] }) ||
		!sort.SliceIsSorted(t.v6start, func(i, j int) bool { return t.v6start[i].less(t.v6start[j]) }) {
		return nil, fmt.Errorf("simulate: real GeoIP: %s: networks not in address order", path)
	}
	return t, nil
}

// pieces calls f for every ASN network overlapping p, clipped to p (the
// two are CIDR blocks, so the overlap is the longer of the two).
func (t *asnTable) pieces(p netip.Prefix, f func(netip.Prefix, uint32)) {
	if p.Addr().Is4() {
		s, e := addrU32(p.Addr()), prefixEnd4(p)
		i := sort.Search(len(t.v4start), func(i int) bool { return t.v4start[i] > s }) - 1
		if i < 0 || t.v4end[i] < s {
			i++
		}
		for ; i < len(t.v4start) && t.v4start[i] <= e; i++ {
			if t.v4end[i] < s {
				continue
			}
			q := p
			if t.v4start[i] > s || t.v4end[i] < e {
				q = prefixFrom4(t.v4start[i], t.v4end[i])
			}
			f(q, t.v4asn[i])
		}
		return
	}
	s, e := addrU128(p.Addr()), prefixEnd6(p)
	i := sort.Search(len(t.v6start), func(i int) bool { return s.less(t.v6start[i]) }) - 1
	if i < 0 || t.v6end[i].less(s) {
		i++
	}
	for ; i < len(t.v6start) && !e.less(t.v6start[i]); i++ {
		if t.v6end[i].less(s) {
			continue
		}
		q := p
		if s.less(t.v6start[i]) || t.v6end[i].less(e) {
			q = prefixFrom6(t.v6start[i], t.v6end[i])
		}
		f(q, t.v6asn[i])
	}
}

func prefixFrom4(s, e uint32) netip.Prefix {
	bits := 32 - bitLen32(e-s)
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(s >> 24), byte(s >> 16), byte(s >> 8), byte(s)}), bits)
}

func bitLen32(x uint32) int {
	n := 0
	for x != 0 {
		n++
		x >>= 1
	}
	return n
}

func prefixFrom6(s, e u128) netip.Prefix {
	var bits int
	if d := e.hi - s.hi; d != 0 {
		bits = 64 - bitLen64(d)
	} else {
		bits = 128 - bitLen64(e.lo-s.lo)
	}
	var b [16]byte
	for i := range 8 {
		b[i] = byte(s.hi >> (56 - 8*i))
		b[8+i] = byte(s.lo >> (56 - 8*i))
	}
	return netip.PrefixFrom(netip.AddrFrom16(b), bits)
}

func bitLen64(x uint64) int {
	n := 0
	for x != 0 {
		n++
		x >>= 1
	}
	return n
}

type mmCity struct {
	City struct {
		Names struct {
			En string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"city"`
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	Location struct {
		Lat *float64 `maxminddb:"latitude"`
		Lon *float64 `maxminddb:"longitude"`
		Acc uint16   `maxminddb:"accuracy_radius"`
	} `maxminddb:"location"`
}

// nearestReach is how far (km) from a world city a network located in a
// named city may be to count as that city's: the metro area, larger for
// larger metros (suburbs geolocate to their own town names).
func nearestReach(c int) float64 {
	if cities[c].Pop == 0 {
		return 30
	}
	return min(60, max(25, 20+8*math.Sqrt(cities[c].Pop)))
}

// reservoir is a weighted sample of bounded size (A-Res: keep the k
// largest log(u)/w).
type reservoir struct {
	k     int
	items []resItem
}

type resItem struct {
	key float64
	n   realNet
}

func (r *reservoir) Len() int           { return len(r.items) }
func (r *reservoir) Less(i, j int) bool { return r.items[i].key < r.items[j].key }
func (r *reservoir) Swap(i, j int)      { r.items[i], r.items[j] = r.items[j], r.items[i] }
func (r *reservoir) Push(x any)         { r.items = append(r.items, x.(resItem)) }
func (r *reservoir) Pop() any {
	x := r.items[len(r.items)-1]
	r.items = r.items[:len(r.items)-1]
	return x
}

func (r *reservoir) offer(key float64, n realNet) {
	if len(r.items) < r.k {
		heap.Push(r, resItem{key, n})
		return
	}
	if key > r.items[0].key {
		r.items[0] = resItem{key, n}
		heap.Fix(r, 0)
	}
}

// netWeight is a network's sampling weight: its addresses (IPv6: its
// /64s), capped.
func netWeight(p netip.Prefix) float64 {
	host := 32 - p.Bits()
	if p.Addr().Is6() {
		host = 64 - p.Bits()
	}
	return math.Ldexp(1, min(max(host, 0), realWeightCapLog))
}

func buildRealIndex(g RealGeoIP) (*realIndex, error) {
	if g.City == "" || g.ASN == "" {
		return nil, errors.New("simulate: real GeoIP needs both a City and an ASN database")
	}
	at, err := readASNTable(g.ASN)
	if err != nil {
		return nil, err
	}
	db, err := maxminddb.Open(g.City)
	if err != nil {
		return nil, fmt.Errorf("simulate: real GeoIP: opening City database: %w", err)
	}
	defer db.Close()

	ix := &realIndex{
		buckets:    map[bucketKey][]realNet{},
		nearWeight: map[[2]uint32]float64{},
		orgs:       at.orgs,
		listed:     map[uint32]providerKind{},
	}
	for _, p := range providers {
		if k, ok := ix.listed[p.ASN]; !ok || p.Kind > k {
			ix.listed[p.ASN] = p.Kind // a carrier that is also an ISP (DNA) counts as mobile
		}
	}
	countryIdx := map[string]int{}
	for i, c := range countries {
		countryIdx[c.Code] = i
	}
	byCountry := make([][]int, len(countries))
	for i, c := range cities {
		ci := countryIdx[c.Country]
		byCountry[ci] = append(byCountry[ci], i)
	}

	recOf := map[uintptr]int32{}
	res := map[bucketKey]*reservoir{}
	r := rand.New(rand.NewPCG(0x6e01173, 0x5eed))
	offer := func(k bucketKey, cap int, n realNet, key float64) {
		b := res[k]
		if b == nil {
			b = &reservoir{k: cap}
			res[k] = b
		}
		b.offer(key, n)
	}
	for result := range db.Networks() {
		if err := result.Err(); err != nil {
			return nil, fmt.Errorf("simulate: real GeoIP: reading %s: %w", g.City, err)
		}
		ri, ok := recOf[result.Offset()]
		if !ok {
			ri = -1
			var iso string
			if err := result.DecodePath(&iso, "country", "iso_code"); err != nil {
				return nil, fmt.Errorf("simulate: real GeoIP: decoding %s: %w", g.City, err)
			}
			if ci, known := countryIdx[iso]; known {
				var m mmCity
				if err := result.Decode(&m); err != nil {
					return nil, fmt.Errorf("simulate: real GeoIP: decoding %s: %w", g.City, err)
				}
				rec := realRec{name: m.City.Names.En, country: m.Country.ISOCode, acc: m.Location.Acc, near: -1, nearDC: -1}
				if m.Location.Lat == nil || m.Location.Lon == nil {
					rec.noCoords = true
				} else {
					rec.lat, rec.lon = *m.Location.Lat, *m.Location.Lon
				}
				if rec.name != "" && !rec.noCoords {
					bestPop, bestDC := math.Inf(1), math.Inf(1)
					for _, c := range byCountry[ci] {
						// 0.6° of latitude is 67 km, more than any reach;
						// longitude degrees shrink by cos(lat) >= 0.4 here.
						if math.Abs(rec.lat-cities[c].Lat) > 0.6 || math.Abs(rec.lon-cities[c].Lon) > 1.5 {
							continue
						}
						d := haversine(rec.lat, rec.lon, cities[c].Lat, cities[c].Lon)
						if d > nearestReach(c) {
							continue
						}
						if cities[c].Pop > 0 && d < bestPop {
							bestPop, rec.near = d, int16(c)
						}
						if cities[c].Pop == 0 && d < bestDC {
							bestDC, rec.nearDC = d, int16(c)
						}
					}
				}
				ri = int32(len(ix.recs))
				ix.recs = append(ix.recs, rec)
			}
			recOf[result.Offset()] = ri
		}
		if ri < 0 {
			continue
		}
		rec := &ix.recs[ri]
		ci := countryIdx[rec.country]
		at.pieces(result.Prefix(), func(p netip.Prefix, asn uint32) {
			v6 := p.Addr().Is6()
			if (!v6 && p.Bits() > realMaxV4Bits) || (v6 && p.Bits() > realMaxV6Bits) {
				return
			}
			n := realNet{pfx: p, rec: ri, asn: asn}
			w := netWeight(p)
			key := math.Log(1-r.Float64()) / w // in (-inf, 0]; larger is better
			_, isListed := ix.listed[asn]
			if rec.near >= 0 {
				capN := realNearOther
				if isListed {
					capN = realNearListed
				}
				offer(bucketKey{int32(rec.near), asn, v6}, capN, n, key)
				if !v6 {
					ix.nearWeight[[2]uint32{uint32(rec.near), asn}] += w
				}
			}
			if rec.nearDC >= 0 && isListed {
				offer(bucketKey{int32(rec.nearDC), asn, v6}, realNearListed, n, key)
			}
			if isListed {
				offer(bucketKey{int32(countryPlace(ci)), asn, v6}, realCountryCap, n, key)
			}
		})
	}
	for k, b := range res {
		nets := make([]realNet, len(b.items))
		for i, it := range b.items {
			nets[i] = it.n
		}
		slices.SortFunc(nets, func(x, y realNet) int { return x.pfx.Addr().Compare(y.pfx.Addr()) })
		ix.buckets[k] = nets
	}
	if len(ix.recs) == 0 {
		return nil, fmt.Errorf("simulate: real GeoIP: %s has no networks in the world's countries; is it a City database?", g.City)
	}
	return ix, nil
}
