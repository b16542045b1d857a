package simulate

// The world's address pools drawn from real GeoLite2 networks
// (Config.RealGeoIP). Behaviours, labels and the world tables are the
// same as in the synthetic world; only which addresses people use, and so
// what GeoIP says about them, changes. The rules:
//
//   - Residential (ISP, city): the ISP's real networks (its listed ASN)
//     located near the city. A /24 is carved out of each network larger
//     than a /24. Like real lines, some /24s of a pool geolocate elsewhere:
//     with the ISP's real share of city-less networks (at most 25%) a
//     country-level network of that ASN, 6% a network near the nearest
//     world city, 4% near the capital. When the listed ASN has fewer than
//     realMinNets networks near the city, the pool takes another ASN of
//     the same organisation near the city (Charter runs a dozen), else the
//     city's most frequent other ASN (by address count) that is not a
//     hosting ASN (enrich.DefaultHostingASNs), not listed as mobile,
//     business or hosting, not already an ISP of that city, and whose
//     organisation does not read like hosting, mobile, education or
//     government; when none is left, the ISP shares another ISP's pool.
//   - A city with no usable real networks at all borrows the pools of the
//     nearest city of its country that has them: its people live in the
//     world city (labels say so) but their lines geolocate there.
//   - IPv6: every ISP with real IPv6 networks of /48 or larger gets a /48
//     per pool (carved from them), whatever the world table's IPv6 flag:
//     one located near the city when there is one, else a country-level or
//     within-300-km one of the same ASN, else any of the ASN's in the
//     country. An ISP without any has no IPv6.
//   - Mobile carriers: the carrier's real networks anywhere in the country
//     (a /24 carved from each), plus its IPv6 networks: half of a carrier's
//     addresses are then IPv6 when it has any. A carrier with no networks
//     in the country takes another listed carrier's, else the incumbent's.
//   - Hotels: networks of the listed business ASNs near the destination
//     city; a city without any uses the incumbent ISP's networks there
//     (hotels on the incumbent's business lines), else the nearest city's
//     hotels.
//   - Hosting exits: the hosting ASN's networks near the data-centre city,
//     else anywhere in its country; a data centre with neither is dropped.
//
// AccuracyScale and ResidentialJitterKM do not apply: radii and locations
// are the databases'. Determinism: the index is built in address order
// with a fixed seed; every draw here uses a generator seeded from
// Config.Seed, and candidates are in address order.

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/sharewatch/sharewatch/enrich"
)

// realMinNets is the fewest networks (of /26 or larger) an ASN needs near
// a city to serve as a residential ISP there.
const realMinNets = 3

// notResidentialOrg matches AS organisations that are not consumer ISPs.
var notResidentialOrg = regexp.MustCompile(`(?i)host|cloud|data ?cent|server|vps|colo|cdn|amazon|google|microsoft|akamai|` +
	`digitalocean|ovh|hetzner|m247|datacamp|leaseweb|linode|vultr|choopa|contabo|scaleway|oracle|alibaba|tencent|` +
	`mobil|m[oó]vel|wireless|cellular|lte|` +
	`univers|college|school|academ|research|educat|scienti|institut|kunnskap|vetenskap|tieteen|belnet|` +
	`government|ministry|department|shared services|commonwealth|county|aeronautic|bank|gtt comm`)

// notResidentialASNs are mobile networks the world tables do not list
// whose GeoLite2 organisation does not say so.
var notResidentialASNs = []uint32{
	6167,  // Cellco Partnership (Verizon Wireless), "Verizon Business" in GeoLite2
	20057, // AT&T Mobility
}

