package scoring

import (
	"math"
	"math/bits"
)

const earthRadiusKM = 6371.0088

// DistanceKM is the great-circle distance between two points.
func DistanceKM(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	s := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKM * math.Asin(math.Min(1, math.Sqrt(s)))
}

// SeparationKM is the distance two observed positions must at least be
// apart, given their accuracy radii: the gap between the two uncertainty
// circles, never negative. Two positions whose circles overlap may be the
// same place.
func SeparationKM(dist float64, accA, accB uint16) float64 {
	return math.Max(0, dist-float64(accA)-float64(accB))
}

// ImpliedSpeedKMH is the slowest speed that explains moving between two
// observations dt apart, with the accuracy radii taken into account. It is
// 0 when the uncertainty circles overlap, and +Inf when they don't and no
// time passed.
func ImpliedSpeedKMH(dist float64, accA, accB uint16, dtSeconds float64) float64 {
	sep := SeparationKM(dist, accA, accB)
	if sep == 0 {
		return 0
	}
	if dtSeconds <= 0 {
		return math.Inf(1)
	}
	return sep / (dtSeconds / 3600)
}

// plausibleTravelKMH is the fastest door-to-door travel a person manages
// over a long distance, airport overhead included.
const plausibleTravelKMH = 1000

// TravelSeconds is the least time one person needs to get from one
// observed position to another, door to door, given their accuracy radii:
// an hour to leave one place and settle at the next, then the faster of
// the road (100 km/h) and a flight (800 km/h, plus two hours at the
// airports). Two households in use closer together in time than this are
// two people; one person moving between them leaves a gap at least this
// long.
func TravelSeconds(dist float64, accA, accB uint16) float64 {
	km := SeparationKM(dist, accA, accB)
	return 3600 * (1 + math.Min(km/100, 2+km/800))
}

// maxReachSeconds bounds TravelSeconds (half the Earth's circumference:
// 28 h) and a day of local time (the town rule), so places idle longer
// need no distance computed.
const maxReachSeconds = 30 * 3600

// reachTownKM: within one town (GeoIP positions this close) a person gets
// from one place to the other in minutes, so travel time cannot tell one
// person from two, and use on the same day counts. Positions, not the gap
// between accuracy circles: GeoLite2 gives many home networks radii of 100
// km or more, and circles that overlap would put most second homes in
// "one town" (measured: 23 more honest accounts flagged for 16 sharers
// over eight populations).
const reachTownKM = 30

// markReach marks day on place p and on every place of another household
// that was in use less than the travel time between the two before now
// (p's event). One person cannot have been at both; a friend streaming on
// the same evening as the owner's family can. A person who leaves one
// home in the morning and streams at the other in the evening is not
// marked, though both were used that day.
func (a *account) markReach(c *components, p int, now int64, day int32) {
	pl := &a.places[p]
	hp := c.place(p)
	for q := range a.places {
		ql := &a.places[q]
		if q == p || !ql.used || (pl.reach.has(day) && ql.reach.has(day)) || c.place(q) == hp {
			continue
		}
		gap := now - ql.lastSeen
		if gap < 0 {
			gap = -gap
		}
		if gap >= maxReachSeconds {
			continue // no travel on Earth takes longer, nor does a day in one town
		}
		// Without two positions, or within one town, travel time cannot
		// tell one person from two: use on the same day counts.
		reach := ql.days.has(day)
		if pl.located && ql.located {
			if dist := positionKM(pl, ql); dist >= reachTownKM {
				reach = float64(gap) < TravelSeconds(dist, pl.acc, ql.acc)
			}
		}
		if reach {
			pl.reach.add(day)
			ql.reach.add(day)
		}
	}
}

// components groups the account's devices into households: devices joined
// through places where they were seen, counting only edges that are
// persistent (seen on 2+ days) or recent (within bridge seconds), so a
// single evening visit links two homes only for a while. It returns the
// component id of every device slot and place slot (devices first).
type components struct {
	parent [maxDevices + maxPlaces]int8
	nd     int
	// touch[d] has bit r set when device d belongs to, or has been seen at
	// a place of, the household with root r (computed on first use).
	touch   [maxDevices]uint64
	touched bool
	// line[p] is the first place of the chain of renumbered addresses
	// place p belongs to (itself when none); lineDays[r] the days (window
	// bits, bit 0 = today) any place of chain r was used, lineDevs[r] the
	// devices seen on any of its places.
	line     [maxPlaces]int8
	lineDays [maxPlaces]uint64
	lineDevs [maxPlaces]uint32
	// tvLines has bit r set when a TV streamed on an address of line r:
	// a home, not a hop through a carrier's pool (see networkUse).
	tvLines uint32
}

// lineOf follows p's chain of predecessors to its first place.
func (c *components) lineOf(p int) int {
	for int(c.line[p]) != p {
		p = int(c.line[p])
	}
	return p
}

func (c *components) find(x int) int {
	for int(c.parent[x]) != x {
		c.parent[x] = c.parent[c.parent[x]]
		x = int(c.parent[x])
	}
	return x
}

func (c *components) union(a, b int) {
	ra, rb := c.find(a), c.find(b)
	if ra != rb {
		if ra < rb {
			c.parent[rb] = int8(ra)
		} else {
			c.parent[ra] = int8(rb)
		}
	}
}

func (c *components) device(d int) int { return c.find(d) }
func (c *components) place(p int) int  { return c.find(c.nd + p) }

// householdsInto clusters devices and places into households at time now,
// in c, which it resets: the scorer keeps one for every event, so the hot
// path allocates none.
func (a *account) householdsInto(c *components, now int64, bridge int64) {
	today := a.dayOf(now)
	*c = components{nd: len(a.devices)}
	for i := 0; i < len(a.devices)+len(a.places); i++ {
		c.parent[i] = int8(i)
	}
	chained := a.renumberedLines(c, today)
	for _, e := range a.edges {
		persistent := e.days.total() >= 2 || now-e.lastSeen <= bridge
		if r := c.lineOf(int(e.place)); !persistent && chained&(1<<uint(r)) != 0 {
			// One day on each address of a renumbered line is still
			// the device's home on several days.
			persistent = a.lineUse(c, e.dev, r, today) >= 2
		}
		if persistent {
			c.union(int(e.dev), c.nd+int(e.place))
		}
	}
	a.pairDualStack(c, now, today)
}

