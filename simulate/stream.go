package simulate

import (
	"bufio"
	"container/heap"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/sharewatch/sharewatch/ingest"
)

// Stats counts what a population produced.
type Stats struct {
	Events       int
	Logins       int // successful logins, one per session
	FailedLogins int
	Heartbeats   int
	Logouts      int
	// AccountsByScenario has every scenario of Scenarios as a key.
	AccountsByScenario map[string]int
	SharingAccounts    int
}

// Stream produces a population's events one at a time in global time
// order, generating each account lazily a day at a time and merging the
// accounts with a heap. Memory is proportional to the number of accounts,
// not events. A Stream is not safe for concurrent use.
type Stream struct {
	cfg    Config
	world  *World
	accts  acctHeap
	labels []Label
	stats  Stats
}

// NewStream validates cfg and prepares its population.
func NewStream(cfg Config) (*Stream, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	w, err := newWorld(cfg)
	if err != nil {
		return nil, err
	}
	s := &Stream{cfg: cfg, world: w}
	s.stats.AccountsByScenario = make(map[string]int, len(scenarioOrder))
	for _, sc := range scenarioOrder {
		s.stats.AccountsByScenario[sc] = 0
	}
	start, end := cfg.Start.UnixMilli(), cfg.end().UnixMilli()
	for i, sc := range assignScenarios(cfg) {
		num := fmt.Sprintf("%05d", i+1)
		seed := splitmix64(cfg.Seed ^ splitmix64(uint64(i)+0x517cc1b727220a95))
		a := &account{
			idx: i, id: "acc-" + num, num: num, scenario: sc, w: s.world, cfg: &s.cfg,
			r:      rand.New(rand.NewPCG(seed, splitmix64(seed))),
			idSeed: splitmix64(seed ^ 0xe7037ed1a0b428db),
			start:  start, end: end, devIDs: map[string]bool{},
		}
		a.logoutP = a.uniform(0.7, 0.9)
		a.failP = a.uniform(0.004, 0.02)
		a.build()
		a.devIDs = nil
		s.labels = append(s.labels, a.label)
		s.stats.AccountsByScenario[sc]++
		if a.label.Sharing {
			s.stats.SharingAccounts++
		}
		if t, ok := a.peek(); ok {
			a.headT = t
			s.accts = append(s.accts, a)
		}
	}
	heap.Init(&s.accts)
	return s, nil
}

// assignScenarios gives each account a scenario: exact quotas from the
// mix (largest remainder), shuffled.
func assignScenarios(cfg Config) []string {
	var total float64
	for _, sc := range scenarioOrder {
		total += cfg.Mix[sc]
	}
	type share struct {
		sc   string
		n    int
		frac float64
	}
	var shares []share
	assigned := 0
	for _, sc := range scenarioOrder {
		x := cfg.Mix[sc] / total * float64(cfg.Accounts)
		n := int(math.Floor(x))
		shares = append(shares, share{sc, n, x - float64(n)})
		assigned += n
	}
	order := slices.Clone(shares)
	slices.SortStableFunc(order, func(x, y share) int {
		switch {
		case x.frac > y.frac:
			return -1
		case x.frac < y.frac:
			return 1
		}
		return 0
	})
	extra := map[string]int{}
	for i := 0; assigned < cfg.Accounts; i++ {
		extra[order[i%len(order)].sc]++
		assigned++
	}
	out := make([]string, 0, cfg.Accounts)
	for _, sh := range shares {
		for range sh.n + extra[sh.sc] {
			out = append(out, sh.sc)
		}
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x5ce7a110))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// Config returns the configuration with defaults filled in.
func (s *Stream) Config() Config { return s.cfg }

// World returns the world the population lives in; WriteGeoIP with the
// same Config writes its databases (unless Config.RealGeoIP is set: then
// the real databases answer for its addresses).
func (s *Stream) World() *World { return s.world }

// Labels returns the ground truth of every account, in account order.
// It is complete as soon as the Stream is created.
func (s *Stream) Labels() []Label { return slices.Clone(s.labels) }

// Stats returns the counts of the events produced so far.
func (s *Stream) Stats() Stats {
	st := s.stats
	st.AccountsByScenario = maps.Clone(s.stats.AccountsByScenario)
	return st
}

// Next returns the next event in time order; ties are broken by account
// order, then by generation order within the account. It returns false
// when the population is exhausted.
func (s *Stream) Next() (ingest.Event, bool) {
	ev, _, ok := s.next()
	return ev, ok
}

// All iterates over the remaining events.
func (s *Stream) All() iter.Seq[ingest.Event] {
	return func(yield func(ingest.Event) bool) {
		for {
			ev, ok := s.Next()
			if !ok || !yield(ev) {
				return
			}
		}
	}
}

