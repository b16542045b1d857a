package simulate

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"

	"github.com/sharewatch/sharewatch/internal/mmdbgen"
)

// World is the simulated internet: cities, providers and the address
// pools they announce, each /24 (or IPv6 /48) with its GeoIP record. In
// a real-GeoIP world (Config.RealGeoIP) the pools are /24s and /48s
// carved from real networks (or smaller real networks as they are), with
// the real databases' records. A World is built from a Config and is
// read-only afterwards.
type World struct {
	cfg Config

	cityIndex map[string]int
	dist      [][]float64 // km between cities, by index
	countryOf []int       // city index -> index into countries
	nations   []nation    // by index into countries

	// populated cities and their cumulative residence weights.
	populated []int
	popCum    []float64

	pools         []pool
	res           map[[2]int]int // (provider, city) -> residential pool
	mob           map[int]int    // provider -> mobile pool
	biz           map[int][]int  // city -> business (hotel) pools
	hostByCountry map[string][]int
	vpnByCountry  map[string][]int // consumer VPN exits

	lookup map[netip.Prefix][2]int // /24 or /48 -> (pool, net index; -1 for v6, -2-i for nets6[i])
	// lookupBits are the prefix lengths in lookup, IPv4 then IPv6 (nil:
	// only /24 and /48, the synthetic plan).
	lookupBits [2][]int

	real bool              // built from real GeoIP databases
	orgs map[uint32]string // real AS organisations

	twoHomesFlats []int // cities with a possible country house
}

// nation is the per-country index built from the static tables.
type nation struct {
	country
	capital     int
	cities      []int // populated, by population descending
	residential []int // provider indices; [0] is the incumbent
	mobile      []int
	business    []int
	hubs        []int // cities mobile pools geolocate to
}

// pool is one provider's address space in one place.
type pool struct {
	prov int
	city int // -1 for mobile pools, which are national
	nets []netip.Prefix
	geo  []geo
	v6   netip.Prefix // zero when the pool has no IPv6
	v6g  geo
	// nets6 are IPv6 networks of a real mobile carrier (real mode only):
	// poolAddr then draws half its addresses from them.
	nets6 []netip.Prefix
	geo6  []geo
}

// geo is what the City database says about one network.
type geo struct {
	city     int // -1: country-level record without a city
	country  string
	lat, lon float64
	acc      uint16
	// Real mode only: the database's city name ("" when it has none),
	// a record without coordinates, and the network's real ASN.
	name     string
	noCoords bool
	asn      uint32
}

// NewWorld builds the world a Config's population lives in. The address
// plan is fixed; where networks geolocate depends on Seed, AccuracyScale
// and ResidentialJitterKM. With RealGeoIP it reads the databases (once
// per process and file version, a few seconds) and fails when they
// cannot be read or lack the world's networks.
func NewWorld(cfg Config) (*World, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return newWorld(cfg.WithDefaults())
}

