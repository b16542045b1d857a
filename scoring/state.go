package scoring

import (
	"math"
	"unsafe"
)

// Bounds on per-account state. An account that exceeds them forgets its
// least recently seen devices, places and sessions first, so memory per
// account is bounded whatever the input.
const (
	maxDevices  = 32 // device slots; place.devs is a uint32 bitmask over them
	maxPlaces   = 24
	maxEdges    = 64
	maxSessions = 16
	recentIDs   = 8
)

// device is one device_id of an account: a person's screen. Device
// continuity (the same device moving) means one person moving.
type device struct {
	id        uint64 // FNV-1a of device_id
	firstSeen int64  // unix seconds, event time
	lastSeen  int64
	days      dayset
	// Last trusted position, for implied-speed checks.
	lastLat, lastLon float32
	lastAcc          uint16
	lastPosAt        int64
	kind             uint8 // deviceKind guessed from the user agent
}

// place is an access network at a trusted location: one /24 (IPv4) or /56
// (IPv6) that geolocates somewhere a person can be. Hosting/VPN exits,
// private, unknown and very coarse locations never become places.
type place struct {
	key      uint64 // hash of the network prefix
	asn      uint32
	lat, lon float32
	acc      uint16
	// host is the last byte of the IPv4 address last used on this network
	// (a /24); renumbered (below) is the Unix time it last changed to
	// another address of the network (0: never). See staticAcross.
	host uint8
	// prev is 1 + the slot of the line this one may have replaced (0:
	// none): the line of the same ISP and IP family, at the same GeoIP
	// position, that the device which brought this one used last. A home
	// whose ISP hands it a new address every day or every reconnect is
	// one line, not thirty.
	prev      int8
	country   string
	city      string
	firstSeen int64
	lastSeen  int64
	days      dayset // days any device was here
	conflicts dayset // days a session here conflicted with another household
	// reach: days a session here came within travel time of activity at
	// another household's place (see markReach): two people, or one
	// person too fast to have moved between them.
	reach      dayset
	devs       uint32 // devices ever seen here (bit per device slot)
	used       bool
	v6         bool // an IPv6 network
	fixed      bool // a TV, streaming stick or console streamed here: a home line, not a carrier address
	desk       bool // a desktop browser streamed here: a home or office line when its addresses stay at one GeoIP spot (see renumberedLines)
	lodging    bool // a hotel's in-room TV streamed here: a stay, never a household's home
	business   bool // a business-only carrier's line (Config.BusinessASNs): a stay, never a home
	trusted    bool // an analyst decided the account is not shared while this line was in use
	located    bool // lat/lon/acc are a usable location (not coarse)
	renumbered uint32
}

// somebodys reports whether the line is somebody's: a TV streamed on it,
// or two devices or more did. A single phone hopping through a carrier's
// addresses, or visiting a friend, is not what makes a line a home.
func (p *place) somebodys() bool { return p.fixed || popcount32(p.devs) >= 2 }

// edge links a device to a place where it was seen.
type edge struct {
	dev, place uint8
	days       dayset
	lastSeen   int64
}

// session is an active (not yet ended) session.
type session struct {
	key      uint64 // FNV-1a of session_id (or device_id when absent)
	dev      int8
	place    int8 // -1 when the session's location is not trusted
	start    int64
	last     int64
	lat, lon float32
	acc      uint16
	trusted  bool
}

// account is the bounded state kept per account.
type account struct {
	firstSeen int64 // unix seconds, the earliest event time
	lastSeen  int64
	// tz is the account's clock offset in seconds (solar time at its first
	// trusted location, whole hours), so its days run from local midnight
	// to midnight: an evening at a friend's is one day, not two.
	tz        int32
	tzSet     bool
	devices   []device
	places    []place
	edges     []edge
	sessions  []session
	newcomers dayset // days a new device at a new place overlapped the household
	teleports dayset // days a device moved faster than travel allows
	recent    [recentIDs]uint64
	recentPos uint8

	// The last flagged verdict's households, by device slot: the primary's
	// devices and those of the other households that made the case, and
	// when (Unix seconds). When both later fall into one household, the
	// case has come undone (see cameHome).
	flagPrimary, flagOther uint32
	flagAt                 uint32

	// Account summary, kept so the summary needs no second pass.
	peak         float32
	peakLabel    Label
	peakReasons  []string
	peakExplain  string
	firstFlagged int64 // 0 = never
	lastScore    float32
	lastLabel    Label
	events       uint32

	// Naive impossible-travel baseline.
	baseLat, baseLon float32
	baseAt           int64
	baseHas          bool
	baseFlagged      int64
}

