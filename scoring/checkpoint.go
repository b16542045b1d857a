package scoring

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"time"
)

// A checkpoint is the scorer's state in a compact binary form, so that
// scoring can stop and go on later with the verdicts it would have given
// had it never stopped (sharewatch score --state). Its per-account part is
// also the unit a changelog of account states would carry.
//
// Layout, numbers as varints unless said otherwise:
//   - the magic "SWST" and the format version;
//   - the scorer's clock: the event-time watermark and the next idle
//     sweep;
//   - the window of recent event ids against duplicates: whether it has
//     started, its generation's end, then the current and the older
//     generation's hashes (a count, then 8 bytes each, ascending);
//   - the accounts: a count, then per account, in ascending id order, its
//     id and its encoded state, each length-prefixed; times inside an
//     account are deltas from its first event, days from that event's day;
//   - the summaries of evicted accounts (kept for batch runs, see
//     Options.KeepSummaries): a count, then each, length-prefixed;
//   - the accounts an analyst cleared (Teach) whose clearing the next
//     event applies: a count, then each id, length-prefixed.

const (
	checkpointMagic = "SWST"
	// stateFormat is the version of the encoding; bump it when a field is
	// added, removed or changes meaning.
	stateFormat = 1
	// maxStateBytes bounds one account's encoded state when reading.
	maxStateBytes = 1 << 20
	// maxIDBytes bounds an account id when reading.
	maxIDBytes = 1 << 10
)

// ErrCheckpoint is returned for a checkpoint that cannot be read: not one,
// another format version, or damaged.
var ErrCheckpoint = errors.New("scoring: bad checkpoint")

// Checkpoint writes the scorer's state to w.
func (s *Scorer) Checkpoint(w io.Writer) error {
	bw := bufio.NewWriter(w)
	b := []byte(checkpointMagic)
	b = binary.AppendUvarint(b, stateFormat)
	b = binary.AppendVarint(b, s.watermark)
	b = binary.AppendVarint(b, s.nextSweep)
	b = append(b, flags(s.dedup.cur != nil))
	b = binary.AppendVarint(b, s.dedup.end)
	for _, gen := range []map[uint64]struct{}{s.dedup.cur, s.dedup.old} {
		hs := slices.Sorted(maps.Keys(gen))
		b = binary.AppendUvarint(b, uint64(len(hs)))
		for _, h := range hs {
			b = binary.LittleEndian.AppendUint64(b, h)
		}
	}
	ids := slices.Sorted(maps.Keys(s.accounts))
	b = binary.AppendUvarint(b, uint64(len(ids)))
	var buf []byte
	for _, id := range ids {
		buf = s.accounts[id].appendState(buf[:0])
		b = binary.AppendUvarint(b, uint64(len(id)))
		b = append(b, id...)
		b = binary.AppendUvarint(b, uint64(len(buf)))
		b = append(b, buf...)
		if _, err := bw.Write(b); err != nil {
			return err
		}
		b = b[:0]
	}
	evicted := slices.Sorted(maps.Keys(s.evicted))
	b = binary.AppendUvarint(b, uint64(len(evicted)))
	for _, id := range evicted {
		sum := s.evicted[id]
		buf = appendSummary(buf[:0], &sum)
		b = binary.AppendUvarint(b, uint64(len(buf)))
		b = append(b, buf...)
		if _, err := bw.Write(b); err != nil {
			return err
		}
		b = b[:0]
	}
	s.teachMu.Lock()
	teach := slices.Clone(s.teach)
	s.teachMu.Unlock()
	b = binary.AppendUvarint(b, uint64(len(teach)))
	for _, id := range teach {
		b = binary.AppendUvarint(b, uint64(len(id)))
		b = append(b, id...)
	}
	if _, err := bw.Write(b); err != nil {
		return err
	}
	return bw.Flush()
}