// newWorld builds the world of a validated Config with defaults applied.
// Only a real-GeoIP world can fail (unreadable or unsuitable databases).
func newWorld(cfg Config) (*World, error) {
	w := &World{
		cfg:           cfg,
		cityIndex:     make(map[string]int, len(cities)),
		res:           map[[2]int]int{},
		mob:           map[int]int{},
		biz:           map[int][]int{},
		hostByCountry: map[string][]int{},
		vpnByCountry:  map[string][]int{},
		lookup:        map[netip.Prefix][2]int{},
	}
	ci := map[string]int{}
	for i, c := range countries {
		ci[c.Code] = i
		w.nations = append(w.nations, nation{country: c, capital: -1})
	}
	w.countryOf = make([]int, len(cities))
	for i, c := range cities {
		w.cityIndex[c.Name] = i
		n := ci[c.Country]
		w.countryOf[i] = n
		if c.Pop > 0 {
			w.nations[n].cities = append(w.nations[n].cities, i)
			w.populated = append(w.populated, i)
		}
	}
	w.dist = make([][]float64, len(cities))
	for i := range cities {
		w.dist[i] = make([]float64, len(cities))
		for j := range cities {
			w.dist[i][j] = haversine(cities[i].Lat, cities[i].Lon, cities[j].Lat, cities[j].Lon)
		}
	}
	var cum float64
	for _, c := range w.populated {
		cum += cities[c].Pop * countries[w.countryOf[c]].Weight
		w.popCum = append(w.popCum, cum)
	}
	for i := range w.nations {
		n := &w.nations[i]
		slices.SortStableFunc(n.cities, func(a, b int) int { return cmp.Compare(cities[b].Pop, cities[a].Pop) })
		n.capital = w.cityIndex[n.Capital]
		n.hubs = []int{n.capital}
		for _, c := range n.cities {
			far := true
			for _, h := range n.hubs {
				if w.dist[c][h] < 150 {
					far = false
				}
			}
			if far && len(n.hubs) < 4 {
				n.hubs = append(n.hubs, c)
			}
		}
		for _, c := range n.cities {
			if len(n.hubs) >= 3 {
				break
			}
			if !slices.Contains(n.hubs, c) {
				n.hubs = append(n.hubs, c)
			}
		}
	}
	for pi, p := range providers {
		for _, cc := range p.Countries {
			n := &w.nations[ci[cc]]
			switch p.Kind {
			case kindResidential:
				n.residential = append(n.residential, pi)
			case kindMobile:
				n.mobile = append(n.mobile, pi)
			case kindBusiness:
				n.business = append(n.business, pi)
			}
		}
	}
	if cfg.RealGeoIP.Enabled() {
		ix, err := loadRealIndex(cfg.RealGeoIP)
		if err != nil {
			return nil, err
		}
		w.real, w.orgs = true, ix.orgs
		if err := w.allocateReal(ix); err != nil {
			return nil, err
		}
	} else {
		w.allocate()
	}
	for _, c := range w.populated {
		for _, o := range w.populated {
			if houseWeight(w, c, o) > 0 {
				w.twoHomesFlats = append(w.twoHomesFlats, c)
				break
			}
		}
	}
	return w, nil
}

// Regional address space, so that first octets look like the RIR that
// would have assigned them. Every /8 here is public unicast.
var (
	arinSpace   = []byte{23, 24, 50, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 96, 97, 98, 99, 104, 107, 108, 173, 174}
	ripeSpace   = []byte{31, 37, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 109, 176, 178, 188, 193, 194, 195, 212, 213, 217}
	lacnicSpace = []byte{177, 179, 181, 186, 187, 189, 190, 191, 200, 201}
	apnicSpace  = []byte{27, 36, 39, 42, 49, 58, 59, 60, 61, 101, 110, 111, 112, 113, 114, 115, 116, 118, 119, 121, 122, 124, 125, 126}
)

func regionSpace(cc string) int {
	switch cc {
	case "US", "CA":
		return 0
	case "MX", "BR":
		return 2
	case "JP", "AU":
		return 3
	}
	return 1
}

// allocator hands out /24s sequentially from a list of /8s with a stride
// between pools, skipping anything reserved.
type allocator struct {
	space []byte
	octet int    // index into space
	next  uint32 // next /24 within the /8, 0..65535
	k     int
}

func (a *allocator) pool(n int) []netip.Prefix {
	a.k++
	a.next += uint32(13 + (a.k*7919)%241)
	out := make([]netip.Prefix, 0, n)
	for len(out) < n {
		if a.next >= 1<<16 {
			a.octet++
			a.next = 16 << 8
			if a.octet >= len(a.space) {
				panic("simulate: address space exhausted")
			}
		}
		ip := netip.AddrFrom4([4]byte{a.space[a.octet], byte(a.next >> 8), byte(a.next), 0})
		a.next++
		if reservedV4(ip) {
			continue
		}
		out = append(out, netip.PrefixFrom(ip, 24))
	}
	return out
}

var reservedV4Prefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("192.88.99.0/24"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("224.0.0.0/3"),
}