// renumberedLines fills c.line and c.lineDays and joins the addresses of
// each renumbered line in c; it returns the lines (by first place) that
// have more than one address. A place and its predecessor, used on
// different days, are one line under two addresses. Only a line that is
// somebody's home counts: one a TV streams on, one several devices
// share behind the home's router, or one a desktop browser (a laptop)
// streams on at one GeoIP spot. A phone hopping through a carrier's
// addresses has each one to itself, and a laptop tethered to it gets
// addresses that GeoIP scatters over the carrier's towns.
func (a *account) renumberedLines(c *components, today int32) (chained uint32) {
	for q := range a.places {
		c.line[q] = int8(q)
	}
	for q := range a.places {
		pl := &a.places[q]
		if !pl.used || pl.prev == 0 {
			continue
		}
		// One line under two addresses uses one at a time: they share no
		// day but the one it switched on. A friend's line and the
		// owner's are in use on the same days.
		if p := &a.places[pl.prev-1]; p.used && popcount(p.days.window(today, 64)&pl.days.window(today, 64)) <= 1 {
			c.line[q] = pl.prev - 1
		}
	}
	var root [maxPlaces]int8
	var rootDays [maxPlaces]uint64
	var shared, desk, scattered uint32
	for q := range a.places {
		root[q] = int8(c.lineOf(q))
		pl := &a.places[q]
		if !pl.used {
			continue
		}
		rootDays[root[q]] |= pl.days.window(today, 64)
		bit := uint32(1) << uint(root[q])
		if pl.somebodys() {
			shared |= bit
		}
		if pl.fixed {
			c.tvLines |= bit // a fixed place's line is shared, so its root stays its line
		}
		if pl.desk {
			desk |= bit
		}
		if p := int(c.line[q]); p != q && (pl.city == "" || pl.city != a.places[p].city || pl.country != a.places[p].country) {
			scattered |= bit
		}
	}
	shared |= desk &^ scattered
	// A spot several devices of one ISP stream from, each on renumbered
	// addresses of its own and nowhere else (a friend's home whose ISP
	// hands every visit, or every device, a new address or IPv6 prefix),
	// is one home line: the devices' chains of addresses are joined.
	// Left as they are: a spot in the area of a home line of the account
	// (the family's phones on mobile data in the home town, each session
	// on a new address; a tablet's own prefixes beside a household
	// renumbered every day).
	var done uint32
	for q := range a.places {
		if b := uint32(1) << uint(root[q]); int(c.line[q]) == q || done&(1<<uint(q)) != 0 || (shared|scattered)&b != 0 {
			continue // no predecessor, already looked at, a home line, or a chain across towns
		}
		devs, spot := a.spotDevices(q, today)
		done |= spot
		if !a.settledAt(devs, spot, today) || a.nearHomeLine(q, shared, &root, &rootDays) {
			continue
		}
		// Join whole chains only, each at the spot and used by those
		// devices alone: a chain that also holds a pool phone, a device
		// seen elsewhere, or addresses elsewhere stays as it is.
		var join, keep uint32
		for i := range a.places {
			b := uint32(1) << uint(root[i])
			if spot&(1<<uint(i)) != 0 && scattered&b == 0 && a.places[i].devs&^devs == 0 {
				join |= 1 << uint(i)
			} else {
				keep |= b
			}
		}
		var joined, jdevs uint32
		for m := join; m != 0; m &= m - 1 {
			if p := bits.TrailingZeros32(m); keep&(1<<uint(root[p])) == 0 {
				joined |= 1 << uint(p)
				jdevs |= a.places[p].devs
			}
		}
		if !a.settledAt(jdevs, joined, today) {
			continue
		}
		r := root[bits.TrailingZeros32(joined)]
		for m := joined; m != 0; m &= m - 1 {
			p := bits.TrailingZeros32(m)
			rootDays[r] |= rootDays[root[p]] // the joined line's days, for nearHomeLine
			root[p] = r
		}
		shared |= 1 << uint(r)
	}
	for q := range a.places {
		r := int(root[q])
		if shared&(1<<uint(r)) == 0 {
			r = q
		}
		c.line[q] = int8(r) // flattened: lineOf is one step from here on
		if r != q {
			c.union(c.nd+q, c.nd+r)
			chained |= 1 << uint(r)
		}
		if a.places[q].used {
			c.lineDays[r] |= a.places[q].days.window(today, 64)
			c.lineDevs[r] |= a.places[q].devs
		}
	}
	return chained
}

// settledAt reports whether devices devs live at the addresses in spot:
// two devices or more, or one that is no phone and streamed there on
// soloLineDays days or more, spread over soloLineSpanDays or more (see
// spotDevices: about one address a day, at one spot, nowhere else; that
// the spot is away from the account's homes is nearHomeLine's to say). A
// device that has only ever streamed at one spot, on a new address every
// day, week after week, is at its home there on a line its ISP renumbers:
// a friend's TV without a user agent. A phone on its carrier gets a new
// address at every session wherever it is, and a stay (a tablet's week
// away, never at home yet) ends before it has lasted that long.
func (a *account) settledAt(devs, spot uint32, today int32) bool {
	switch n := popcount32(devs); {
	case n >= 2:
		return true
	case n == 0:
		return false
	}
	d := bits.TrailingZeros32(devs)
	if a.devices[d].kind == kindPhone {
		return false
	}
	var days uint64
	for _, e := range a.edges {
		if int(e.dev) == d && spot&(1<<uint(e.place)) != 0 {
			days |= e.days.window(today, 64)
		}
	}
	return popcount(days) >= soloLineDays && spanOf(days) >= soloLineSpanDays
}

// soloLineDays and soloLineSpanDays: days one device must have streamed
// at a spot, on addresses of its own, and over how many days from first
// to last, for them to be its home line (see settledAt).
const (
	soloLineDays     = 4
	soloLineSpanDays = 8
)

// nearHomeLine reports whether place q is within sameAreaKM (beyond both
// radii) of a located place on a home line (shared, by root) of the
// account that was in use on two days or more (lineDays, by root). A
// laptop's one evening on a friend's line is not the account's home.
func (a *account) nearHomeLine(q int, shared uint32, root *[maxPlaces]int8, lineDays *[maxPlaces]uint64) bool {
	for p := range a.places {
		if pl := &a.places[p]; p != q && pl.used && pl.located && shared&(1<<uint(root[p])) != 0 && popcount(lineDays[root[p]]) >= 2 && near(pl, &a.places[q], sameAreaKM) {
			return true
		}
	}
	return false
}