// Restore replaces the scorer's state with a checkpoint's; clearings
// (Teach) not yet applied are kept, after the checkpoint's. On error the
// scorer is left as it was.
func (s *Scorer) Restore(r io.Reader) error {
	br := bufio.NewReader(r)
	magic := make([]byte, len(checkpointMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != checkpointMagic {
		return fmt.Errorf("%w: not a sharewatch checkpoint", ErrCheckpoint)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrCheckpoint, fmt.Sprintf(format, args...))
	}
	v, err := binary.ReadUvarint(br)
	if err != nil {
		return bad("%v", err)
	}
	if v != stateFormat {
		return bad("format version %d, this build reads %d", v, stateFormat)
	}
	watermark, err1 := binary.ReadVarint(br)
	nextSweep, err2 := binary.ReadVarint(br)
	started, err3 := br.ReadByte()
	dedupEnd, err4 := binary.ReadVarint(br)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return bad("header: %v", err)
	}
	var gens [2]map[uint64]struct{}
	for g := range gens {
		n, err := binary.ReadUvarint(br)
		if err != nil {
			return bad("event-id window: %v", err)
		}
		gens[g] = make(map[uint64]struct{}, min(n, 1<<12))
		var h [8]byte
		for i := uint64(0); i < n; i++ {
			if _, err := io.ReadFull(br, h[:]); err != nil {
				return bad("event-id window: %v", err)
			}
			gens[g][binary.LittleEndian.Uint64(h[:])] = struct{}{}
		}
	}
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return bad("%v", err)
	}
	accounts := make(map[string]*account, min(n, 1<<12))
	var buf []byte
	prev, maxSeen := "", int64(math.MinInt64)
	for i := uint64(0); i < n; i++ {
		id, err := readChunk(br, maxIDBytes, &buf)
		if err != nil {
			return bad("account %d of %d: %v", i+1, n, err)
		}
		key := string(id)
		if i > 0 && key <= prev {
			return bad("account %q after %q: ids out of order or repeated", key, prev)
		}
		prev = key
		st, err := readChunk(br, maxStateBytes, &buf)
		if err != nil {
			return bad("account %q: %v", key, err)
		}
		a, err := decodeState(st)
		if err != nil {
			return bad("account %q: %v", key, err)
		}
		accounts[key] = a
		maxSeen = max(maxSeen, a.lastSeen)
	}
	ne, err := binary.ReadUvarint(br)
	if err != nil {
		return bad("evicted accounts: %v", err)
	}
	evicted := make(map[string]AccountSummary, min(ne, 1<<12))
	for i := uint64(0); i < ne; i++ {
		b, err := readChunk(br, maxStateBytes, &buf)
		if err != nil {
			return bad("evicted account %d of %d: %v", i+1, ne, err)
		}
		sum, err := decodeSummary(b)
		if err != nil {
			return bad("evicted account %d of %d: %v", i+1, ne, err)
		}
		if _, dup := evicted[sum.AccountID]; dup {
			return bad("evicted account %q twice", sum.AccountID)
		}
		evicted[sum.AccountID] = sum
		maxSeen = max(maxSeen, sum.LastSeen.Unix())
	}
	nt, err := binary.ReadUvarint(br)
	if err != nil {
		return bad("cleared accounts: %v", err)
	}
	var teach []string
	for i := uint64(0); i < nt; i++ {
		id, err := readChunk(br, maxIDBytes, &buf)
		if err != nil {
			return bad("cleared account %d of %d: %v", i+1, nt, err)
		}
		teach = append(teach, string(id))
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return bad("data after the last account")
	}
	// The watermark is the latest event time seen, and an account kept
	// here saw it: one far ahead of them all is damage, and would stop
	// every idle sweep for good. The next sweep is within the hour.
	if maxSeen != math.MinInt64 {
		watermark = min(watermark, maxSeen)
	}
	s.accounts = accounts
	if s.evicted != nil {
		s.evicted = evicted
	}
	s.watermark, s.nextSweep = watermark, min(nextSweep, watermark+3600)
	s.dedup.end, s.dedup.cur, s.dedup.old = dedupEnd, nil, nil
	if started != 0 {
		s.dedup.cur, s.dedup.old = gens[0], gens[1]
	}
	s.teachMu.Lock()
	s.teach = append(teach, s.teach...) // and clearings that came in meanwhile
	s.teaching.Store(len(s.teach) > 0)
	s.teachMu.Unlock()
	s.m.accounts.Set(float64(len(s.accounts)))
	return nil
}