func (w *World) allocateReal(ix *realIndex) error {
	r := rand.New(rand.NewPCG(w.cfg.Seed^0x5eed0f9e01b, 0x7ea1ce0))
	w.lookupBits = [2][]int{}
	addPool := func(p pool) int {
		w.pools = append(w.pools, p)
		id := len(w.pools) - 1
		for i, n := range p.nets {
			w.addLookup(n, id, i)
		}
		for i, n := range p.nets6 {
			w.addLookup(n, id, -2-i)
		}
		if p.v6.IsValid() {
			w.addLookup(p.v6, id, -1)
		}
		return id
	}
	geoOf := func(n realNet) geo {
		rec := &ix.recs[n.rec]
		return geo{city: int(rec.near), country: rec.country, lat: rec.lat, lon: rec.lon, acc: rec.acc, name: rec.name, noCoords: rec.noCoords, asn: n.asn}
	}
	// usable returns the networks of a bucket no longer than maxBits.
	usable := func(place int, asn uint32, v6 bool, maxBits int) []realNet {
		var out []realNet
		for _, n := range ix.nets(place, asn, v6) {
			if n.pfx.Bits() <= maxBits {
				out = append(out, n)
			}
		}
		return out
	}
	// draw carves n distinct prefixes of length bits (or the network
	// itself when smaller) from networks picked at random among src.
	draw := func(src []realNet, n, bits int, pl *pool, seen map[netip.Prefix]bool) {
		for range n {
			for try := 0; try < 8 && len(src) > 0; try++ {
				rn := src[r.IntN(len(src))]
				p := carve(r, rn.pfx, bits)
				if seen[p] {
					continue
				}
				seen[p] = true
				pl.nets = append(pl.nets, p)
				pl.geo = append(pl.geo, geoOf(rn))
				break
			}
		}
	}
	hosting := enrich.DefaultHostingASNs()
	eligible := func(asn uint32) bool {
		if _, listed := ix.listed[asn]; listed && ix.listed[asn] != kindResidential {
			return false
		}
		return !slices.Contains(hosting, asn) && !slices.Contains(notResidentialASNs, asn) && !notResidentialOrg.MatchString(ix.orgs[asn])
	}

	// Residential: resolve each (ISP, city) to a real ASN.
	type resolved struct {
		asn  uint32
		nets []realNet
	}
	resOf := map[[2]int]resolved{}
	var noNets []int
	for _, c := range w.populated {
		n := w.nation(c)
		used := map[uint32]bool{}
		var missing []int
		for _, pi := range n.residential {
			asn := providers[pi].ASN
			if nets := usable(c, asn, false, 26); len(nets) >= realMinNets {
				resOf[[2]int{pi, c}] = resolved{asn, nets}
				used[asn] = true
			} else {
				missing = append(missing, pi)
			}
		}
		if len(missing) > 0 {
			type cand struct {
				asn  uint32
				w    float64
				same bool // another ASN of a missing ISP's organisation
			}
			var cands []cand
			for k, wt := range ix.nearWeight {
				if int(k[0]) == c && !used[k[1]] && eligible(k[1]) {
					same := false
					for _, pi := range missing {
						same = same || sameOrg(providers[pi].Name, ix.orgs[k[1]])
					}
					cands = append(cands, cand{k[1], wt, same})
				}
			}
			slices.SortFunc(cands, func(x, y cand) int {
				if x.same != y.same {
					if x.same {
						return -1
					}
					return 1
				}
				if x.w != y.w {
					if x.w > y.w {
						return -1
					}
					return 1
				}
				return int(x.asn) - int(y.asn)
			})
			for _, cd := range cands {
				if len(missing) == 0 {
					break
				}
				nets := usable(c, cd.asn, false, 26)
				if len(nets) == 0 {
					continue
				}
				k := 0 // the ISP of the same organisation, else the first missing
				for i, pi := range missing {
					if sameOrg(providers[pi].Name, ix.orgs[cd.asn]) {
						k = i
						break
					}
				}
				resOf[[2]int{missing[k], c}] = resolved{cd.asn, nets}
				used[cd.asn] = true
				missing = slices.Delete(missing, k, k+1)
			}
		}
		// Still missing: share a line-up of the city's other ISPs.
		var have []int
		for _, pi := range n.residential {
			if _, ok := resOf[[2]int{pi, c}]; ok {
				have = append(have, pi)
			}
		}
		if len(have) == 0 {
			noNets = append(noNets, c)
			continue
		}
		for i, pi := range missing {
			resOf[[2]int{pi, c}] = resOf[[2]int{have[i%len(have)], c}]
		}
	}
	for _, c := range w.populated {
		n := w.nation(c)
		if slices.Contains(noNets, c) {
			continue
		}
		for _, pi := range n.residential {
			rs := resOf[[2]int{pi, c}]
			pl := pool{prov: pi, city: c}
			size := min(2+int(cities[c].Pop+0.5), 16)
			seen := map[netip.Prefix]bool{}
			country := usable(countryPlace(w.countryOf[c]), rs.asn, false, 26)
			var coarse []realNet
			for _, x := range country {
				if ix.recs[x.rec].name == "" {
					coarse = append(coarse, x)
				}
			}
			pCoarse := 0.0
			if len(country) > 0 {
				pCoarse = min(0.25, float64(len(coarse))/float64(len(country)))
			}
			for range size {
				src := rs.nets
				u := r.Float64()
				switch {
				case u < pCoarse:
					src = coarse
				case u < pCoarse+0.06:
					src = usable(w.nearest(c), rs.asn, false, 26)
				case u < pCoarse+0.10:
					t := n.capital
					if t == c {
						t = w.nearest(c)
					}
					src = usable(t, rs.asn, false, 26)
				}
				if len(src) == 0 {
					src = rs.nets
				}
				draw(src, 1, 24, &pl, seen)
			}
			pl.v6, pl.v6g = w.realV6(r, ix, c, rs.asn, geoOf)
			w.res[[2]int{pi, c}] = addPool(pl)
		}
	}
	for _, c := range noNets {
		t := w.nearestWith(c, func(o int) bool { return !slices.Contains(noNets, o) })
		if t < 0 {
			return fmt.Errorf("simulate: real GeoIP: no residential networks in %s", cities[c].Country)
		}
		for _, pi := range w.nation(c).residential {
			w.res[[2]int{pi, c}] = w.res[[2]int{pi, t}]
		}
	}

	// Mobile carriers.
	for pi, p := range providers {
		if p.Kind != kindMobile {
			continue
		}
		ci := w.countryIndex(p.Countries[0])
		n := &w.nations[ci]
		srcASN := []uint32{p.ASN}
		for _, o := range n.mobile {
			srcASN = append(srcASN, providers[o].ASN)
		}
		srcASN = append(srcASN, providers[n.residential[0]].ASN)
		pl := pool{prov: pi, city: -1}
		for _, asn := range srcASN {
			v4 := usable(countryPlace(ci), asn, false, 24)
			if len(v4) == 0 {
				v4 = usable(countryPlace(ci), asn, false, realMaxV4Bits)
			}
			if len(v4) == 0 {
				continue
			}
			draw(v4, 24+8*len(n.hubs), 24, &pl, map[netip.Prefix]bool{})
			for _, x := range usable(countryPlace(ci), asn, true, 64) {
				pl.nets6 = append(pl.nets6, x.pfx)
				pl.geo6 = append(pl.geo6, geoOf(x))
			}
			break
		}
		if len(pl.nets) == 0 {
			return fmt.Errorf("simulate: real GeoIP: no networks for mobile carrier %s (AS%d) in %s", p.Name, p.ASN, n.Code)
		}
		w.mob[pi] = addPool(pl)
	}

	// Hotels and guest Wi-Fi.
	for pi, p := range providers {
		if p.Kind != kindBusiness {
			continue
		}
		for _, cc := range p.Countries {
			for _, c := range w.nations[w.countryIndex(cc)].cities {
				src := usable(c, p.ASN, false, 26)
				if len(src) == 0 {
					continue
				}
				size := 1
				if cities[c].Pop >= 3 {
					size = 2
				}
				pl := pool{prov: pi, city: c}
				draw(src, size, 24, &pl, map[netip.Prefix]bool{})
				w.biz[c] = append(w.biz[c], addPool(pl))
			}
		}
	}
	for _, c := range w.populated {
		if len(w.biz[c]) > 0 {
			continue
		}
		inc := w.nation(c).residential[0]
		rs, ok := resOf[[2]int{inc, c}]
		if !ok {
			continue
		}
		pl := pool{prov: inc, city: c}
		draw(rs.nets, 1, 24, &pl, map[netip.Prefix]bool{})
		w.biz[c] = append(w.biz[c], addPool(pl))
	}
	for _, c := range w.populated {
		if len(w.biz[c]) == 0 {
			t := w.nearestWith(c, func(o int) bool { return len(w.biz[o]) > 0 })
			if t < 0 {
				return fmt.Errorf("simulate: real GeoIP: no hotel networks in %s", cities[c].Country)
			}
			w.biz[c] = w.biz[t]
		}
	}

	// Hosting exits.
	for pi, p := range providers {
		if p.Kind != kindHosting {
			continue
		}
		for _, dc := range p.DCs {
			c := w.cityIndex[dc]
			cc := cities[c].Country
			src := usable(c, p.ASN, false, 29)
			if len(src) == 0 {
				src = usable(countryPlace(w.countryIndex(cc)), p.ASN, false, 29)
			}
			if len(src) == 0 {
				continue
			}
			pl := pool{prov: pi, city: c}
			draw(src, 2+len(w.pools)%3, 24, &pl, map[netip.Prefix]bool{})
			id := addPool(pl)
			w.hostByCountry[cc] = append(w.hostByCountry[cc], id)
			if slices.Contains(consumerVPNASNs, p.ASN) {
				w.vpnByCountry[cc] = append(w.vpnByCountry[cc], id)
			}
		}
	}
	return nil
}