// spotDevices returns the devices seen on addresses linked to a
// predecessor, or that are one (place.prev), of place q's ISP and IP
// family placed at q's spot (see sameSpot), and on no line elsewhere
// (the other IP family of the ISP in the area is not elsewhere: see
// otherFamily), with those addresses.
func (a *account) spotDevices(q int, today int32) (devices, addresses uint32) {
	pq := &a.places[q]
	var at, chained uint32
	for i := range a.places {
		p := &a.places[i]
		if p.used && p.asn == pq.asn && p.v6 == pq.v6 && sameSpot(p, pq) {
			at |= 1 << uint(i)
			if p.prev != 0 {
				chained |= 1<<uint(i) | 1<<uint(p.prev-1)
			}
		}
	}
	chained &= at
	var devs, elsewhere uint32
	var addrs [maxDevices]uint8
	var days [maxDevices]uint64
	for _, e := range a.edges {
		switch {
		case chained&(1<<uint(e.place)) != 0:
			devs |= 1 << uint(e.dev)
			addrs[e.dev]++
			days[e.dev] |= e.days.window(today, 64)
		case at&(1<<uint(e.place)) == 0 && !otherFamily(&a.places[e.place], pq):
			elsewhere |= 1 << uint(e.dev)
		}
	}
	// A device at home gets about one new address a day, however its
	// ISP renumbers; a phone in a carrier's pool gets several.
	for m := devs; m != 0; m &= m - 1 {
		if d := bits.TrailingZeros32(m); 2*int(addrs[d]) > 3*popcount(days[d]) {
			devs &^= 1 << uint(d)
		}
	}
	return devs &^ elsewhere, chained
}

// otherFamily reports whether place o may be the other IP family of the
// line place p is on: the same ISP, the other family, and placed in p's
// area (see sameArea's sameAreaKM) or not placed at all (IPv6 ranges
// are often geolocated only to a country). A device at home on a
// dual-stack line streams over both, so its days on the other family are
// not days elsewhere (see spotDevices).
func otherFamily(o, p *place) bool {
	return dualStackOf(o, p) && (!o.located || near(o, p, sameAreaKM))
}

// pairDualStack joins in c the IPv4 and IPv6 sides of dual-stack home
// lines. A home line has an IPv4 and an IPv6 network from the same
// ISP, and devices pick either. IPv6 ranges are often geolocated far
// coarser than IPv4 (to a region or another city), so distance says
// little here; the shared ASN and being used on the same days do.
// First come the pairs that are one line by their devices (see
// stackPair.joined; a network may be in several of those, as a device
// ties them all). The rest is one to one: the pairs used on most of the
// same days (then the ones that appeared closest in time) go first, and
// a network already paired, by its devices or here, takes no other. A
// friend on the same ISP in the same city whose devices all speak IPv6
// is then not merged into the owner's home through the owner's IPv4
// line. A home whose IPv6 prefix rotates loses nothing: its devices tie
// the prefixes together. A renumbered line, being one line, takes its
// partners one after another, never two at once. Candidates that are not
// one line by their devices are refused when one side is far and has an
// IPv4 line of its own there (v4Elsewhere), kept its IPv4 address while
// the IPv6 prefix moved on (staticAcross), or has its other family in a
// town of its own (ownOtherFamily).
func (a *account) pairDualStack(c *components, now int64, today int32) {
	v6 := false
	for j := range a.places {
		v6 = v6 || (a.places[j].used && a.places[j].v6 && a.places[j].asn != 0)
	}
	if !v6 {
		return
	}
	// regular[p]: devices that used place p on two days or more of the
	// window; a device falls back from one family to the other at home.
	var regular [maxPlaces]uint32
	for _, e := range a.edges {
		if popcount(e.days.window(today, 64)) >= 2 {
			regular[e.place] |= 1 << uint(e.dev)
		}
	}
	var cand [maxPlaces * maxPlaces / 4]stackPair
	n := 0
	for j := range a.places {
		q := &a.places[j]
		if !q.used || q.asn == 0 || !q.v6 {
			continue
		}
		qdays := q.days.window(today, 64)
		for i := range a.places {
			p := &a.places[i]
			if !p.used || p.v6 || p.asn != q.asn || !mayBeSameSite(p, q) {
				continue
			}
			if a.v4Elsewhere(i, j, today) {
				continue
			}
			// The IPv4 side of the home is in use on the same days as
			// the IPv6 side, for weeks; a line of the same ISP visited
			// on an evening (a friend's) shares a day or two.
			gap := p.firstSeen - q.firstSeen
			if gap < 0 {
				gap = -gap
			}
			joined := regular[i]&regular[j] != 0 && p.somebodys() && sameSpot(p, q)
			if !joined && (a.staticAcross(c, i, j, now) || a.ownOtherFamily(c, j, i, today) || a.ownOtherFamily(c, i, j, today)) {
				continue
			}
			if n < len(cand) {
				cand[n] = stackPair{v4: int8(i), v6: int8(j), joined: joined, overlap: int8(popcount(p.days.window(today, 64) & qdays)), gap: uint32(min(gap, math.MaxUint32))}
				n++
			}
		}
	}
	pairs := cand[:n]
	// Insertion sort: a handful of candidates, no allocation.
	for k := 1; k < len(pairs); k++ {
		for m := k; m > 0 && pairs[m].before(pairs[m-1]); m-- {
			pairs[m], pairs[m-1] = pairs[m-1], pairs[m]
		}
	}
	// partner[r] holds the days on which the addresses paired with line
	// r (by its first place) were used. A line renumbered under several
	// addresses is one line, so it is the other family of one line only:
	// the addresses it pairs with must follow one another in time, as the
	// addresses of one renumbered line do (sharing at most the day it
	// switched). A second line in use on the same days as the first
	// partner is another household's: a friend's dual-stack home on the
	// owner's ISP, whose IPv6 line was taken for the owner's.
	var partner [maxPlaces]uint64
	var paired uint32
	for _, pr := range pairs {
		bi, bj := uint32(1)<<uint(pr.v4), uint32(1)<<uint(pr.v6)
		li, lj := c.lineOf(int(pr.v4)), c.lineOf(int(pr.v6))
		di, dj := a.places[pr.v4].days.window(today, 64), a.places[pr.v6].days.window(today, 64)
		if pr.joined {
			// One line by its devices, already one household (the
			// device joined them): neither takes a partner whose only
			// tie is the ISP, and its lines' partners are on record
			// for the renumbering check below.
			partner[lj] |= di
			partner[li] |= dj
			paired |= bi | bj
			continue
		}
		if paired&(bi|bj) != 0 {
			continue
		}
		if popcount(partner[lj]&di) > 1 || popcount(partner[li]&dj) > 1 {
			continue
		}
		partner[lj] |= di
		partner[li] |= dj
		paired |= bi | bj
		c.union(c.nd+int(pr.v4), c.nd+int(pr.v6))
	}
}