// room returns s with room for one more element, growing it by a quarter
// (at least two) up to limit: append would double it, and a quarter of
// the state per account was slack capacity (a place is 136 bytes).
func room[T any](s []T, limit int) []T {
	if len(s) < cap(s) {
		return s
	}
	n := min(limit, len(s)+max(2, len(s)/4))
	if n <= len(s) {
		n = len(s) + 1 // over the limit: the caller evicts first, never here
	}
	grown := make([]T, len(s), n)
	copy(grown, s)
	return grown
}

// seenRecently reports whether the event id hash was among the account's
// last few events, and records it otherwise.
func (a *account) seenRecently(h uint64) bool {
	for _, r := range a.recent {
		if r == h {
			return true
		}
	}
	a.recent[a.recentPos%recentIDs] = h
	a.recentPos++
	return false
}

func (a *account) deviceIndex(id uint64) int {
	for i := range a.devices {
		if a.devices[i].id == id {
			return i
		}
	}
	return -1
}

func (a *account) placeIndex(key uint64) int {
	for i := range a.places {
		if a.places[i].used && a.places[i].key == key {
			return i
		}
	}
	return -1
}

// addDevice returns the slot for a new device, evicting the least recently
// seen one when full.
func (a *account) addDevice(id uint64, now int64) int {
	if len(a.devices) < maxDevices {
		a.devices = append(room(a.devices, maxDevices), device{id: id, firstSeen: now, lastSeen: now})
		return len(a.devices) - 1
	}
	victim := 0
	for i := range a.devices {
		if a.devices[i].lastSeen < a.devices[victim].lastSeen {
			victim = i
		}
	}
	a.forgetDevice(victim)
	a.devices[victim] = device{id: id, firstSeen: now, lastSeen: now}
	return victim
}

func (a *account) forgetDevice(d int) {
	bit := uint32(1) << uint(d)
	for i := range a.places {
		a.places[i].devs &^= bit
	}
	a.flagPrimary &^= bit
	a.flagOther &^= bit
	a.edges = filterEdges(a.edges, func(e edge) bool { return int(e.dev) != d })
	a.sessions = filterSessions(a.sessions, func(s session) bool { return int(s.dev) != d })
}

// addPlace returns the slot for a new place, reusing the least recently
// seen one when full: first among places used on one day only (a carrier
// address, an evening somewhere), so that the lines of a home are not
// pushed out by a phone hopping through a carrier's addresses; then among
// all.
func (a *account) addPlace(p place) int {
	for i := range a.places {
		if !a.places[i].used {
			a.places[i] = p
			return i
		}
	}
	if len(a.places) < maxPlaces {
		a.places = append(room(a.places, maxPlaces), p)
		return len(a.places) - 1
	}
	victim := -1
	for pass := 0; pass < 2 && victim < 0; pass++ {
		for i := range a.places {
			q := &a.places[i]
			if pass == 0 && (q.days.total() > 1 || q.fixed || q.trusted) {
				continue
			}
			if victim < 0 || q.lastSeen < a.places[victim].lastSeen {
				victim = i
			}
		}
	}
	a.edges = filterEdges(a.edges, func(e edge) bool { return int(e.place) != victim })
	for i := range a.sessions {
		if int(a.sessions[i].place) == victim {
			a.sessions[i].place = -1
		}
	}
	a.places[victim] = p
	for i := range a.places {
		if int(a.places[i].prev) == victim+1 {
			a.places[i].prev = 0
		}
	}
	return victim
}

