package scoring

import (
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sharewatch/sharewatch/enrich"
	"github.com/sharewatch/sharewatch/ingest"
)

// Locator enriches an IP address; *enrich.Enricher implements it.
type Locator interface {
	Lookup(ip netip.Addr) enrich.Location
}

// Options are the scorer's collaborators.
type Options struct {
	Locator    Locator
	Model      *Model // nil: the configured file, else the built-in model
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// KeepSummaries keeps the summary of evicted accounts so a batch run
	// can report every account at the end.
	KeepSummaries bool
	// Tap, when set, sees every event's features before scoring; the
	// model fitter uses it to collect training data.
	Tap func(ev *ingest.Event, x *Features)
	// CountFrom, when set, is a warm-up's end: events before it build the
	// accounts' state (as a replay of past weeks would) but do not count in
	// the account summaries' peak verdict, first flag or impossible-travel
	// time. An evaluation then measures accounts with history, not a
	// start from nothing.
	CountFrom time.Time
}

// Scorer holds per-account state and scores events. It is not safe for
// concurrent use: the pipeline feeds each scorer from one goroutine, and
// shards accounts across scorers when it needs more.
type Scorer struct {
	cfg      Config
	model    *Model
	loc      Locator
	log      *slog.Logger
	m        *metrics
	accounts map[string]*account
	evicted  map[string]AccountSummary
	tap      func(ev *ingest.Event, x *Features)
	// countFrom is Options.CountFrom in unix seconds (0: count everything).
	countFrom int64

	dedup dedupWindow
	// Scratch for Score, reused from event to event (Score is not safe
	// for concurrent use): the households of the account being scored.
	comp      components
	hs        []household
	teachMu   sync.Mutex
	teach     []string // accounts an analyst cleared, applied on the next Score
	teaching  atomic.Bool
	watermark int64 // highest event time seen, unix seconds
	nextSweep int64

	timeout, ttl, bridge int64
	// concurrentThreshold: Config.ConcurrentSuspectedThreshold, resolved
	// against the suspected threshold in use.
	concurrentThreshold float64
	business            map[uint32]bool // Config.BusinessASNs
}

// New builds a scorer.
func New(cfg Config, opts Options) (*Scorer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if opts.Locator == nil {
		return nil, fmt.Errorf("scoring: a Locator is required")
	}
	m := opts.Model
	if m == nil {
		var err error
		if cfg.Model != "" {
			m, err = LoadModel(cfg.Model)
		} else {
			m, err = BuiltinModel()
		}
		if err != nil {
			return nil, err
		}
	}
	if cfg.SuspectedThreshold == 0 {
		cfg.SuspectedThreshold, cfg.SharingThreshold = m.Thresholds.Suspected, m.Thresholds.Sharing
	}
	concurrent := cfg.ConcurrentSuspectedThreshold
	if concurrent == 0 {
		concurrent = cfg.SuspectedThreshold - concurrentMargin
	}
	concurrent = min(concurrent, cfg.SuspectedThreshold)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Scorer{
		cfg:      cfg,
		model:    m,
		loc:      opts.Locator,
		log:      log,
		m:        newMetrics(opts.Registerer, m.Version),
		accounts: make(map[string]*account),
		timeout:  int64(cfg.SessionTimeout / time.Second),
		ttl:      int64(cfg.StateTTL / time.Second),
		bridge:   int64(cfg.BridgeWindow / time.Second),
		dedup:    dedupWindow{span: int64(cfg.DedupWindow / time.Second)},

		concurrentThreshold: concurrent,
	}
	s.tap = opts.Tap
	s.business = make(map[uint32]bool, len(cfg.BusinessASNs))
	for _, a := range cfg.BusinessASNs {
		s.business[a] = true
	}
	if !opts.CountFrom.IsZero() {
		s.countFrom = opts.CountFrom.Unix()
	}
	if opts.KeepSummaries {
		s.evicted = make(map[string]AccountSummary)
	}
	return s, nil
}

// ModelVersion is the version stamped on every verdict.
func (s *Scorer) ModelVersion() string { return s.model.Version }

// Accounts returns how many accounts are held in memory.
func (s *Scorer) Accounts() int { return len(s.accounts) }