// appendSummary encodes an evicted account's summary.
func appendSummary(b []byte, sum *AccountSummary) []byte {
	e := stateEncoder{b: b}
	at := func(t *time.Time) {
		if t == nil {
			e.varint(0)
			return
		}
		e.varint(t.Unix())
	}
	e.string(sum.AccountID)
	e.byte(byte(sum.Verdict))
	e.fixed64(math.Float64bits(sum.Score))
	e.uvarint(uint64(len(sum.Reasons)))
	for _, r := range sum.Reasons {
		e.string(r)
	}
	e.string(sum.Explanation)
	at(sum.FirstFlagged)
	e.byte(byte(sum.LastVerdict))
	e.fixed64(math.Float64bits(sum.LastScore))
	at(&sum.FirstSeen)
	at(&sum.LastSeen)
	e.uvarint(uint64(sum.Events))
	at(sum.ImpossibleTravel)
	at(sum.CountedFrom)
	return e.b
}

// decodeSummary decodes what appendSummary wrote, as summaryOf builds a
// summary (times in UTC, 0 for none, reasons never nil).
func decodeSummary(b []byte) (AccountSummary, error) {
	d := stateDecoder{b: b}
	at := func() *time.Time {
		if v := d.varint(); v != 0 {
			t := time.Unix(v, 0).UTC()
			return &t
		}
		return nil
	}
	score := func() float64 {
		f := math.Float64frombits(d.fixed64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			d.fail("score %v", f)
		}
		return f
	}
	var sum AccountSummary
	sum.AccountID = d.string()
	sum.Verdict = d.label()
	sum.Score = score()
	sum.Reasons = make([]string, d.count(16))
	for i := range sum.Reasons {
		sum.Reasons[i] = d.string()
	}
	sum.Explanation = d.string()
	sum.FirstFlagged = at()
	sum.LastVerdict = d.label()
	sum.LastScore = score()
	sum.FirstSeen = time.Unix(d.varint(), 0).UTC()
	sum.LastSeen = time.Unix(d.varint(), 0).UTC()
	sum.Events = int(d.ubounded(math.MaxUint32))
	sum.ImpossibleTravel = at()
	sum.CountedFrom = at()
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d bytes after the summary", len(d.b))
	}
	return sum, d.err
}

func readChunk(r *bufio.Reader, limit uint64, buf *[]byte) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("length %d over %d", n, limit)
	}
	if uint64(cap(*buf)) < n {
		*buf = make([]byte, n)
	}
	b := (*buf)[:n]
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// appendState appends the account's encoded state to b.
func (a *account) appendState(b []byte) []byte {
	e := stateEncoder{b: b, t0: a.firstSeen, d0: dayOf(a.firstSeen)}
	e.varint(a.firstSeen)
	e.time(a.lastSeen)
	e.varint(int64(a.tz))
	e.bool(a.tzSet)
	e.uvarint(uint64(len(a.devices)))
	for i := range a.devices {
		d := &a.devices[i]
		e.fixed64(d.id)
		e.time(d.firstSeen)
		e.time(d.lastSeen)
		e.days(d.days)
		e.float32(d.lastLat)
		e.float32(d.lastLon)
		e.uvarint(uint64(d.lastAcc))
		e.time(d.lastPosAt)
		e.byte(d.kind)
	}
	e.uvarint(uint64(len(a.places)))
	for i := range a.places {
		p := &a.places[i]
		e.fixed64(p.key)
		e.uvarint(uint64(p.asn))
		e.float32(p.lat)
		e.float32(p.lon)
		e.uvarint(uint64(p.acc))
		e.byte(p.host)
		e.byte(byte(p.prev))
		e.string(p.country)
		e.string(p.city)
		e.time(p.firstSeen)
		e.time(p.lastSeen)
		e.days(p.days)
		e.days(p.conflicts)
		e.days(p.reach)
		e.uvarint(uint64(p.devs))
		e.byte(flags(p.used, p.v6, p.fixed, p.desk, p.lodging, p.business, p.trusted, p.located))
		e.uvarint(uint64(p.renumbered))
	}
	e.uvarint(uint64(len(a.edges)))
	for _, x := range a.edges {
		e.byte(x.dev)
		e.byte(x.place)
		e.days(x.days)
		e.time(x.lastSeen)
	}
	e.uvarint(uint64(len(a.sessions)))
	for i := range a.sessions {
		x := &a.sessions[i]
		e.fixed64(x.key)
		e.byte(byte(x.dev))
		e.byte(byte(x.place))
		e.time(x.start)
		e.time(x.last)
		e.float32(x.lat)
		e.float32(x.lon)
		e.uvarint(uint64(x.acc))
		e.bool(x.trusted)
	}
	e.days(a.newcomers)
	e.days(a.teleports)
	for _, h := range a.recent {
		e.fixed64(h)
	}
	e.byte(a.recentPos)
	e.uvarint(uint64(a.flagPrimary))
	e.uvarint(uint64(a.flagOther))
	e.uvarint(uint64(a.flagAt))
	e.float32(a.peak)
	e.byte(byte(a.peakLabel))
	e.uvarint(uint64(len(a.peakReasons)))
	for _, r := range a.peakReasons {
		e.string(r)
	}
	e.string(a.peakExplain)
	e.varint(a.firstFlagged)
	e.float32(a.lastScore)
	e.byte(byte(a.lastLabel))
	e.uvarint(uint64(a.events))
	e.float32(a.baseLat)
	e.float32(a.baseLon)
	e.varint(a.baseAt)
	e.bool(a.baseHas)
	e.varint(a.baseFlagged)
	return e.b
}