// reservedV4 reports whether ip is in a range that never appears on the
// public internet.
func reservedV4(ip netip.Addr) bool {
	for _, p := range reservedV4Prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func (w *World) allocate() {
	allocs := []*allocator{
		{space: arinSpace, next: 16 << 8},
		{space: ripeSpace, next: 16 << 8},
		{space: lacnicSpace, next: 16 << 8},
		{space: apnicSpace, next: 16 << 8},
	}
	r := rand.New(rand.NewPCG(w.cfg.Seed^0x5eed0f9e01b, 0x9e3779b97f4a7c15))
	addPool := func(p pool) int {
		w.pools = append(w.pools, p)
		id := len(w.pools) - 1
		for i, n := range p.nets {
			w.lookup[n] = [2]int{id, i}
		}
		if p.v6.IsValid() {
			w.lookup[p.v6] = [2]int{id, -1}
		}
		return id
	}
	v6isp := 0
	for pi, p := range providers {
		switch p.Kind {
		case kindResidential:
			cc := p.Countries[0]
			n := &w.nations[w.countryIndex(cc)]
			a := allocs[regionSpace(cc)]
			var h1 uint16
			if p.IPv6 {
				h1 = uint16(0x1000 + v6isp*0x2b3)
			}
			for j, c := range n.cities {
				size := 2 + int(math.Round(cities[c].Pop))
				size = min(size, 16)
				pl := pool{prov: pi, city: c, nets: a.pool(size)}
				for range pl.nets {
					pl.geo = append(pl.geo, w.residentialGeo(r, c))
				}
				if p.IPv6 {
					h0 := uint16(0x2a02 + v6isp%13)
					pl.v6 = netip.PrefixFrom(netip.AddrFrom16([16]byte{
						byte(h0 >> 8), byte(h0), byte(h1 >> 8), byte(h1), byte(j >> 8), byte(j),
					}), 48)
					pl.v6g = w.residentialGeo(r, c)
				}
				w.res[[2]int{pi, c}] = addPool(pl)
			}
			if p.IPv6 {
				v6isp++
			}
		case kindMobile:
			cc := p.Countries[0]
			n := &w.nations[w.countryIndex(cc)]
			a := allocs[regionSpace(cc)]
			pl := pool{prov: pi, city: -1, nets: a.pool(24 + 8*len(n.hubs))}
			for range pl.nets {
				pl.geo = append(pl.geo, w.mobileGeo(r, n))
			}
			w.mob[pi] = addPool(pl)
		case kindBusiness:
			for _, cc := range p.Countries {
				n := &w.nations[w.countryIndex(cc)]
				a := allocs[regionSpace(cc)]
				for _, c := range n.cities {
					size := 1
					if cities[c].Pop >= 3 {
						size = 2
					}
					pl := pool{prov: pi, city: c, nets: a.pool(size)}
					for range pl.nets {
						pl.geo = append(pl.geo, w.pointGeo(r, c, 10, accHotel))
					}
					w.biz[c] = append(w.biz[c], addPool(pl))
				}
			}
		case kindHosting:
			for _, dc := range p.DCs {
				c, ok := w.cityIndex[dc]
				if !ok {
					panic("simulate: unknown data-centre city " + dc)
				}
				cc := cities[c].Country
				a := allocs[regionSpace(cc)]
				pl := pool{prov: pi, city: c, nets: a.pool(2 + len(w.pools)%3)}
				for range pl.nets {
					pl.geo = append(pl.geo, w.pointGeo(r, c, 5, accHosting))
				}
				id := addPool(pl)
				w.hostByCountry[cc] = append(w.hostByCountry[cc], id)
				if slices.Contains(consumerVPNASNs, p.ASN) {
					w.vpnByCountry[cc] = append(w.vpnByCountry[cc], id)
				}
			}
		}
	}
}

func (w *World) countryIndex(cc string) int {
	for i, c := range countries {
		if c.Code == cc {
			return i
		}
	}
	panic("simulate: unknown country " + cc)
}

// Accuracy radius distributions (km) before AccuracyScale.
var (
	accResidential = weighted[uint16]{vals: []uint16{5, 10, 20, 50, 100, 200}, w: []float64{0.10, 0.22, 0.25, 0.22, 0.13, 0.08}}
	accMisplaced   = weighted[uint16]{vals: []uint16{50, 100, 200, 500}, w: []float64{0.3, 0.35, 0.25, 0.1}}
	accMobile      = weighted[uint16]{vals: []uint16{100, 200, 500, 1000}, w: []float64{0.25, 0.3, 0.3, 0.15}}
	accHotel       = weighted[uint16]{vals: []uint16{5, 10, 20, 50}, w: []float64{0.2, 0.35, 0.3, 0.15}}
	accHosting     = weighted[uint16]{vals: []uint16{1, 5, 10, 20}, w: []float64{0.3, 0.3, 0.25, 0.15}}
)

func (w *World) scaleAcc(a uint16) uint16 {
	v := math.Round(float64(a) * w.cfg.AccuracyScale)
	return uint16(max(1, min(v, math.MaxUint16)))
}

// residentialGeo places a home network: usually its own city, sometimes
// a neighbouring city, the capital, or only the country, as real GeoIP
// data does.
func (w *World) residentialGeo(r *rand.Rand, c int) geo {
	n := &w.nations[w.countryOf[c]]
	u := r.Float64()
	switch {
	case u < 0.06:
		return w.pointGeo(r, w.nearest(c), w.cfg.ResidentialJitterKM, accMisplaced)
	case u < 0.10:
		t := n.capital
		if t == c {
			t = w.nearest(c)
		}
		return w.pointGeo(r, t, w.cfg.ResidentialJitterKM, accMisplaced)
	case u < 0.12:
		return geo{city: -1, country: n.Code, lat: n.CentroidLat, lon: n.CentroidLon, acc: w.scaleAcc(1000)}
	}
	return w.pointGeo(r, c, w.cfg.ResidentialJitterKM, accResidential)
}

// mobileGeo places a mobile carrier /24 at one of the country's hubs or
// only at the country, with a coarse radius.
func (w *World) mobileGeo(r *rand.Rand, n *nation) geo {
	if r.Float64() < 0.15 {
		return geo{city: -1, country: n.Code, lat: n.CentroidLat, lon: n.CentroidLon, acc: w.scaleAcc(1000)}
	}
	return w.pointGeo(r, n.hubs[r.IntN(len(n.hubs))], 5, accMobile)
}

func (w *World) pointGeo(r *rand.Rand, c int, jitterKM float64, acc weighted[uint16]) geo {
	lat, lon := offset(cities[c].Lat, cities[c].Lon, jitterKM*math.Sqrt(r.Float64()), r.Float64()*2*math.Pi)
	return geo{city: c, country: cities[c].Country, lat: round4(lat), lon: round4(lon), acc: w.scaleAcc(acc.pick(r))}
}

// nearest returns the closest other populated city of the same country,
// or the capital when the country has no other.
func (w *World) nearest(c int) int {
	n := &w.nations[w.countryOf[c]]
	best, bd := -1, math.Inf(1)
	for _, o := range n.cities {
		if o != c && w.dist[c][o] < bd {
			best, bd = o, w.dist[c][o]
		}
	}
	if best < 0 {
		return n.capital
	}
	return best
}

// GeoIPRecords returns one record per network any simulated person can
// use, for both the City and the ASN database. Private, CGNAT and
// documentation ranges are never included.
func (w *World) GeoIPRecords() []mmdbgen.Record {
	var out []mmdbgen.Record
	for _, p := range w.pools {
		for i, n := range p.nets {
			out = append(out, w.record(p, n, p.geo[i]))
		}
		if p.v6.IsValid() {
			out = append(out, w.record(p, p.v6, p.v6g))
		}
		for i, n := range p.nets6 {
			out = append(out, w.record(p, n, p.geo6[i]))
		}
	}
	return out
}

func (w *World) record(p pool, n netip.Prefix, g geo) mmdbgen.Record {
	r := mmdbgen.Record{
		Prefix:     n,
		Country:    g.country,
		Lat:        g.lat,
		Lon:        g.lon,
		AccuracyKM: g.acc,
		ASN:        providers[p.prov].ASN,
		ASOrg:      providers[p.prov].Name,
	}
	if w.real {
		r.City, r.NoCoords = g.name, g.noCoords
		if g.asn != 0 {
			r.ASN, r.ASOrg = g.asn, w.orgs[g.asn]
		}
		return r
	}
	if g.city >= 0 {
		r.City = cities[g.city].Name
	}
	return r
}

// Lookup returns the GeoIP record of the network containing a, as the
// databases written by WriteGeoIP would answer it. In a real-GeoIP world
// it answers what the real databases say about the (carved) network, for
// the addresses the population uses.
func (w *World) Lookup(a netip.Addr) (mmdbgen.Record, bool) {
	a = a.Unmap()
	fam, lens := 0, []int{24}
	if a.Is6() {
		fam, lens = 1, []int{48}
	}
	if w.lookupBits[fam] != nil {
		lens = w.lookupBits[fam]
	}
	for i := len(lens) - 1; i >= 0; i-- { // the most specific first
		p, err := a.Prefix(lens[i])
		if err != nil {
			continue
		}
		ref, ok := w.lookup[p]
		if !ok {
			continue
		}
		pl := w.pools[ref[0]]
		switch {
		case ref[1] == -1:
			return w.record(pl, pl.v6, pl.v6g), true
		case ref[1] < -1:
			return w.record(pl, pl.nets6[-2-ref[1]], pl.geo6[-2-ref[1]]), true
		}
		return w.record(pl, pl.nets[ref[1]], pl.geo[ref[1]]), true
	}
	return mmdbgen.Record{}, false
}

// addLookup files a network of pool id (index i as in lookup) under its
// own prefix length. The first pool to claim a prefix keeps it: pools of
// a real world may share a network, with the same record.
func (w *World) addLookup(p netip.Prefix, id, i int) {
	if _, dup := w.lookup[p]; !dup {
		w.lookup[p] = [2]int{id, i}
	}
	fam := 0
	if p.Addr().Is6() {
		fam = 1
	}
	if !slices.Contains(w.lookupBits[fam], p.Bits()) {
		w.lookupBits[fam] = append(w.lookupBits[fam], p.Bits())
		slices.Sort(w.lookupBits[fam])
	}
}

// WriteGeoIP writes GeoLite2-City and GeoLite2-ASN shaped databases
// covering every network the population of cfg uses. asnPath may be
// empty to skip the ASN database. A Config with RealGeoIP set is refused
// with ErrRealGeoIP: score such a population with the real databases.
func WriteGeoIP(cfg Config, cityPath, asnPath string) error {
	if cfg.RealGeoIP.Enabled() {
		return ErrRealGeoIP
	}
	w, err := NewWorld(cfg)
	if err != nil {
		return err
	}
	if err := mmdbgen.Write(cityPath, asnPath, w.GeoIPRecords()); err != nil {
		return fmt.Errorf("writing simulated GeoIP databases: %w", err)
	}
	return nil
}

// residentialPool returns the pool of ISP prov in city c.
func (w *World) residentialPool(prov, c int) int { return w.res[[2]int{prov, c}] }

// pickHome draws a city to live in, weighted by population.
func (w *World) pickHome(r *rand.Rand) int {
	x := r.Float64() * w.popCum[len(w.popCum)-1]
	i, _ := slices.BinarySearch(w.popCum, x)
	return w.populated[min(i, len(w.populated)-1)]
}

// pickCity draws a populated city weighted by population times weight(c);
// it returns -1 when every weight is zero.
func (w *World) pickCity(r *rand.Rand, weight func(c int) float64) int {
	var total float64
	for _, c := range w.populated {
		total += cities[c].Pop * countries[w.countryOf[c]].Weight * weight(c)
	}
	if total <= 0 {
		return -1
	}
	x := r.Float64() * total
	for _, c := range w.populated {
		x -= cities[c].Pop * countries[w.countryOf[c]].Weight * weight(c)
		if x < 0 {
			return c
		}
	}
	return w.populated[len(w.populated)-1]
}

func (w *World) nation(c int) *nation { return &w.nations[w.countryOf[c]] }

// weighted is a small discrete distribution.
type weighted[T any] struct {
	vals []T
	w    []float64
}

func (d weighted[T]) pick(r *rand.Rand) T {
	var total float64
	for _, x := range d.w {
		total += x
	}
	x := r.Float64() * total
	for i, wi := range d.w {
		x -= wi
		if x < 0 {
			return d.vals[i]
		}
	}
	return d.vals[len(d.vals)-1]
}

const earthRadiusKM = 6371.0

func haversine(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	dlat := (lat2 - lat1) * rad
	dlon := (lon2 - lon1) * rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * earthRadiusKM * math.Asin(math.Min(1, math.Sqrt(a)))
}

// offset moves a point d km along bearing b (radians); good enough for
// the tens of km it is used for.
func offset(lat, lon, d, b float64) (float64, float64) {
	dlat := d * math.Cos(b) / 111.2
	dlon := d * math.Sin(b) / (111.2 * math.Cos(lat*math.Pi/180))
	return lat + dlat, lon + dlon
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
