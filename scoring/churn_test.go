package scoring

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/enrich"
	"github.com/sharewatch/sharewatch/ingest"
)

// churnLocator places network i of the stream below (its number is in
// the address) near one of two towns 400 km apart, by i/30: a few ISPs,
// accuracies from a street to a region, some hosting exits, IPv6 /56s
// among them, so that random streams reach renumbering, dual-stack
// pairing, concurrency between households and the eviction of devices,
// places, links and sessions.
type churnLocator struct{}

func (churnLocator) Lookup(ip netip.Addr) enrich.Location {
	var i int
	if ip.Is6() {
		b := ip.As16()
		i = int(b[5])
	} else {
		b := ip.As4()
		i = int(b[1])
	}
	town := i / 30
	h := fnv64(fmt.Sprint(i))
	loc := enrich.Location{Kind: enrich.KindPublic, Country: "SE", City: fmt.Sprintf("town-%d", town),
		Lat: 56 + 3.6*float64(town) + float64(h%20)/100, Lon: 14 + float64(h>>8%20)/100,
		HasCoords: true, AccuracyKM: []uint16{5, 20, 20, 100}[h>>16%4], ASN: uint32(3300 + h>>24%3), Network: enrich.NetworkOf(ip)}
	loc.Hosting = h>>32%29 == 0
	return loc
}

// TestRandomStreamsKeepStateValid: streams built to churn the bounded
// state (40 devices and 60 networks per account against 32 and 24 slots,
// late and repeated events, sessions that never end) leave every account
// in a state its checkpoint accepts (slot counts, slot references,
// predecessors that end), and a scorer restored from it goes on with the
// same verdicts.
func TestRandomStreamsKeepStateValid(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	addr := func(i int) netip.Addr {
		if i%3 == 0 {
			return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, byte(i), 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
		}
		return netip.AddrFrom4([4]byte{81, byte(i), 0, byte(1 + r.IntN(200))})
	}
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	var events []ingest.Event
	at := start
	for i := 0; i < 30000; i++ {
		at = at.Add(time.Duration(r.IntN(240)) * time.Second)
		when := at
		if r.IntN(20) == 0 {
			when = at.Add(-time.Duration(r.IntN(48)) * time.Hour) // late
		}
		acct := fmt.Sprintf("a-%d", r.IntN(6))
		// Two households of 20 devices, each on six networks of its own
		// town (now and then any of 60), streaming at the same times.
		d := r.IntN(40)
		net := d/20*30 + r.IntN(6)
		if r.IntN(40) == 0 {
			net = r.IntN(60) // anywhere: visits, carriers, and place churn
		}
		dev := fmt.Sprintf("d-%d", d)
		ev := ingest.Event{EventID: fmt.Sprintf("e-%d", i), Type: ingest.Type(1 + r.IntN(3)), Time: when, AccountID: acct,
			SessionID: fmt.Sprintf("s-%s-%d", dev, r.IntN(3)), DeviceID: dev, IP: addr(net), Success: r.IntN(30) != 0}
		if r.IntN(50) == 0 && len(events) > 0 {
			ev = events[r.IntN(len(events))] // redelivered
		}
		events = append(events, ev)
	}
	fresh := func() *Scorer {
		s, err := New(Config{}, Options{Locator: churnLocator{}, KeepSummaries: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := fresh()
	flagged, compared, full := 0, 0, false
	score := func(sc *Scorer, ev ingest.Event) (Verdict, bool) { return sc.Score(&ev) }
	for i := 0; i < len(events); {
		for end := min(i+3000, len(events)); i < end; i++ {
			if v, ok := score(s, events[i]); ok && v.Verdict.Flagged() {
				flagged++
			}
		}
		for id, a := range s.accounts {
			full = full || (len(a.devices) == maxDevices && len(a.places) == maxPlaces)
			if _, err := decodeState(a.appendState(nil)); err != nil {
				t.Fatalf("after event %d, account %s: its live state does not decode: %v", i, id, err)
			}
		}
		var buf bytes.Buffer
		if err := s.Checkpoint(&buf); err != nil {
			t.Fatal(err)
		}
		restored := fresh()
		if err := restored.Restore(&buf); err != nil {
			t.Fatalf("after event %d: %v", i, err)
		}
		// Both go on over the next events, with the same verdicts.
		for end := min(i+300, len(events)); i < end; i++ {
			va, oka := score(s, events[i])
			vb, okb := score(restored, events[i])
			if oka != okb || !reflect.DeepEqual(va, vb) {
				t.Fatalf("event %d: restored scorer gave %+v (%v), the one that went on %+v (%v)", i, vb, okb, va, oka)
			}
			compared++
		}
	}
	if flagged == 0 || !full {
		t.Errorf("flagged verdicts %d, an account with every device and place slot taken: %v; the stream must reach both", flagged, full)
	}
	t.Logf("%d events, %d flagged verdicts, %d compared after restores", len(events), flagged, compared)
}