// staticAcross reports whether IPv4 network i kept one address while the
// IPv6 prefix of line j changed: the address was in use before the old
// prefix was last seen and still after the new one was first seen (j took
// over from another prefix, another took over from j, or a prefix of j's
// renumbered line did; the new prefix in use on two days or more, the old
// one no more: a phone's one day on its carrier's IPv6 is no change of the
// home's prefix). A home line's two families change together, when
// its router reconnects; an IPv4 address that stayed put while the IPv6
// prefix moved on is another line's: a friend's dual-stack home on the
// owner's ISP and in the owner's town, whose IPv6 side would otherwise be
// taken for the other half of the owner's.
func (a *account) staticAcross(c *components, i, j int, now int64) bool {
	p := &a.places[i]
	since := p.firstSeen
	if p.renumbered != 0 {
		since = int64(p.renumbered)
	}
	lj := c.lineOf(j)
	for k := range a.places {
		q := &a.places[k]
		if !q.used || !q.v6 || q.prev == 0 || (k != j && int(q.prev)-1 != j && c.lineOf(k) != lj) {
			continue
		}
		old := &a.places[q.prev-1]
		if q.days.total() >= 2 && now-q.firstSeen >= staticSettleSeconds && old.lastSeen <= q.firstSeen && since < old.lastSeen-staticMarginSeconds && p.lastSeen > q.firstSeen+staticMarginSeconds {
			return true
		}
	}
	return false
}

// staticMarginSeconds: the IPv4 address must have been seen this long
// before the old IPv6 prefix last was, and this long after the new one
// first was; the devices of a home on both families seldom stream at the
// very moment its router reconnects.
const staticMarginSeconds = 12 * 3600

// staticSettleSeconds: how long the new prefix must have been in use, and
// the old one unused, before the change counts. A family's phone and
// tablet away for a weekend at the grandparents' on the same ISP, or a
// phone on its carrier's IPv6 for two days, leave the home's prefix
// unused while the IPv4-only TV streams at home; the home's prefix comes
// back, a renumbered one does not.
const staticSettleSeconds = 4 * 86400

// sameSpot reports whether two places are both geolocated to within
// sameSpotAccuracyKM and their circles overlap: as close as GeoIP can
// tell, not just the same country.
func sameSpot(p, q *place) bool {
	return p.located && q.located && p.acc <= sameSpotAccuracyKM && q.acc <= sameSpotAccuracyKM && near(p, q, 0)
}

// sameSpotAccuracyKM is the coarsest GeoIP accuracy radius sameSpot
// accepts. Measured: 50 km catches 21 fewer friends' lines over the
// independent generators' ten populations (one honest account fewer);
// regional and country-level radii (200 km and up) paired unrelated
// lines and flagged travellers.
const sameSpotAccuracyKM = 100

// stackPair is a candidate IPv4/IPv6 pairing of one dual-stack home line.
// joined: one device used both on two days or more each, the IPv4 side
// is somebody's line (place.somebodys), and both are placed at one spot
// (sameSpot). At home a device falls back from one family to the other,
// so those two are one line. A phone that streamed on a friend's line,
// however often, is a visitor there, not that line's.
type stackPair struct {
	v4, v6  int8
	joined  bool
	overlap int8   // days both were used, of the last 64
	gap     uint32 // seconds between their first sightings
}

// before orders candidates: joined first, then most shared days, then
// closest first-seen, then slot order (deterministic).
func (x stackPair) before(y stackPair) bool {
	if x.joined != y.joined {
		return x.joined
	}
	if x.overlap != y.overlap {
		return x.overlap > y.overlap
	}
	if x.gap != y.gap {
		return x.gap < y.gap
	}
	if x.v6 != y.v6 {
		return x.v6 < y.v6
	}
	return x.v4 < y.v4
}

// lineUse counts the days device d used any address of line r.
func (a *account) lineUse(c *components, d uint8, r int, today int32) int {
	var days uint64
	for _, e := range a.edges {
		if e.dev == d && c.lineOf(int(e.place)) == r {
			days |= e.days.window(today, 64)
		}
	}
	return popcount(days)
}

// predecessor returns the line that place q, just brought by device d,
// may have replaced: the place of the same ISP and IP family whose GeoIP
// position could be q's (uncertainty circles overlap) that d used most
// recently; -1 when there is none.
func (a *account) predecessor(d, q int) int {
	nq := &a.places[q]
	if nq.asn == 0 || !nq.located {
		return -1
	}
	best, at := -1, int64(0)
	for _, e := range a.edges {
		p := int(e.place)
		if int(e.dev) != d || p == q || e.lastSeen <= at {
			continue
		}
		pl := &a.places[p]
		if !pl.used || !pl.located || pl.asn != nq.asn || pl.v6 != nq.v6 {
			continue
		}
		if !near(pl, nq, 0) {
			continue
		}
		best, at = p, e.lastSeen
	}
	return best
}

// household is what scoring knows about one cluster.
type household struct {
	root       int
	devices    uint32 // device slots
	places     uint32 // place slots
	anchored   bool   // has a place seen on 2+ days: a persistent home
	activeDays uint64 // days (window bits) any of its places was used
	placeDays  int    // total place-days in the window, for ranking
	conflicts  uint64 // days (window bits) its places had conflicts
	reach      uint64 // days (window bits) its places were in use within travel time of another household's
	// homeSpan is the span (days from first to last use in the window)
	// of its persistent lines near its home: how long it has had a home.
	// A household of stays — one person's devices moving from a hotel in
	// one city to a hotel in another — has a long span overall but no
	// home that lasts; a home whose ISP renumbers it keeps its span.
	homeSpan int
	// homeDays: the days its persistent lines near its home were in use.
	homeDays int
	home     int // its most used place, -1 if none
	// explained: one of its devices has been at the primary household's
	// places, so it is the owner's household away from home (travel), not
	// somebody else's. Always true for the primary itself.
	explained bool
	// roaming: explained because one of its devices, abroad, roams on a
	// carrier of the owner's country (see roamsHome).
	roaming bool
}