// next also returns the session behind the event (ground truth for
// tests).
func (s *Stream) next() (ingest.Event, *session, bool) {
	if len(s.accts) == 0 {
		return ingest.Event{}, nil, false
	}
	a := s.accts[0]
	pe := a.buf[a.head]
	a.head++
	if t, ok := a.peek(); ok {
		a.headT = t
		heap.Fix(&s.accts, 0)
	} else {
		heap.Pop(&s.accts)
		a.buf, a.cands, a.hhs = nil, nil, nil
	}
	ev := ingest.Event{
		EventID:   eventID(a.idSeed, pe.seq),
		Type:      pe.typ,
		Time:      time.UnixMilli(pe.t).UTC(),
		AccountID: a.id,
		DeviceID:  pe.s.dev.id,
		IP:        pe.ip,
		UserAgent: pe.s.dev.ua,
		Success:   !pe.failed,
	}
	if !pe.failed {
		ev.SessionID = pe.s.id
	}
	s.stats.Events++
	switch {
	case pe.failed:
		s.stats.FailedLogins++
	case pe.typ == ingest.TypeLogin:
		s.stats.Logins++
	case pe.typ == ingest.TypeHeartbeat:
		s.stats.Heartbeats++
	case pe.typ == ingest.TypeLogout:
		s.stats.Logouts++
	}
	return ev, pe.s, true
}

// acctHeap orders accounts by their next event.
type acctHeap []*account

func (h acctHeap) Len() int { return len(h) }
func (h acctHeap) Less(i, j int) bool {
	if h[i].headT != h[j].headT {
		return h[i].headT < h[j].headT
	}
	return h[i].idx < h[j].idx
}
func (h acctHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *acctHeap) Push(x any)   { *h = append(*h, x.(*account)) }
func (h *acctHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return x
}

// Generate writes the population of cfg: events as contract JSON lines
// in global time order, and one label line per account. Either writer may
// be nil to skip that output. The same Config gives byte-identical
// output.
func Generate(cfg Config, events io.Writer, labels io.Writer) (Stats, error) {
	s, err := NewStream(cfg)
	if err != nil {
		return Stats{}, err
	}
	if labels != nil {
		if err := WriteLabels(labels, s.labels); err != nil {
			return Stats{}, err
		}
	}
	if events == nil {
		for _, ok := s.Next(); ok; _, ok = s.Next() {
		}
		return s.Stats(), nil
	}
	bw := bufio.NewWriterSize(events, 256<<10)
	buf := make([]byte, 0, 1024)
	for {
		ev, ok := s.Next()
		if !ok {
			break
		}
		buf = append(appendJSON(buf[:0], ev, true), '\n')
		if _, err := bw.Write(buf); err != nil {
			return s.Stats(), fmt.Errorf("writing events: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return s.Stats(), fmt.Errorf("writing events: %w", err)
	}
	return s.Stats(), nil
}

// AppendJSON appends ev in the contract's JSON form, byte-identical to
// ev.MarshalJSON, without reflection; use it to produce Kafka values.
func AppendJSON(b []byte, ev ingest.Event) []byte { return appendJSON(b, ev, false) }

// appendJSON skips the escaping check when the strings are known to be
// plain: the simulator's ids and user agents are (tests check both).
func appendJSON(b []byte, ev ingest.Event, plainStrings bool) []byte {
	if !plainStrings && (!plain(ev.EventID) || !plain(ev.AccountID) || !plain(ev.SessionID) || !plain(ev.DeviceID) || !plain(ev.UserAgent)) || !ev.IP.IsValid() {
		j, err := json.Marshal(ev)
		if err != nil {
			panic(err) // MarshalJSON of plain strings cannot fail
		}
		return append(b, j...)
	}
	b = append(b, `{"event_id":"`...)
	b = append(b, ev.EventID...)
	b = append(b, `","type":"`...)
	b = append(b, ev.Type.String()...)
	b = append(b, `","time":"`...)
	b = ev.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","account_id":"`...)
	b = append(b, ev.AccountID...)
	b = append(b, '"')
	if ev.SessionID != "" {
		b = append(b, `,"session_id":"`...)
		b = append(b, ev.SessionID...)
		b = append(b, '"')
	}
	if ev.DeviceID != "" {
		b = append(b, `,"device_id":"`...)
		b = append(b, ev.DeviceID...)
		b = append(b, '"')
	}
	b = append(b, `,"ip":"`...)
	b = ev.IP.AppendTo(b)
	b = append(b, '"')
	if ev.UserAgent != "" {
		b = append(b, `,"user_agent":"`...)
		b = append(b, ev.UserAgent...)
		b = append(b, '"')
	}
	if ev.Type == ingest.TypeLogin {
		b = append(b, `,"success":`...)
		b = strconv.AppendBool(b, ev.Success)
	}
	return append(b, '}')
}

// plain reports whether encoding/json would copy s verbatim.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