// realV6 picks the IPv6 /48 of a residential pool of ASN asn in city c.
func (w *World) realV6(r *rand.Rand, ix *realIndex, c int, asn uint32, geoOf func(realNet) geo) (netip.Prefix, geo) {
	var src []realNet
	for _, n := range ix.nets(c, asn, true) {
		if n.pfx.Bits() <= 48 {
			src = append(src, n)
		}
	}
	if len(src) == 0 {
		var all []realNet
		for _, n := range ix.nets(countryPlace(w.countryOf[c]), asn, true) {
			if n.pfx.Bits() > 48 {
				continue
			}
			all = append(all, n)
			rec := &ix.recs[n.rec]
			if rec.name == "" || rec.noCoords || haversine(rec.lat, rec.lon, cities[c].Lat, cities[c].Lon) <= 300 {
				src = append(src, n)
			}
		}
		if len(src) == 0 {
			src = all
		}
	}
	if len(src) == 0 {
		return netip.Prefix{}, geo{}
	}
	n := src[r.IntN(len(src))]
	return carve(r, n.pfx, 48), geoOf(n)
}

// sameOrg reports whether a world-table provider name and a GeoLite2 AS
// organisation start with the same word of four letters or more
// ("Charter Communications Inc" and "Charter Communications LLC").
func sameOrg(name, org string) bool {
	first := func(s string) string {
		s = strings.ToLower(s)
		if i := strings.IndexAny(s, " ,.-"); i >= 0 {
			s = s[:i]
		}
		return s
	}
	a := first(name)
	return len(a) >= 4 && a == first(org)
}