// householdSummaryInto summarises households over the `window` days
// ending at day today, appended to dst[:0] (the scorer reuses one slice
// for every event). The first element is the primary household (the
// account owner's home): see better.
func (a *account) householdSummaryInto(dst []household, c *components, today int32, window int) []household {
	hs := dst[:0]
	idx := func(root int) int {
		for i := range hs {
			if hs[i].root == root {
				return i
			}
		}
		hs = append(hs, household{root: root, home: -1})
		return len(hs) - 1
	}
	var anchors uint32 // places that are persistent home lines, worked out once
	for p := range a.places {
		pl := &a.places[p]
		if !pl.used {
			continue
		}
		h := &hs[idx(c.place(p))]
		h.places |= 1 << uint(p)
		// Only persistent home lines say when a household was active: a
		// phone hopping through a carrier's addresses or a one-off visit
		// would otherwise stretch a household across the whole month.
		if !a.anchor(c, p) {
			continue
		}
		anchors |= 1 << uint(p)
		h.anchored = true
		w := pl.days.window(today, window)
		h.activeDays |= w
		h.placeDays += popcount(w)
		h.conflicts |= pl.conflicts.window(today, window)
		h.reach |= pl.reach.window(today, window)
		// Its home is the line used on most days (a renumbered line
		// counts all its addresses; the newest address stands for it).
		if h.home < 0 {
			h.home = p
		} else if n, m := popcount(c.lineDays[c.lineOf(p)]), popcount(c.lineDays[c.lineOf(h.home)]); n > m || (n == m && c.lineOf(p) == c.lineOf(h.home) && pl.lastSeen > a.places[h.home].lastSeen) {
			h.home = p
		}
	}
	for i := range hs {
		h := &hs[i]
		if h.home < 0 {
			continue
		}
		var near uint64
		for m := h.places & anchors; m != 0; m &= m - 1 {
			if p := bits.TrailingZeros32(m); sameArea(&a.places[p], &a.places[h.home]) {
				near |= a.places[p].days.window(today, window)
			}
		}
		h.homeSpan = spanOf(near)
		h.homeDays = popcount(near)
	}
	for d := range a.devices {
		h := &hs[idx(c.device(d))]
		h.devices |= 1 << uint(d)
	}
	// Primary first: most days on the lines of its home area, then most
	// place-days, then most devices, then lowest root. A traveller's
	// device that goes from a hotel in one city to one in another ties
	// them into a household that may have more place-days than the home,
	// but no home of as many days.
	best := 0
	for i := 1; i < len(hs); i++ {
		if better(hs[i], hs[best]) {
			best = i
		}
	}
	if best != 0 && len(hs) > 0 {
		hs[0], hs[best] = hs[best], hs[0]
	}
	if len(hs) > 0 {
		hs[0].explained = true
		for i := 1; i < len(hs); i++ {
			hs[i].explained = a.linked(c, hs[i].root, hs[0].root, hs[0].root)
			if !hs[i].explained && hs[i].activeDays != 0 {
				hs[i].explained = hs[i].activeDays&^a.tripCover(c, hs[0].root, hs[i].places, anchors, today) == 0
			}
			// One person's other home: a place the household's own
			// devices go to, whose TV streams there but never while the
			// household streams (a weekend house, a partner's flat). A
			// friend's household streams at the same time as the owner's.
			if !hs[i].explained && hs[i].activeDays != 0 && hs[i].conflicts == 0 {
				hs[i].explained = a.visitDays(c, hs[0].root, hs[i].places, today) != 0
			}
			// The owner abroad: a device of the household whose phone
			// roams on a carrier of the owner's country.
			if !hs[i].explained && hs[i].activeDays != 0 && hs[i].home >= 0 && hs[0].home >= 0 {
				hs[i].explained = a.roamsHome(&hs[i], a.places[hs[0].home].country, anchors)
				hs[i].roaming = hs[i].explained
			}
		}
	}
	return hs
}

// sameAreaKM is how far apart, beyond both accuracy radii, two lines of
// one household may be and still be one home (a line renumbered by its
// ISP, a dual-stack pair); farther apart they are stays in different places.
const sameAreaKM = 100

// sameArea reports whether two places may be the same home's lines. For a
// place without a usable location (a country, or a circle hundreds of km
// wide) only the ISP can tell: a line of the same ISP in the same country
// may be the home renumbered; another ISP's is another place.
func sameArea(p, q *place) bool {
	if !p.located || !q.located {
		return p.asn != 0 && p.asn == q.asn && (p.country == "" || q.country == "" || p.country == q.country)
	}
	return near(p, q, sameAreaKM) || dualStackOf(p, q)
}

// tripCover returns the days (window bits, bit 0 = today) on which one of
// the primary household's own devices was away from home on a trip that
// took it to one of the given places: from the last day the device was at
// home before it was seen there to the first day it was back (or today,
// while it is still away). A household that was active only on such days
// is the owner's stay away from home — a hotel whose TV the owner used
// while their phone was there too — not somebody else's home. A device
// that visits a friend's home for an evening covers only the days around
// that evening, so the friend's household on other days stays foreign.
//
// anchors holds the places that are persistent home lines.
func (a *account) tripCover(c *components, primary int, places, anchors uint32, today int32) uint64 {
	var home, visit [maxDevices]uint64
	any := false
	for _, e := range a.edges {
		if c.device(int(e.dev)) != primary {
			continue
		}
		switch {
		case places&(1<<uint(e.place)) != 0:
			visit[e.dev] |= e.days.window(today, 64)
			any = true
		case anchors&(1<<uint(e.place)) != 0 && c.place(int(e.place)) == primary:
			home[e.dev] |= e.days.window(today, 64)
		}
	}
	if !any {
		return 0
	}
	var cover uint64
	for d := range a.devices {
		cover |= awayDays(home[d], visit[d])
	}
	return cover
}

// awayDays widens each day in visit to the stretch between the nearest
// home days around it (window bits, bit i = i days ago): the trip the
// visit was part of, including the days of leaving and coming back.
func awayDays(home, visit uint64) uint64 {
	var cover uint64
	for visit != 0 {
		v := bits.TrailingZeros64(visit)
		visit &= visit - 1
		newer := 0 // today, while the device has not been home since
		if h := home & (1<<uint(v) - 1); h != 0 {
			newer = 63 - bits.LeadingZeros64(h)
		}
		older := 63 // the start of the window, if it was never home before
		if h := home &^ (1<<uint(v+1) - 1); v < 63 && h != 0 {
			older = bits.TrailingZeros64(h)
		}
		cover |= (^uint64(0) >> uint(63-older)) &^ (1<<uint(newer) - 1)
	}
	return cover
}