// decodeState decodes what appendState wrote, checking every bound the
// scorer relies on (slot counts, slot references), so a damaged state is
// an error, never a panic later.
func decodeState(b []byte) (*account, error) {
	d := stateDecoder{b: b}
	a := &account{}
	a.firstSeen = d.varint()
	d.t0, d.d0 = a.firstSeen, dayOf(a.firstSeen)
	a.lastSeen = d.time()
	a.tz = int32(d.bounded(-14*3600, 14*3600))
	a.tzSet = d.bool()
	a.devices = make([]device, d.count(maxDevices))
	for i := range a.devices {
		x := &a.devices[i]
		x.id = d.fixed64()
		x.firstSeen, x.lastSeen = d.time(), d.time()
		x.days = d.days()
		x.lastLat, x.lastLon = d.float32(), d.float32()
		x.lastAcc = uint16(d.ubounded(math.MaxUint16))
		x.lastPosAt = d.time()
		x.kind = d.byte()
	}
	a.places = make([]place, d.count(maxPlaces))
	for i := range a.places {
		p := &a.places[i]
		p.key = d.fixed64()
		p.asn = uint32(d.ubounded(math.MaxUint32))
		p.lat, p.lon = d.float32(), d.float32()
		p.acc = uint16(d.ubounded(math.MaxUint16))
		p.host = d.byte()
		p.prev = int8(d.byte())
		if p.prev < 0 || int(p.prev) > len(a.places) {
			d.fail("place %d: predecessor %d out of range", i, p.prev)
		}
		p.country, p.city = d.string(), d.string()
		p.firstSeen, p.lastSeen = d.time(), d.time()
		p.days, p.conflicts, p.reach = d.days(), d.days(), d.days()
		p.devs = uint32(d.ubounded(math.MaxUint32))
		f := d.byte()
		p.used, p.v6, p.fixed, p.desk = f&1 != 0, f&2 != 0, f&4 != 0, f&8 != 0
		p.lodging, p.business, p.trusted, p.located = f&16 != 0, f&32 != 0, f&64 != 0, f&128 != 0
		p.renumbered = uint32(d.ubounded(math.MaxUint32))
	}
	// Each chain of predecessors ends: lineOf follows them.
	for i := 0; d.err == nil && i < len(a.places); i++ {
		p, steps := i, 0
		for ; a.places[p].prev != 0 && steps <= len(a.places); steps++ {
			p = int(a.places[p].prev) - 1
		}
		if steps > len(a.places) {
			d.fail("place %d: its predecessors go round in a circle", i)
			break
		}
	}
	a.edges = make([]edge, d.count(maxEdges))
	for i := range a.edges {
		x := &a.edges[i]
		x.dev, x.place = d.byte(), d.byte()
		if int(x.dev) >= len(a.devices) || int(x.place) >= len(a.places) {
			d.fail("edge %d: device %d or place %d out of range", i, x.dev, x.place)
		}
		x.days = d.days()
		x.lastSeen = d.time()
	}
	a.sessions = make([]session, d.count(maxSessions))
	for i := range a.sessions {
		x := &a.sessions[i]
		x.key = d.fixed64()
		x.dev, x.place = int8(d.byte()), int8(d.byte())
		if x.dev < 0 || int(x.dev) >= len(a.devices) || x.place < -1 || int(x.place) >= len(a.places) {
			d.fail("session %d: device %d or place %d out of range", i, x.dev, x.place)
		}
		x.start, x.last = d.time(), d.time()
		x.lat, x.lon = d.float32(), d.float32()
		x.acc = uint16(d.ubounded(math.MaxUint16))
		x.trusted = d.bool()
	}
	a.newcomers, a.teleports = d.days(), d.days()
	for i := range a.recent {
		a.recent[i] = d.fixed64()
	}
	a.recentPos = d.byte() // a running count, used modulo recentIDs
	a.flagPrimary = uint32(d.ubounded(math.MaxUint32))
	a.flagOther = uint32(d.ubounded(math.MaxUint32))
	a.flagAt = uint32(d.ubounded(math.MaxUint32))
	a.peak = d.float32()
	a.peakLabel = d.label()
	if n := d.count(16); n > 0 {
		a.peakReasons = make([]string, n)
		for i := range a.peakReasons {
			a.peakReasons[i] = d.string()
		}
	}
	a.peakExplain = d.string()
	a.firstFlagged = d.varint()
	a.lastScore = d.float32()
	a.lastLabel = d.label()
	a.events = uint32(d.ubounded(math.MaxUint32))
	a.baseLat, a.baseLon = d.float32(), d.float32()
	a.baseAt = d.varint()
	a.baseHas = d.bool()
	a.baseFlagged = d.varint()
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d bytes after the state", len(d.b))
	}
	if d.err != nil {
		return nil, d.err
	}
	return a, nil
}