// Score scores one event. ok is false when the event is a duplicate of one
// the account has just seen (same event_id), which yields no verdict.
func (s *Scorer) Score(ev *ingest.Event) (v Verdict, ok bool) {
	if s.teaching.Load() {
		s.applyTeach()
	}
	now := ev.Time.Unix()
	// Evict idle accounts first, so the sweep can never take the account
	// this event is about.
	s.advance(now)
	a := s.accounts[ev.AccountID]
	if a == nil {
		a = &account{firstSeen: now, lastSeen: now}
		s.accounts[ev.AccountID] = a
		s.m.accounts.Set(float64(len(s.accounts)))
	}
	idh := fnv64(ev.EventID)
	if a.seenRecently(idh) || s.dedup.seen(idh^fnv64(ev.AccountID), now) {
		s.m.duplicates.Inc()
		return v, false
	}
	loc := s.loc.Lookup(ev.IP)
	if !a.tzSet && loc.Trusted() {
		a.tz, a.tzSet = int32(math.Round(loc.Lon/15))*3600, true
	}
	day := a.dayOf(now)
	if now > a.lastSeen {
		a.lastSeen = now
	}
	if now < a.firstSeen {
		a.firstSeen = now
	}
	a.events++
	a.expireSessions(now, s.timeout)

	obs := observation{
		loc:     loc,
		trusted: loc.Trusted() && int(loc.AccuracyKM) <= s.cfg.CoarseAccuracyKM,
		// A network says which line a device is on even when its location
		// is coarse or unknown; hosting and private networks say nothing.
		placeable: (loc.Kind == enrich.KindPublic || loc.Kind == enrich.KindUnknown) && !loc.Hosting && loc.Network.IsValid(),
	}
	si := -1
	if ev.Type != ingest.TypeLogin || ev.Success {
		si = s.track(a, ev, &obs, now, day)
	}
	c := &s.comp
	a.householdsInto(c, now, s.bridge)
	if si >= 0 && obs.place >= 0 {
		a.markReach(c, obs.place, now, day)
	}
	hs := a.householdSummaryInto(s.hs, c, day, 28)
	if si >= 0 && ev.Type != ingest.TypeLogout {
		if s.concurrency(a, si, c, hs, now, day, &obs) {
			hs = a.householdSummaryInto(hs, c, day, 28) // new conflict marks
		}
	}
	s.hs = hs
	x, ev2 := s.features(a, c, hs, day, &obs)
	ev2.scattered = a.scattered(c, now, ev2.spots[:])
	if s.tap != nil {
		s.tap(ev, &x)
	}
	score := s.model.Score(&x)
	label := LabelOK
	apart := ev2.apart && !s.cfg.FlagApartHouseholds
	persistent := PersistentEnough(&x, s.cfg.SharingMinSpanDays)
	steady := ConcurrentOrSteady(&x, s.cfg.SharingQuietMinDays)
	watched := LongEnoughWatched(&x, a.historyDays(now), s.cfg.SharingMinHistoryDays)
	switch {
	case score >= s.cfg.SharingThreshold && !apart && persistent && steady && watched && ev2.recent:
		label = LabelSharing
	case score >= s.cfg.SharingThreshold && (!apart || persistent):
		label = LabelSuspectedSharing
	case ev2.scattered >= minScattered:
		// Strangers in three cities at once: early, for an analyst.
		label = LabelSuspectedSharing
		ev2.byScatter = true
	case apart:
		// In use only while the home is empty: one person moving between
		// places looks the same. Weeks of it still reach an analyst (above).
	case score >= s.cfg.SuspectedThreshold:
		label = LabelSuspectedSharing
	case score >= s.concurrentThreshold && (ev2.conflictDays > 0 || obs.conflict):
		// Another household streamed at the same time as the owner's:
		// less of it is enough for an analyst to look.
		label = LabelSuspectedSharing
	case obs.travelKM > 0:
		label = LabelTravel
	}
	ev2.cameHome = a.cameHome(hs, label, now)
	reasons, explanation := s.explain(a, hs, &x, &obs, ev, label, ev2)
	if label == LabelSuspectedSharing && score >= s.cfg.SharingThreshold && !apart {
		// Say which guard kept it from sharing.
		for _, h := range []struct {
			held   bool
			reason string
		}{{!persistent, ReasonHeldShortSpan}, {!steady, ReasonHeldQuiet}, {!watched, ReasonHeldShortHistory}, {!ev2.recent, ReasonHeldNotRecent}} {
			if h.held {
				reasons = append(reasons, h.reason)
			}
		}
	}

	v = Verdict{
		EventID:      ev.EventID,
		Type:         ev.Type.String(),
		Time:         ev.Time,
		AccountID:    ev.AccountID,
		SessionID:    ev.SessionID,
		DeviceID:     ev.DeviceID,
		IP:           ev.IP.String(),
		Country:      loc.Country,
		City:         loc.City,
		AccuracyKM:   int(loc.AccuracyKM),
		ASN:          loc.ASN,
		Score:        math.Round(score*1e4) / 1e4,
		Verdict:      label,
		Reasons:      reasons,
		Explanation:  explanation,
		Action:       "none",
		ModelVersion: s.model.Version,
	}
	if loc.HasCoords {
		v.Lat, v.Lon = round4(loc.Lat), round4(loc.Lon)
	}
	s.remember(a, &v, now)
	s.baseline(a, ev, &loc, now)
	if ev.Type == ingest.TypeLogout && si >= 0 {
		a.sessions = append(a.sessions[:si], a.sessions[si+1:]...)
	}
	s.m.scored[label].Inc()
	return v, true
}