// linked reports whether one person's device ties households x and y
// together: a device outside the primary household that has been at
// places of both (or belongs to one and was seen at the other), at any
// time the state remembers. That is a household member away from home,
// travelling, not somebody else. A device of the primary household
// visiting another place does not link: the owner visiting friends does
// not make the friends' household theirs. Unless it came from there: see
// cameFrom.
func (a *account) linked(c *components, x, y, primary int) bool {
	if x == y {
		return true
	}
	// An analyst's "not sharing" decision vouches for every line the
	// account used then: households on those lines are the owner's.
	for p := range a.places {
		if pl := &a.places[p]; pl.used && pl.trusted {
			if r := c.place(p); (r == x && x != primary) || (r == y && y != primary) {
				return true
			}
		}
	}
	if !c.touched {
		for d := range a.devices {
			c.touch[d] = 1 << uint(c.device(d))
		}
		for _, e := range a.edges {
			c.touch[e.dev] |= 1 << uint(c.place(int(e.place)))
		}
		c.touched = true
	}
	both := uint64(1)<<uint(x) | uint64(1)<<uint(y)
	for d := range a.devices {
		if c.touch[d]&both == both && c.device(d) != primary {
			return true
		}
	}
	if x == primary {
		return a.cameFrom(c, y, primary)
	}
	if y == primary {
		return a.cameFrom(c, x, primary)
	}
	return false
}

// cameFrom reports whether a device of the primary household was at the
// other household's home before it was ever at the primary's places: it
// came from there. That is the family's devices taken on a trip that has
// so far outlasted their few days seen at home; the other household is
// where they live, not somebody else's. Only the other household's home
// area counts, since a network of its ISP that the dual-stack pairing
// took for its home's other IP family may be anywhere. c.touch must be
// filled.
func (a *account) cameFrom(c *components, other, primary int) bool {
	both := uint64(1)<<uint(other) | uint64(1)<<uint(primary)
	home := -1
	for d := range a.devices {
		if c.device(d) != primary || c.touch[d]&both != both {
			continue
		}
		if home < 0 {
			best := -1
			for p := range a.places {
				if a.places[p].used && c.place(p) == other {
					if n := popcount(c.lineDays[c.lineOf(p)]); n > best {
						home, best = p, n
					}
				}
			}
			if home < 0 {
				return false
			}
		}
		hp := &a.places[home]
		there, here := int32(math.MaxInt32), int32(math.MaxInt32)
		for _, e := range a.edges {
			if int(e.dev) != d || e.days.bits == 0 {
				continue
			}
			switch c.place(int(e.place)) {
			case other:
				if q := &a.places[e.place]; c.lineOf(int(e.place)) == c.lineOf(home) || (q.located && hp.located && q.v6 == hp.v6 && sameArea(q, hp)) {
					there = min(there, e.days.first())
				}
			case primary:
				here = min(here, e.days.first())
			}
		}
		if there < here {
			return true
		}
	}
	return false
}

func better(x, y household) bool {
	if x.homeDays != y.homeDays {
		return x.homeDays > y.homeDays
	}
	if x.placeDays != y.placeDays {
		return x.placeDays > y.placeDays
	}
	if popcount32(x.devices) != popcount32(y.devices) {
		return popcount32(x.devices) > popcount32(y.devices)
	}
	return x.root < y.root
}

// anchor reports whether place p is a persistent home line: used on two
// days or more and not one of many short-lived addresses of a network the
// account's devices hop around in (a mobile carrier's pool). In such a
// network only a line that carries a good share of the network's use, on
// three days or more, anchors a household.
func (a *account) anchor(c *components, p int) bool {
	pl := &a.places[p]
	days := popcount(c.lineDays[c.lineOf(p)])
	if days < 2 || pl.lodging || pl.business {
		// A hotel line, or a business-only carrier's, is where somebody
		// stays, not a home: whoever streams there is travelling.
		return false
	}
	if pl.asn == 0 {
		return true
	}
	n, total := a.networkUse(c, p)
	if n < dynamicNetworks || pl.fixed {
		// A TV or console does not ride a carrier's pool: a line it
		// streams on is somebody's home, even in an ISP the account's
		// phones hop around in.
		return true
	}
	return days >= 3 && 3*days >= total
}

// dynamic reports whether place p belongs to an ISP whose lines the
// account hops between (a mobile carrier's pool): its geolocation moves
// with the carrier's addressing, not with the person.
func (a *account) dynamic(c *components, p int) bool {
	if a.places[p].asn == 0 {
		return false
	}
	n, _ := a.networkUse(c, p)
	return n >= dynamicNetworks
}

// networkUse counts the account's lines of place p's ISP (same ASN and IP
// family; a renumbered line counts once) and their total days of use,
// leaving out the days of lines a TV streams on and of settled lines (see
// settledDays), p's own excepted. Those are homes, not hops through a
// carrier's pool: the owner's home used for weeks must not make a
// friend's line on the same ISP look like one more address of the pool.
func (a *account) networkUse(c *components, p int) (n, total int) {
	pl := &a.places[p]
	for i := range a.places {
		if a.places[i].used && a.places[i].asn == pl.asn && a.places[i].v6 == pl.v6 {
			if c.lineOf(i) == i {
				n++
			}
			r := c.lineOf(i)
			if r == c.lineOf(p) || (c.tvLines&(1<<uint(r)) == 0 && !(a.places[i].somebodys() && popcount(c.lineDays[r]) >= settledDays)) {
				total += a.places[i].days.total()
			}
		}
	}
	return n, total
}

// dynamicNetworks is how many distinct lines of one ISP an account must use
// before the ISP counts as one its devices hop around in.
const dynamicNetworks = 4

// settledDays: an address that two devices or more share
// (place.somebodys), on a line in use on this many days of the window, is
// a home's, TV or not, and networkUse leaves its days out like a TV
// line's. (The test is per address: the other addresses of a renumbered
// line, each used by one device, still count.) Measured on the
// independent generators, whose devices mostly send no user agent: a
// friend on the owner's ISP, renumbered at every visit, was taken for a
// hop through a carrier's pool because the owner's home outweighed it.
const settledDays = 7

// dualStackSlackKM is how far apart, beyond both accuracy radii, an IPv4
// and an IPv6 network of one ISP may geolocate and still be taken for one
// home line.
const dualStackSlackKM = 300

// dualStackFirstSeen: an IPv4 and an IPv6 network of one ISP in one
// country that both appeared within this long of each other are taken for
// one dual-stack line even if their geolocations disagree (IPv6 ranges are
// often placed at the capital or a neighbouring city). A network of the
// same ISP that appears later is somebody else's line unless it is close.
const dualStackFirstSeen = 3 * 86400

