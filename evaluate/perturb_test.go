package evaluate

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/ingest"
	"github.com/sharewatch/sharewatch/internal/mmdbgen"
)

// Renumber moves addresses inside their database network, one address per
// account, line and period, and leaves alone what it cannot move.
func TestRenumber(t *testing.T) {
	dir := t.TempDir()
	city, asn := filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")
	err := mmdbgen.Write(city, asn, []mmdbgen.Record{
		{Prefix: netip.MustParsePrefix("81.10.0.0/16"), Country: "SE", City: "Stockholm", Lat: 59.33, Lon: 18.06, AccuracyKM: 20, ASN: 3301},
		{Prefix: netip.MustParsePrefix("82.20.30.0/24"), Country: "SE", City: "Malmö", Lat: 55.6, Lon: 13.0, AccuracyKM: 10, ASN: 3301},
	})
	if err != nil {
		t.Fatal(err)
	}
	network, closer, err := CityNetworks(city)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	day := time.Date(2026, 10, 1, 18, 0, 0, 0, time.UTC)
	ev := func(acct, ip string, at time.Time) ingest.Event {
		return ingest.Event{EventID: acct + ip + at.String(), AccountID: acct, IP: netip.MustParseAddr(ip), Time: at}
	}
	in := []ingest.Event{
		ev("a", "81.10.5.7", day),                       // 0
		ev("a", "81.10.5.9", day.Add(3*time.Hour)),      // 1: same line, same day
		ev("a", "81.10.5.7", day.Add(24*time.Hour)),     // 2: next day
		ev("b", "81.10.5.7", day),                       // 3: another account
		ev("a", "81.10.6.7", day),                       // 4: another line
		ev("a", "82.20.30.9", day),                      // 5: a /24 network
		ev("a", "2001:db8::1", day),                     // 6: IPv6
		ev("a", "192.168.1.10", day),                    // 7: private
		ev("a", "83.1.1.1", day),                        // 8: not in the database
		ev("a", "::ffff:81.10.5.7", day.Add(time.Hour)), // 9: IPv4-mapped, as 0
	}
	i := 0
	next := Renumber(network, 24*time.Hour)(func() (ingest.Event, bool) {
		if i == len(in) {
			return ingest.Event{}, false
		}
		i++
		return in[i-1], true
	})
	var out []netip.Addr
	for e, ok := next(); ok; e, ok = next() {
		out = append(out, e.IP)
	}
	if len(out) != len(in) {
		t.Fatalf("%d events out, want %d", len(out), len(in))
	}
	wide := netip.MustParsePrefix("81.10.0.0/16")
	for _, k := range []int{0, 1, 2, 3, 4, 9} {
		if !wide.Contains(out[k]) || out[k] == in[k].IP {
			t.Errorf("event %d: %s -> %s, want another address in %s", k, in[k].IP, out[k], wide)
		}
	}
	if out[0] != out[1] || out[0] != out[9] {
		t.Errorf("one line in one period became %s, %s and %s, want one address", out[0], out[1], out[9])
	}
	if out[2] == out[0] {
		t.Errorf("the next day kept %s, want a new address", out[2])
	}
	if out[3] == out[0] || out[4] == out[0] {
		t.Errorf("another account (%s) or another line (%s) got the same address as %s", out[3], out[4], out[0])
	}
	for _, k := range []int{5, 6, 7, 8} {
		if out[k] != in[k].IP {
			t.Errorf("event %d: %s -> %s, want it left alone", k, in[k].IP, out[k])
		}
	}
}