// nearestWith returns the populated city of c's country nearest to c that
// satisfies ok, or -1.
func (w *World) nearestWith(c int, ok func(int) bool) int {
	best, bd := -1, 0.0
	for _, o := range w.nation(c).cities {
		if o != c && ok(o) && (best < 0 || w.dist[c][o] < bd) {
			best, bd = o, w.dist[c][o]
		}
	}
	return best
}

// carve returns a random sub-prefix of p of length bits, or p when it is
// not larger than that. bits is at most 32 (IPv4) or 64 (IPv6).
func carve(r *rand.Rand, p netip.Prefix, bits int) netip.Prefix {
	if p.Bits() >= bits {
		return p
	}
	free := bits - p.Bits()
	if p.Addr().Is4() {
		s := addrU32(p.Addr()) | uint32(r.Uint64()&(1<<free-1))<<(32-bits)
		return netip.PrefixFrom(u32Addr(s), bits)
	}
	x := r.Uint64()
	if free < 64 {
		x &= 1<<free - 1
	}
	b := p.Addr().As16()
	hi := beUint64(b[:8]) | x<<(64-bits)
	for i := range 8 {
		b[i] = byte(hi >> (56 - 8*i))
	}
	return netip.PrefixFrom(netip.AddrFrom16(b), bits)
}

func u32Addr(s uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(s >> 24), byte(s >> 16), byte(s >> 8), byte(s)})
}

// within returns a with the first p.Bits() bits replaced by p's: an
// address inside p whatever a's network part was. Addresses already
// inside p are unchanged.
func within(p netip.Prefix, a netip.Addr) netip.Addr {
	bits := p.Bits()
	if p.Addr().Is4() {
		m := ^uint32(0) << (32 - bits)
		if bits == 0 {
			m = 0
		}
		return u32Addr(addrU32(p.Addr())&m | addrU32(a)&^m)
	}
	pb, ab := p.Addr().As16(), a.As16()
	for i := range 16 {
		keep := max(0, min(8, bits-8*i))
		m := byte(0xff << (8 - keep))
		if keep == 0 {
			m = 0
		}
		ab[i] = pb[i]&m | ab[i]&^m
	}
	return netip.AddrFrom16(ab)
}