// prefixKey hashes a network prefix (FNV-1a over its 16-byte address and
// length) without formatting it.
func prefixKey(p netip.Prefix) uint64 {
	b := p.Addr().As16()
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	h ^= uint64(p.Bits())
	h *= 1099511628211
	return h
}

// PersistentEnough reports whether the evidence in x may support a sharing
// verdict: another household that streamed over at least minSpan days, or
// four or more other households (see Config.SharingMinSpanDays).
func PersistentEnough(x *Features, minSpan int) bool {
	if minSpan <= 0 {
		return true
	}
	return resellerLike(x) || math.Round(math.Expm1(x[4])) >= float64(minSpan)
}

// resellerLike reports whether x has four or more other households at
// once: a reseller's buyers, never one person's trip or second home.
func resellerLike(x *Features) bool {
	return math.Round(math.Expm1(x[2])) >= 4
}

// historyDays is how many whole days of the account's history there are
// at now (event time).
func (a *account) historyDays(now int64) int {
	return int((now - a.firstSeen) / 86400)
}

// recentDays: a sharing verdict needs another household that streamed in
// the last week. A stay that ended days ago (the owner back home, whose
// devices have not streamed there yet) is no reason for an automated
// hold now; a friend streams every week.
const recentDays = 7

// LongEnoughWatched reports whether the evidence in x may support a
// sharing verdict on an account with historyDays of history: at least
// minDays, unless there are four or more other households at once (a
// reseller; a trip is one place at a time). See
// Config.SharingMinHistoryDays.
func LongEnoughWatched(x *Features, historyDays, minDays int) bool {
	return minDays <= 0 || historyDays >= minDays || resellerLike(x)
}

// ConcurrentOrSteady reports whether the evidence in x may support a
// sharing verdict when the other households have not streamed at the same
// time as the owner's: one of them must then have been active on at least
// minDays of the last 28 days (see Config.SharingQuietMinDays).
func ConcurrentOrSteady(x *Features, minDays int) bool {
	if minDays <= 0 || x[0] > 0 || x[1] > 0 {
		return true
	}
	return math.Round(math.Expm1(x[3])) >= float64(minDays)
}

// Teach records an analyst's "not sharing" decision for an account: every
// line the account has used so far is vouched for, so the households on
// them count as the owner's and the same pattern raises no new case. New
// lines and new households are still scored. Safe to call from any
// goroutine; it takes effect before the next event is scored. An account
// no longer in memory has nothing to teach.
func (s *Scorer) Teach(accountID string) {
	s.teachMu.Lock()
	s.teach = append(s.teach, accountID)
	s.teachMu.Unlock()
	s.teaching.Store(true)
}

func (s *Scorer) applyTeach() {
	s.teachMu.Lock()
	ids := s.teach
	s.teach = nil
	s.teaching.Store(false)
	s.teachMu.Unlock()
	for _, id := range ids {
		a := s.accounts[id]
		if a == nil {
			continue
		}
		for p := range a.places {
			if a.places[p].used {
				a.places[p].trusted = true
			}
		}
		s.m.taught.Inc()
	}
}

// observation carries what scoring learnt about the current event.
type observation struct {
	loc       enrich.Location
	trusted   bool // the location can stand for a person's position
	placeable bool // the network can identify a home line
	dev       int
	place     int
	travelKM  float64 // > 0 when the owner's household is travelling
	hotel     bool    // travel, at a hotel's line
	business  bool    // travel, on a business-only carrier's line
	roaming   bool    // travel, by a household whose device roams on a home-country carrier
	conflict  bool
	newcomer  bool
	teleport  bool
	newDevice bool
}