// dualStackOf reports whether q is the other IP family of home line p (one
// ISP, both families): its distant geolocation is the ISP's, not travel.
func dualStackOf(p, q *place) bool {
	return p.asn != 0 && p.asn == q.asn && p.v6 != q.v6
}

// mayBeSameSite reports whether an IPv4 and an IPv6 network of one ISP
// could be the same home line.
func mayBeSameSite(p, q *place) bool {
	if !p.located || !q.located || near(p, q, dualStackSlackKM) {
		return true
	}
	gap := p.firstSeen - q.firstSeen
	if gap < 0 {
		gap = -gap
	}
	return p.country == q.country && gap <= dualStackFirstSeen
}

// pendingConflict is concurrencyConflict without the persistence test:
// two devices of different households streaming at the same time from two
// lines that are each their own household's.
func pendingConflict(s, o *session, c *components) bool {
	return concurrencyConflict(s, o, c, func(int) bool { return true })
}

// concurrencyConflict reports whether two overlapping sessions are at
// places one household cannot be at simultaneously: different trusted
// access networks used by different, persistent households. Overlaps
// within one household (the family at home while the owner travels, a
// phone on the carrier) are not conflicts.
func concurrencyConflict(s, o *session, c *components, anchored func(place int) bool) bool {
	if s.dev == o.dev || !s.trusted || !o.trusted || s.place < 0 || o.place < 0 || s.place == o.place {
		return false
	}
	hs, ho := c.device(int(s.dev)), c.device(int(o.dev))
	if hs == ho {
		return false
	}
	// Each session must be at a persistent home line of its own device's
	// household; elsewhere (a visit, a carrier address) we can't tell
	// whose home it is.
	if c.place(int(s.place)) != hs || c.place(int(o.place)) != ho {
		return false
	}
	return anchored(int(s.place)) && anchored(int(o.place))
}

func popcount(x uint64) int {
	n := 0
	for x != 0 {
		x &= x - 1
		n++
	}
	return n
}

func popcount32(x uint32) int { return popcount(uint64(x)) }

// spanOf is the number of days from the oldest to the newest marked day
// of window bits (bit 0 = today): how long an activity has persisted.
func spanOf(b uint64) int {
	if b == 0 {
		return 0
	}
	return 64 - bits.LeadingZeros64(b) - bits.TrailingZeros64(b)
}

// householdOf returns the index in hs of the household holding device d.
func householdOf(hs []household, d int) int {
	for i := range hs {
		if hs[i].devices&(1<<uint(d)) != 0 {
			return i
		}
	}
	return -1
}

// visitDays returns the days (window bits) on which a device of household
// primary was at one of the given places.
func (a *account) visitDays(c *components, primary int, places uint32, today int32) uint64 {
	var days uint64
	for _, e := range a.edges {
		if places&(1<<uint(e.place)) != 0 && c.device(int(e.dev)) == primary {
			days |= e.days.window(today, 64)
		}
	}
	return days
}

// v4Elsewhere reports whether IPv6 network j, geolocated far from IPv4
// line i, has devices that used other IPv4 lines of the same ISP near j
// and far from i, on two days or more: those lines, not i, are j's other
// family. A friend on the owner's ISP in another city, whose devices use
// both families at home, is then not taken for the far IPv6 side of the
// owner's line; one day on a line there (a visit) says nothing.
func (a *account) v4Elsewhere(i, j int, today int32) bool {
	p, q := &a.places[i], &a.places[j]
	if !p.located || !q.located || near(p, q, dualStackSlackKM) {
		return false
	}
	var days uint64
	for _, e := range a.edges {
		r := int(e.place)
		o := &a.places[r]
		if r == i || o.v6 || o.asn != q.asn || !o.located || q.devs&(1<<uint(e.dev)) == 0 {
			continue
		}
		if near(o, q, dualStackSlackKM) && !near(o, p, dualStackSlackKM) {
			days |= e.days.window(today, 64)
		}
	}
	return popcount(days) >= 2
}

// ownOtherFamily reports whether the devices of x's line (c.lineDevs)
// used, on two days or more, networks of x's ISP in y's IP family,
// not on y's line, that are at x's spot: both placed to sameSpotAccuracyKM
// or better, their positions within reachTownKM of x's and at least that
// far from y's. x's line then has its other family in its own town, so y
// is not it. A friend on the owner's ISP in a town nearby, whose TV
// streams over both families on addresses renumbered every day, is then
// not taken for the other half of the owner's single-family home: the
// friend's IPv4 addresses are in the friend's town, the owner's in the
// owner's. A home whose families are placed apart falls back to y itself;
// a home in one town falls back to addresses in y's town; and a phone's
// days at a summer house or on its carrier in the next town are not in
// x's town, however wide x's accuracy circle. Pairs farther apart than
// dualStackSlackKM are v4Elsewhere's to judge; a pair placed in one town
// has no other town to find (and costs no scan on every event).
func (a *account) ownOtherFamily(c *components, x, y int, today int32) bool {
	px, py := &a.places[x], &a.places[y]
	if !px.located || !py.located || positionKM(px, py) < reachTownKM || !near(px, py, dualStackSlackKM) {
		return false // far apart: v4Elsewhere's; one town: no town of its own
	}
	devs, ly := c.lineDevs[c.lineOf(x)], c.lineOf(y)
	var days uint64
	for _, e := range a.edges {
		r := int(e.place)
		o := &a.places[r]
		d := e.days.window(today, 64)
		if devs&(1<<uint(e.dev)) == 0 || d&^days == 0 || o.v6 != py.v6 || o.asn != px.asn || c.lineOf(r) == ly || !sameSpot(o, px) {
			continue
		}
		if positionKM(o, px) < reachTownKM && positionKM(o, py) >= reachTownKM {
			if days |= d; popcount(days) >= 2 {
				return true
			}
		}
	}
	return false
}

// positionKM is the distance between two places' GeoIP positions,
// ignoring their accuracy radii.
func positionKM(p, q *place) float64 {
	return DistanceKM(float64(p.lat), float64(p.lon), float64(q.lat), float64(q.lon))
}

// near reports whether places p and q are within km of each other,
// beyond both accuracy radii.
func near(p, q *place, km float64) bool {
	lat1, lon1, lat2, lon2 := float64(p.lat), float64(p.lon), float64(q.lat), float64(q.lon)
	if lat1 == lat2 && lon1 == lon2 {
		return km >= 0
	}
	// The latitude difference alone is a lower bound of the distance: far
	// enough apart by it (with a margin for rounding), the great circle
	// need not be worked out (6% of BenchmarkScore's time).
	if lb := math.Abs(lat2-lat1) * (math.Pi / 180 * earthRadiusKM) * (1 - 1e-9); lb-float64(p.acc)-float64(q.acc) > km {
		return false
	}
	return SeparationKM(DistanceKM(lat1, lon1, lat2, lon2), p.acc, q.acc) <= km
}