// touchEdge records device d at place p on day.
func (a *account) touchEdge(d, p int, day int32, now int64) {
	for i := range a.edges {
		e := &a.edges[i]
		if int(e.dev) == d && int(e.place) == p {
			e.days.add(day)
			if now > e.lastSeen {
				e.lastSeen = now
			}
			return
		}
	}
	if len(a.edges) >= maxEdges {
		victim := 0
		for i := range a.edges {
			if a.edges[i].lastSeen < a.edges[victim].lastSeen {
				victim = i
			}
		}
		a.edges = append(a.edges[:victim], a.edges[victim+1:]...)
	}
	e := edge{dev: uint8(d), place: uint8(p), lastSeen: now}
	e.days.add(day)
	a.edges = append(room(a.edges, maxEdges), e)
}

func (a *account) sessionIndex(key uint64) int {
	for i := range a.sessions {
		if a.sessions[i].key == key {
			return i
		}
	}
	return -1
}

// expireSessions drops sessions idle for longer than timeout.
func (a *account) expireSessions(now, timeout int64) {
	a.sessions = filterSessions(a.sessions, func(s session) bool { return now-s.last <= timeout })
}

func (a *account) addSession(s session) int {
	if len(a.sessions) >= maxSessions {
		victim := 0
		for i := range a.sessions {
			if a.sessions[i].last < a.sessions[victim].last {
				victim = i
			}
		}
		a.sessions = append(a.sessions[:victim], a.sessions[victim+1:]...)
	}
	a.sessions = append(room(a.sessions, maxSessions), s)
	return len(a.sessions) - 1
}

func filterEdges(es []edge, keep func(edge) bool) []edge {
	out := es[:0]
	for _, e := range es {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

func filterSessions(ss []session, keep func(session) bool) []session {
	out := ss[:0]
	for _, s := range ss {
		if keep(s) {
			out = append(out, s)
		}
	}
	return out
}

// fnv64 hashes a string with FNV-1a; deterministic across runs, unlike
// maphash, so state and output are reproducible.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func dayOf(unix int64) int32 { return int32(math.Floor(float64(unix) / 86400)) }

// dayStarts is when, in local time, one streaming day ends and the next
// begins: an evening that runs past midnight is one evening, not two days.
const dayStarts = 5 * 3600

// dayOf is the account's local streaming day of unix time t.
func (a *account) dayOf(t int64) int32 { return dayOf(t + int64(a.tz) - dayStarts) }

// dedupWindow remembers event-id hashes for about span seconds of event
// time in two generations: when event time passes the current
// generation's end, the older one is dropped. Memory is bounded by the
// events in two generations.
type dedupWindow struct {
	span     int64
	end      int64
	cur, old map[uint64]struct{}
}

// seen reports whether h was recorded within the window, and records it.
func (d *dedupWindow) seen(h uint64, now int64) bool {
	if d.span <= 0 {
		return false
	}
	if d.cur == nil {
		d.cur, d.old = map[uint64]struct{}{}, map[uint64]struct{}{}
		d.end = now + d.span/2
	}
	for now >= d.end {
		d.old, d.cur = d.cur, map[uint64]struct{}{}
		if now >= d.end+d.span/2 {
			d.old = map[uint64]struct{}{}
			d.end = now + d.span/2
			break
		}
		d.end += d.span / 2
	}
	if _, ok := d.cur[h]; ok {
		return true
	}
	if _, ok := d.old[h]; ok {
		return true
	}
	d.cur[h] = struct{}{}
	return false
}

// sizeBytes estimates the memory the account's state holds (structs,
// slices' capacity and map entry), for the state-size metric.
func (a *account) sizeBytes() int {
	const mapEntry = 48 // account map bucket share, key header and pointer
	n := int(unsafe.Sizeof(*a)) + mapEntry
	n += cap(a.devices) * int(unsafe.Sizeof(device{}))
	n += cap(a.places) * int(unsafe.Sizeof(place{}))
	n += cap(a.edges) * int(unsafe.Sizeof(edge{}))
	n += cap(a.sessions) * int(unsafe.Sizeof(session{}))
	for i := range a.places {
		n += len(a.places[i].city) + len(a.places[i].country)
	}
	n += len(a.peakExplain) + 16*len(a.peakReasons)
	return n
}