// track updates devices, places, edges and sessions for the event, and
// returns the session slot, or -1.
func (s *Scorer) track(a *account, ev *ingest.Event, obs *observation, now int64, day int32) int {
	skey := fnv64(ev.SessionID)
	if ev.SessionID == "" {
		skey = fnv64("device:" + ev.DeviceID)
	}
	si := a.sessionIndex(skey)
	// Resolve the device: the event's device_id, else the session's.
	d := -1
	if ev.DeviceID != "" {
		id := fnv64(ev.DeviceID)
		d = a.deviceIndex(id)
		if d < 0 {
			d = a.addDevice(id, now)
			obs.newDevice = true
			si = a.sessionIndex(skey) // eviction may have moved sessions
		}
	} else if si >= 0 {
		d = int(a.sessions[si].dev)
	} else {
		id := skey ^ 0x9e3779b97f4a7c15 // an unnamed device, one per unknown session
		if d = a.deviceIndex(id); d < 0 {
			d = a.addDevice(id, now)
			si = a.sessionIndex(skey)
		}
	}
	obs.dev = d
	dv := &a.devices[d]
	if dv.kind == kindUnknown && ev.UserAgent != "" {
		dv.kind = guessKind(ev.UserAgent)
	}
	if now > dv.lastSeen {
		dv.lastSeen = now
	}
	dv.days.add(day)

	obs.place = -1
	if obs.placeable {
		key := prefixKey(obs.loc.Network)
		p := a.placeIndex(key)
		if p < 0 {
			p = a.addPlace(place{
				key: key, asn: obs.loc.ASN, lat: float32(obs.loc.Lat), lon: float32(obs.loc.Lon),
				acc: obs.loc.AccuracyKM, country: obs.loc.Country, city: obs.loc.City,
				firstSeen: now, used: true, v6: obs.loc.Network.Addr().Is6(), located: obs.trusted,
				business: s.business[obs.loc.ASN], host: ev.IP.As16()[15],
			})
			a.places[p].prev = int8(a.predecessor(d, p) + 1)
			si = a.sessionIndex(skey)
		}
		pl := &a.places[p]
		late := now < pl.lastSeen
		if !late {
			pl.lastSeen = now
		}
		// A late event's address is history, not a change of address.
		if ev.IP.Is4() && !late {
			if h := ev.IP.As4()[3]; h != pl.host {
				pl.host = h
				pl.renumbered = uint32(now)
			}
		}
		pl.days.add(day)
		pl.devs |= 1 << uint(d)
		switch dv.kind {
		case kindTV:
			pl.fixed = true
		case kindLodgingTV:
			pl.lodging = true
		case kindComputer:
			pl.desk = true
		}
		a.touchEdge(d, p, day, now)
		obs.place = p
		// Device continuity: one device is one person; moving faster than
		// travel allows is a cloned or shared device identity.
		if obs.trusted && !pl.located {
			pl.lat, pl.lon, pl.acc, pl.located = float32(obs.loc.Lat), float32(obs.loc.Lon), obs.loc.AccuracyKM, true
			pl.city, pl.country = obs.loc.City, obs.loc.Country
		}
	}
	if obs.trusted {
		if dv.lastPosAt > 0 {
			dist := DistanceKM(float64(dv.lastLat), float64(dv.lastLon), obs.loc.Lat, obs.loc.Lon)
			if ImpliedSpeedKMH(dist, dv.lastAcc, obs.loc.AccuracyKM, float64(now-dv.lastPosAt)) > plausibleTravelKMH && now-dv.lastPosAt < 6*3600 {
				a.teleports.add(day)
				obs.teleport = true
			}
		}
		dv.lastLat, dv.lastLon, dv.lastAcc, dv.lastPosAt = float32(obs.loc.Lat), float32(obs.loc.Lon), obs.loc.AccuracyKM, now
	}

	if si < 0 {
		si = a.addSession(session{key: skey, dev: int8(d), start: now, last: now})
	}
	ss := &a.sessions[si]
	ss.dev = int8(d)
	if now > ss.last {
		ss.last = now
	}
	ss.place = int8(obs.place)
	ss.trusted = obs.placeable
	if obs.trusted {
		ss.lat, ss.lon, ss.acc = float32(obs.loc.Lat), float32(obs.loc.Lon), obs.loc.AccuracyKM
	}
	return si
}