// roamsHome reports whether a device of household h, whose home is in
// another country than the owner's (home), used a network in the owner's
// country that is no household's home line: a mobile carrier's. Phones
// abroad roam home-routed, so their carrier's addresses geolocate to the
// SIM's country; a device with a SIM from the owner's country, at a place
// abroad, is the owner's (or the family's) away from home. A friend
// abroad is on the friend's own carrier. anchors holds the places that
// are persistent home lines.
func (a *account) roamsHome(h *household, home string, anchors uint32) bool {
	if home == "" || a.places[h.home].country == "" || a.places[h.home].country == home {
		return false
	}
	for _, e := range a.edges {
		if h.devices&(1<<uint(e.dev)) == 0 || anchors&(1<<uint(e.place)) != 0 {
			continue
		}
		if a.places[e.place].country == home {
			return true
		}
	}
	return false
}

// scatterWindow and scatterKM: see scattered.
const (
	scatterWindow = 3 * 86400
	scatterKM     = 300
)

// scattered finds lines, in use within scatterWindow of now, whose
// devices were never seen on another located line, pairwise more than
// scatterKM apart beyond their radii: households in several cities at
// once, each on its own line with its own devices, before any has come
// back on a second day (a reseller's first buyers). One person's trip
// takes the same devices from place to place, and a family's devices
// meet at its home. A line counts only if it is somebody's or has a TV,
// tablet or computer on it: a phone alone may be on mobile data, whose
// addresses GeoIP scatters over the carrier's country. A line an analyst
// vouched for (see Scorer.Teach) never counts. It returns how
// many it found (0 when fewer than len(spots) lines were in use at all)
// and puts the first len(spots) in spots.
func (a *account) scattered(c *components, now int64, spots []int8) int {
	// Candidates first: most events have one or two lines in use lately,
	// and then there is nothing to look at.
	var cand uint32
	for p := range a.places {
		if pl := &a.places[p]; pl.used && pl.located && !pl.lodging && !pl.business && !pl.trusted && now-pl.lastSeen <= scatterWindow {
			cand |= 1 << uint(p)
		}
	}
	if popcount32(cand) < len(spots) {
		return 0
	}
	var at [maxDevices]uint32 // located lines each device used
	for _, e := range a.edges {
		if a.places[e.place].located {
			at[e.dev] |= 1 << uint(e.place)
		}
	}
	var picked [maxPlaces]int8
	n := 0
	for m := cand; m != 0; m &= m - 1 {
		p := bits.TrailingZeros32(m)
		pl := &a.places[p]
		own, home := true, pl.somebodys()
		for dm := pl.devs; dm != 0 && own; dm &= dm - 1 {
			d := bits.TrailingZeros32(dm)
			own = d < len(a.devices) && at[d] == 1<<uint(p)
			if own {
				switch a.devices[d].kind {
				case kindTV, kindTablet, kindComputer:
					home = true // not a phone on mobile data
				}
			}
		}
		if !own || !home || a.dynamic(c, p) {
			continue
		}
		far := true
		for _, q := range picked[:n] {
			far = far && !near(pl, &a.places[q], scatterKM)
		}
		if far {
			picked[n] = int8(p)
			n++
		}
	}
	copy(spots, picked[:n])
	return n
}

// separateHouseholds counts the other households that count as evidence
// (see qualifies) and are not tied to one another by a device. A device
// that streamed on the home lines of two of them, even on one day each, is
// one person going from one to the other: a traveller whose phone went
// from a hotel in one city to a flat in another, each stay with a device
// of its own (a hotel TV). Their households stay apart (a one-day visit
// links places only for a while; see households), but they are one trip,
// not two strangers. A reseller's buyers share no device. Only home lines
// count: a phone of one buyer on a carrier's address that another buyer's
// phone also used ties nobody. Nor does a device of the primary household:
// the owner visiting two friends does not make them one.
func (a *account) separateHouseholds(c *components, hs []household, today int32) int {
	var ofPlace [maxPlaces]int8 // qualifying household whose home line the place is on, or -1
	var ofDev [maxDevices]int8  // first qualifying household the device belongs to or streamed at, or -1
	for i := range ofPlace {
		ofPlace[i] = -1
	}
	for i := range ofDev {
		ofDev[i] = -1
	}
	n := 0
	for i := 1; i < len(hs); i++ {
		h := &hs[i]
		if !qualifies(h) || h.home < 0 {
			continue
		}
		n++
		home := c.lineOf(h.home)
		for m := h.places; m != 0; m &= m - 1 {
			if p := bits.TrailingZeros32(m); c.lineOf(p) == home {
				ofPlace[p] = int8(i)
			}
		}
		for m := h.devices; m != 0; m &= m - 1 {
			ofDev[bits.TrailingZeros32(m)] = int8(i)
		}
	}
	if n < 2 {
		return n
	}
	// The same union-find as the households', over household indices
	// (there are at most as many households as devices and places).
	var g components
	for i := range hs {
		g.parent[i] = int8(i)
	}
	for _, e := range a.edges {
		y := ofPlace[e.place]
		if y < 0 || e.days.window(today, 28) == 0 || hs[0].devices&(1<<uint(e.dev)) != 0 {
			continue
		}
		x := ofDev[e.dev]
		if x < 0 {
			ofDev[e.dev] = y // a device of neither: the first home line it streamed on
			continue
		}
		if g.find(int(x)) != g.find(int(y)) {
			g.union(int(x), int(y))
			n--
		}
	}
	return n
}

// qualifies reports whether h counts as another household in the
// evidence: a persistent home, active in the window, not explained as
// the owner's away from home.
func qualifies(h *household) bool {
	return h.anchored && h.activeDays != 0 && !h.explained
}

// devicesAt counts the devices the explanation names for household h:
// its own, and the others that streamed at its places, except the
// primary household's. A line that only visitors used on one day each
// is a household of places with no device of its own.
func (a *account) devicesAt(h, primary *household) int {
	seen := h.devices
	for m := h.places; m != 0; m &= m - 1 {
		seen |= a.places[bits.TrailingZeros32(m)].devs
	}
	return popcount32(seen &^ primary.devices)
}