func flags(bs ...bool) byte {
	var f byte
	for i, b := range bs {
		if b {
			f |= 1 << uint(i)
		}
	}
	return f
}

type stateEncoder struct {
	b  []byte
	t0 int64 // the account's first event: times are deltas from it
	d0 int32 // its day: days are deltas from it
}

func (e *stateEncoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *stateEncoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *stateEncoder) time(t int64)     { e.varint(t - e.t0) }
func (e *stateEncoder) fixed64(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *stateEncoder) float32(f float32) {
	e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(f))
}
func (e *stateEncoder) byte(v byte)       { e.b = append(e.b, v) }
func (e *stateEncoder) bool(v bool)       { e.b = append(e.b, flags(v)) }
func (e *stateEncoder) string(s string)   { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *stateEncoder) days(s dayset)     { e.varint(int64(s.last) - int64(e.d0)); e.uvarint(s.bits) }
func (d *stateDecoder) label() Label      { return Label(d.ubounded(uint64(LabelSharing))) }
func (d *stateDecoder) time() int64       { return d.t0 + d.varint() }
func (d *stateDecoder) count(max int) int { return int(d.ubounded(uint64(max))) }
func (d *stateDecoder) bool() bool        { return d.byte() != 0 }
func (d *stateDecoder) float32() float32 {
	f := math.Float32frombits(uint32(d.fixed(4)))
	if f != f || math.IsInf(float64(f), 0) {
		d.fail("number %v", f)
		return 0
	}
	return f
}
func (d *stateDecoder) fixed64() uint64 { return d.fixed(8) }
func (d *stateDecoder) days() dayset {
	return dayset{last: int32(d.bounded(-1<<30, 1<<30) + int64(d.d0)), bits: d.uvarint()}
}
func (d *stateDecoder) ubounded(max uint64) uint64 {
	v := d.uvarint()
	if v > max {
		d.fail("value %d over %d", v, max)
		return 0
	}
	return v
}

type stateDecoder struct {
	b   []byte
	t0  int64
	d0  int32
	err error
}

func (d *stateDecoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
	d.b = nil
}

func (d *stateDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("truncated or overlong number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *stateDecoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("truncated or overlong number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *stateDecoder) bounded(lo, hi int64) int64 {
	v := d.varint()
	if v < lo || v > hi {
		d.fail("value %d outside [%d, %d]", v, lo, hi)
		return 0
	}
	return v
}

func (d *stateDecoder) fixed(n int) uint64 {
	if len(d.b) < n {
		d.fail("truncated")
		return 0
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(d.b[i])
	}
	d.b = d.b[n:]
	return v
}

func (d *stateDecoder) byte() byte {
	if len(d.b) < 1 {
		d.fail("truncated")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *stateDecoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("string of %d bytes, %d left", n, len(d.b))
	}
	if d.err != nil {
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