// concurrency checks the session against every other active session.
func (s *Scorer) concurrency(a *account, si int, c *components, hs []household, now int64, day int32, obs *observation) (marked bool) {
	primary := -1
	if len(hs) > 0 {
		primary = hs[0].root
	}
	anchoredRoot := func(root int) bool {
		for p := range a.places {
			if a.places[p].used && c.place(p) == root && a.anchor(c, p) {
				return true
			}
		}
		return false
	}
	cur := &a.sessions[si]
	for i := range a.sessions {
		if i == si {
			continue
		}
		o := &a.sessions[i]
		if now-o.last > s.timeout {
			continue
		}
		if pendingConflict(cur, o, c) && !a.linked(c, c.device(int(cur.dev)), c.device(int(o.dev)), primary) {
			// Marked on the places even before they are persistent: once
			// a place anchors a household, the overlaps it already had
			// count, so a friend streaming with the owner on their first
			// evening is not forgotten.
			a.places[cur.place].conflicts.add(day)
			a.places[o.place].conflicts.add(day)
		}
		if concurrencyConflict(cur, o, c, func(p int) bool { return a.anchor(c, p) }) && !a.linked(c, c.device(int(cur.dev)), c.device(int(o.dev)), primary) {
			marked = true
			a.places[cur.place].conflicts.add(day)
			a.places[o.place].conflicts.add(day)
			obs.conflict = true
			continue
		}
		// First-day evidence: a device first seen in the last two days,
		// at a place of its own, overlapping a persistent household
		// elsewhere.
		if cur.trusted && o.trusted && cur.place >= 0 && o.place >= 0 && cur.place != o.place && cur.dev != o.dev {
			hc, ho := c.device(int(cur.dev)), c.device(int(o.dev))
			if hc != ho && c.place(int(cur.place)) == hc && c.place(int(o.place)) == ho && !a.linked(c, hc, ho, primary) {
				ac, ao := anchoredRoot(hc), anchoredRoot(ho)
				newc := now-a.devices[cur.dev].firstSeen < s.bridge
				newo := now-a.devices[o.dev].firstSeen < s.bridge
				if (ao && !ac && newc) || (ac && !ao && newo) {
					a.newcomers.add(day)
					obs.newcomer = true
				}
			}
		}
	}
	return marked
}

// features computes the model's inputs.
func (s *Scorer) features(a *account, c *components, hs []household, day int32, obs *observation) (Features, evidence) {
	var x Features
	var e evidence
	e.primary = -1
	if len(hs) > 0 {
		e.primary = hs[0].home
	}
	foreignDevices := 0
	var conflictBits, sameDays uint64
	const last14 = 1<<14 - 1
	for i := 1; i < len(hs); i++ {
		h := &hs[i]
		if !qualifies(h) {
			continue
		}
		conflictBits |= h.conflicts & last14
		e.recent = e.recent || h.activeDays&(1<<recentDays-1) != 0
		sameDays |= h.reach & hs[0].reach
		foreignDevices += popcount32(h.devices)
		// Any other household with a home half as persistent as the
		// primary's leaves it unclear which is the account holder's.
		e.homeUnclear = e.homeUnclear || 2*h.homeDays >= hs[0].homeDays
		// Persistence is a home's: the span of its lines in one area, so
		// stays in one city after another do not add up to a home.
		n, span := popcount(h.activeDays), h.homeSpan
		if span > e.foreignSpan || (span == e.foreignSpan && n > e.foreignDays) {
			e.foreignDays = n
			e.foreignSpan = span
			e.foreignHome = h.home
			e.foreignDevs = a.devicesAt(h, &hs[0])
		}
	}
	e.foreign = a.separateHouseholds(c, hs, day)
	e.conflictDays = popcount(conflictBits)
	e.apart = e.foreign > 0 && sameDays == 0 && e.conflictDays == 0 && !obs.conflict
	x[0] = math.Log1p(float64(e.conflictDays))
	if obs.conflict {
		x[1] = 1
	}
	x[2] = math.Log1p(float64(e.foreign))
	x[3] = math.Log1p(float64(e.foreignDays))
	x[4] = math.Log1p(float64(e.foreignSpan))
	x[5] = math.Log1p(float64(foreignDevices))
	x[6] = math.Log1p(float64(a.newcomers.count(day, 7)))
	x[7] = math.Log1p(float64(a.teleports.count(day, 14)))
	x[8] = math.Log1p(float64(max(0, e.foreignSpan-e.foreignDays)))
	// Travel: the owner's household seen well away from its home.
	if obs.trusted && int(obs.loc.AccuracyKM) <= s.cfg.TravelMaxAccuracyKM && obs.place >= 0 && e.primary >= 0 && obs.place != e.primary && a.places[e.primary].located && !a.dynamic(c, obs.place) && !dualStackOf(&a.places[e.primary], &a.places[obs.place]) {
		hp := &a.places[e.primary]
		op := &a.places[obs.place]
		if own := householdOf(hs, obs.dev); op.lodging || op.business || (own >= 0 && hs[own].explained) {
			dist := DistanceKM(float64(hp.lat), float64(hp.lon), obs.loc.Lat, obs.loc.Lon)
			if SeparationKM(dist, hp.acc, obs.loc.AccuracyKM) >= s.cfg.TravelMinKM {
				obs.travelKM, obs.hotel, obs.business = dist, op.lodging, op.business && !op.lodging
				obs.roaming = !obs.hotel && !obs.business && own >= 0 && hs[own].roaming
			}
		}
	}
	return x, e
}

// evidence is what the explanation cites.
type evidence struct {
	primary     int // place slot of the owner's home, -1 unknown
	foreign     int // persistent other households
	foreignHome int // place slot of the most active one
	foreignDays int // active days of the most persistent one, last 28 days
	foreignSpan int // days from its first to its last activity, last 28 days
	foreignDevs int
	// homeUnclear: another household has a home of at least half as many
	// days as the primary's. Which of the two is the account holder's the
	// data cannot tell (a friend may stream more than the owner), so the
	// explanation does not call either "the home".
	homeUnclear  bool
	conflictDays int
	// apart: no other household was ever in use within travel time of
	// the owner's home (in 28 days; in one town, or without positions, on
	// the same day), nor streamed at the same time as it.
	apart bool
	// recent: another household streamed in the last recentDays days.
	recent bool
	// scattered: lines far apart in use within three days, each with
	// devices of its own (see account.scattered); spots names the first.
	scattered int
	spots     [minScattered]int8
	byScatter bool // the verdict is suspected_sharing for the scattered lines alone
	// cameHome: devices of the households of the last flagged verdict
	// that now belong to one household with the primary's (see cameHome).
	cameHome uint32
}

// cameHome records the households of a flagged verdict, and for a verdict
// that is not flagged returns the devices of the other households of the
// last flagged one that have since streamed with that verdict's
// household, on its networks: the case has come undone, as when the
// owner's devices come back from a long stay and stream at home. The
// explanation says so, and the reason code lets an analyst find such
// cases (an account held on the old evidence may be a customer wrongly
// held).
func (a *account) cameHome(hs []household, label Label, now int64) uint32 {
	if len(hs) == 0 {
		return 0
	}
	if label.Flagged() {
		var other uint32
		for i := 1; i < len(hs); i++ {
			if qualifies(&hs[i]) {
				other |= hs[i].devices
			}
		}
		if other != 0 {
			a.flagPrimary, a.flagOther, a.flagAt = hs[0].devices, other, uint32(now)
		}
		return 0
	}
	back := a.flagOther & hs[0].devices
	if back == 0 || a.flagPrimary&hs[0].devices == 0 {
		return 0 // nothing came back, or the primary of then is not the primary of now
	}
	// Joined is not enough: a friend's line taken for the other family of
	// the owner's, or one visit, joins households too. The devices must
	// have streamed on a network the household's own devices used on the
	// same day, on two days since the flag.
	today := a.dayOf(now)
	n := int(today - a.dayOf(int64(a.flagAt)))
	if n < 2 {
		return 0
	}
	var came, own [maxPlaces]uint64
	for _, e := range a.edges {
		switch bit := uint32(1) << e.dev; {
		case back&bit != 0:
			came[e.place] |= e.days.window(today, n)
		case a.flagPrimary&bit != 0:
			own[e.place] |= e.days.window(today, n)
		}
	}
	var days uint64
	for p := range a.places {
		days |= came[p] & own[p]
	}
	if popcount(days) < 2 {
		return 0
	}
	return back
}

// minScattered is how many lines far apart, each with devices of its
// own, in use within three days make a case for an analyst before any of
// them is a household: one is the home, and one more is a trip.
const minScattered = 3

// remember updates the account summary fields.
func (s *Scorer) remember(a *account, v *Verdict, now int64) {
	a.lastScore = float32(v.Score)
	a.lastLabel = v.Verdict
	if now < s.countFrom {
		return // warm-up: state only
	}
	if v.Verdict.Flagged() && a.firstFlagged == 0 {
		a.firstFlagged = now
	}
	// The peak is the most severe verdict, then the highest score: an
	// account once called sharing stays counted as sharing even if a
	// later event scores higher but is only suspected. An account never
	// flagged keeps its latest ok (or travel) verdict instead: what fits
	// one household now, not its first event, when no home was known yet.
	if a.peakExplain == "" || v.Verdict > a.peakLabel || (v.Verdict == a.peakLabel && (float32(v.Score) > a.peak || !v.Verdict.Flagged())) {
		a.peak = float32(v.Score)
		a.peakLabel = v.Verdict
		a.peakReasons = v.Reasons
		a.peakExplain = v.Explanation
	}
}

// advance moves the event-time watermark and evicts idle accounts.
func (s *Scorer) advance(now int64) {
	if now <= s.watermark {
		return
	}
	s.watermark = now
	if now < s.nextSweep {
		return
	}
	s.nextSweep = now + 3600
	cutoff := now - s.ttl
	for id, a := range s.accounts {
		if a.lastSeen < cutoff {
			s.evict(id, a)
		}
	}
	if over := len(s.accounts) - s.cfg.MaxAccounts; over > 0 {
		type idle struct {
			id   string
			seen int64
		}
		all := make([]idle, 0, len(s.accounts))
		for id, a := range s.accounts {
			all = append(all, idle{id, a.lastSeen})
		}
		sort.Slice(all, func(i, j int) bool {
			return all[i].seen < all[j].seen || (all[i].seen == all[j].seen && all[i].id < all[j].id)
		})
		for _, x := range all[:over] {
			s.evict(x.id, s.accounts[x.id])
		}
	}
	s.m.accounts.Set(float64(len(s.accounts)))
	s.m.bytes.Set(float64(s.StateBytes()))
}

// StateBytes estimates the memory held by per-account state. It walks every
// account; the scorer calls it once an hour of event time.
func (s *Scorer) StateBytes() int {
	n := 0
	for _, a := range s.accounts {
		n += a.sizeBytes()
	}
	return n
}

func (s *Scorer) evict(id string, a *account) {
	if s.evicted != nil {
		s.evicted[id] = summaryOf(id, a, s.countFrom)
	}
	delete(s.accounts, id)
	s.m.evictions.Inc()
}

// Summaries returns the account summaries of every account seen (held or,
// with KeepSummaries, evicted), sorted by account id.
func (s *Scorer) Summaries() []AccountSummary {
	out := make([]AccountSummary, 0, len(s.accounts)+len(s.evicted))
	for id, a := range s.accounts {
		out = append(out, summaryOf(id, a, s.countFrom))
	}
	for _, sum := range s.evicted {
		if _, live := s.accounts[sum.AccountID]; !live {
			out = append(out, sum)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AccountID < out[j].AccountID })
	return out
}

func summaryOf(id string, a *account, countFrom int64) AccountSummary {
	sum := AccountSummary{
		AccountID:   id,
		Verdict:     a.peakLabel,
		Score:       round4(float64(a.peak)),
		Reasons:     a.peakReasons,
		Explanation: a.peakExplain,
		LastVerdict: a.lastLabel,
		LastScore:   round4(float64(a.lastScore)),
		FirstSeen:   time.Unix(a.firstSeen, 0).UTC(),
		LastSeen:    time.Unix(a.lastSeen, 0).UTC(),
		Events:      int(a.events),
	}
	if a.firstFlagged != 0 {
		t := time.Unix(a.firstFlagged, 0).UTC()
		sum.FirstFlagged = &t
	}
	if a.baseFlagged != 0 {
		t := time.Unix(a.baseFlagged, 0).UTC()
		sum.ImpossibleTravel = &t
	}
	if countFrom != 0 {
		t := time.Unix(countFrom, 0).UTC()
		sum.CountedFrom = &t
	}
	if sum.Reasons == nil {
		sum.Reasons = []string{}
	}
	return sum
}

func round4(f float64) float64 { return math.Round(f*1e4) / 1e4 }
