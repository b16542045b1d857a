package scoring

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/enrich"
)

const linesTVUA = "Mozilla/5.0 (SMART-TV; LINUX; Tizen 8.0) AppleWebKit/537.36 (KHTML, like Gecko) 120.0.6099.5/8.0 TV Safari/537.36"

// dailyV4 fills loc with one /24 a day, a.b.d.0/24 for days 0–27, all
// placed at l (an ISP renumbering a line, or a carrier's pool), and
// returns day d's prefix.
func dailyV4(loc fakeLocator, a, b byte, l enrich.Location) func(d int) netip.Prefix {
	at := func(d int) netip.Prefix { return netip.PrefixFrom(netip.AddrFrom4([4]byte{a, b, byte(d), 0}), 24) }
	for d := 0; d < 28; d++ {
		loc[at(d)] = l
	}
	return at
}

func sePub(city string, lat, lon float64, acc uint16, asn uint32) enrich.Location {
	return enrich.Location{Kind: enrich.KindPublic, City: city, Country: "SE", Lat: lat, Lon: lon, HasCoords: true, AccuracyKM: acc, ASN: asn}
}

// TestDualStackHomeAfterAWeekendAway: one honest home in Stockholm
// on Telia (AS3301): the IPv4-only TV on the home's IPv4 line, the phone
// and laptop on the home's IPv6 prefix (coarse, 100 km, as stockholmV6).
// No device uses both families at home. The family spends one weekend
// (two evenings) at its summer house 90 km away, also on Telia, IPv4.
// The summer house is inside the IPv6 prefix's wide circle but not in its
// town: ownOtherFamily must not take it for the IPv6 line's own IPv4 and
// refuse the home's own pair (a review found it did, with circles).
// Written by a helper's review of session 17.
func TestDualStackHomeAfterAWeekendAway(t *testing.T) {
	summer := netip.MustParsePrefix("81.230.77.0/24")
	build := func(weekend bool) *script {
		loc := testLocator()
		loc[summer] = sePub("Västerås", 59.61, 16.55, 10, 3301)
		s := &script{t: t, acct: "acct-a", opts: Options{Locator: loc}, ua: map[string]string{"tv": linesTVUA}}
		for d := 0; d < 28; d++ {
			away := weekend && (d == 12 || d == 13)
			if away {
				s.session("phone", summer, evening(d, 20), time.Hour)
				continue
			}
			s.session("tv", stockholmHome, evening(d, 19), 2*time.Hour)
			s.session("phone", stockholmV6, evening(d, 20), time.Hour)
			if d%2 == 0 {
				s.session("laptop", stockholmV6, evening(d, 21), time.Hour)
			}
		}
		return s
	}
	t.Run("control: no weekend away", func(t *testing.T) {
		s := build(false)
		if l, sc := peak(verdicts(t, s)); l > LabelOK {
			t.Errorf("peak %s (score %.3f), want ok", l, sc)
		}
	})
	t.Run("one weekend at the summer house", func(t *testing.T) {
		s := build(true)
		if l, sc := peak(verdicts(t, s)); l > LabelTravel {
			t.Errorf("peak %s (score %.3f), want travel or ok", l, sc)
		}
	})
}

// verdicts runs s and returns its verdicts.
func verdicts(t *testing.T, s *script) []Verdict {
	t.Helper()
	_, vs := s.run(t)
	return vs
}

// TestDualStackHomeWithACommutersPhone: the same home; the phone
// streams on two mornings on its mobile data (Telia mobile, also AS3301,
// IPv4 CGNAT placed in Uppsala, 65 km off). Nobody left home.
func TestDualStackHomeWithACommutersPhone(t *testing.T) {
	loc := testLocator()
	mobile := dailyV4(loc, 78, 67, sePub("Uppsala", 59.86, 17.64, 5, 3301))
	s := &script{t: t, acct: "acct-b", opts: Options{Locator: loc}, ua: map[string]string{"tv": linesTVUA}}
	for d := 0; d < 28; d++ {
		s.session("tv", stockholmHome, evening(d, 19), 2*time.Hour)
		s.session("phone", stockholmV6, evening(d, 20), time.Hour)
		if d%2 == 0 {
			s.session("laptop", stockholmV6, evening(d, 21), time.Hour)
		}
		if d == 5 || d == 19 {
			s.session("phone", mobile(d), evening(d, 8), 30*time.Minute) // on the train
		}
	}
	if l, sc := peak(verdicts(t, s)); l > LabelOK {
		t.Errorf("peak %s (score %.3f), want ok", l, sc)
	}
}

// TestTripDeviceIsNoHomeLine: the owner takes a tablet that has never
// streamed at home on a six-day trip to Malmö; the holiday flat's ISP
// renumbers its line daily. The family's TV and phone stay home in
// Stockholm. Six days in one stay are no home line of one device
// (settledAt asks for soloLineSpanDays).
func TestTripDeviceIsNoHomeLine(t *testing.T) {
	tabletUA := "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	loc := testLocator()
	malmo := dailyV4(loc, 78, 71, sePub("Malmö", 55.60, 13.00, 20, 2119))
	for _, c := range []struct {
		name string
		ua   string
	}{{"tablet user agent", tabletUA}, {"no user agent", ""}} {
		t.Run(c.name, func(t *testing.T) {
			s := &script{t: t, acct: "acct-c", opts: Options{Locator: loc}, ua: map[string]string{"tv": linesTVUA, "tablet": c.ua}}
			for d := 0; d < 28; d++ {
				s.session("tv", stockholmHome, evening(d, 19), 2*time.Hour)
				if d < 10 || d >= 16 {
					s.session("phone", stockholmHome, evening(d, 21), time.Hour)
				} else {
					s.session("tablet", malmo(d), evening(d, 21), time.Hour)
				}
			}
			if l, sc := peak(verdicts(t, s)); l > LabelTravel {
				t.Errorf("peak %s (score %.3f), want travel or ok", l, sc)
			}
		})
	}
}

// TestTVOnRenumberedIPv4PlacedElsewhere: one home. Its IPv4 line,
// renumbered daily, is placed by GeoIP in Göteborg; its IPv6 prefix in
// Stockholm. The TV (no user agent) is IPv4-only; phone and laptop use
// IPv6.
func TestTVOnRenumberedIPv4PlacedElsewhere(t *testing.T) {
	loc := testLocator()
	v4 := dailyV4(loc, 81, 231, sePub("Göteborg", 57.71, 11.97, 20, 3301))
	s := &script{t: t, acct: "acct-d", opts: Options{Locator: loc}}
	for d := 0; d < 28; d++ {
		s.session("tv", v4(d), evening(d, 19), 2*time.Hour)
		s.session("phone", stockholmV6, evening(d, 20), time.Hour)
		if d%2 == 0 {
			s.session("laptop", stockholmV6, evening(d, 21), time.Hour)
		}
	}
	if l, sc := peak(verdicts(t, s)); l > LabelOK {
		t.Errorf("peak %s (score %.3f), want ok", l, sc)
	}
}

// BenchmarkDualStackChurn: one account whose ISP renumbers both
// families daily, in one area: pairDualStack sees up to 12x12 candidate
// pairs per event, and ownOtherFamily scans places and edges twice for
// each of them.
func BenchmarkDualStackChurn(b *testing.B) {
	v4 := func(d, k int) netip.Prefix {
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{81, 232, byte(d), byte(k)}), 24).Masked()
	}
	v6 := func(d, k int) netip.Prefix {
		return netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x20, 0x03, byte(d), byte(k)}), 56)
	}
	loc := testLocator()
	for d := 0; d < 64; d++ {
		loc[v4(d, 0)] = sePub("Stockholm", 59.33, 18.07, 20, 3301)
		for k := 0; k < 4; k++ {
			loc[v6(d, k)] = sePub("Stockholm", 59.33, 18.07+float64(k)/100, 100, 3301)
		}
	}
	s := &script{acct: "acct-bench", opts: Options{Locator: loc}}
	devs := []string{"a", "b", "c", "d", "e", "f"}
	for d := 0; d < 60; d++ {
		for k, dev := range devs {
			s.session(dev, v4(d, 0), evening(d, 17+k%4), 30*time.Minute)
			s.session(dev, v6(d, k%4), evening(d, 18+k%4), 30*time.Minute)
		}
	}
	sortEvents(s.events)
	b.ResetTimer()
	for b.Loop() {
		sc, err := New(s.cfg, s.opts)
		if err != nil {
			b.Fatal(err)
		}
		for i := range s.events {
			sc.Score(&s.events[i])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(s.events)), "ns/event")
}

// TestPhoneOnMobileDataIsNoHomeLine: a family member's phone never joins
// the home's Wi-Fi; it streams once a day, a morning commute, on its
// carrier's CGNAT addresses, which GeoIP places at the carrier's gateway
// in Göteborg (one new /24 per session). One address a day at one spot,
// but a phone's: settledAt takes no phone for a home line of its own.
func TestPhoneOnMobileDataIsNoHomeLine(t *testing.T) {
	phoneUA := "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
	loc := testLocator()
	mobile := dailyV4(loc, 90, 129, sePub("Göteborg", 57.71, 11.97, 50, 1257))
	s := &script{t: t, acct: "acct-e", opts: Options{Locator: loc}, ua: map[string]string{"tv": linesTVUA, "kid-phone": phoneUA}}
	for d := 0; d < 28; d++ {
		s.session("tv", stockholmHome, evening(d, 19), 2*time.Hour)
		s.session("phone", stockholmHome, evening(d, 21), time.Hour)
		if d%3 == 0 {
			s.session("kid-phone", mobile(d), evening(d, 7), 40*time.Minute)
		}
	}
	if l, sc := peak(verdicts(t, s)); l > LabelTravel {
		t.Errorf("peak %s (score %.3f), want travel or ok", l, sc)
	}
}

// TestTabletAtTheGrandparentsOnTheOtherFamily: an honest home on Telia
// (AS3301) whose IPv6 prefix GeoIP places only to the country: the TV on
// the home's IPv4 line, the phone and the tablet on its IPv6. The tablet
// spends ten days at the grandparents' in Göteborg, 400 km away, also on
// Telia, over IPv4 renumbered every day, while the family streams at
// home. The home's unplaced IPv6 counts as the Göteborg line's other
// family (otherFamily), so the tablet is "seen nowhere else" and its
// addresses there may make a line; the tablet is the household's own
// device, so that line is the household's, not a friend's.
func TestTabletAtTheGrandparentsOnTheOtherFamily(t *testing.T) {
	home6 := netip.MustParsePrefix("2001:2002:4e:200::/56")
	loc := testLocator()
	loc[home6] = sePub("", 62.0, 15.0, 1000, 3301)
	gbg := dailyV4(loc, 90, 229, sePub("Göteborg", 57.71, 11.97, 10, 3301))
	s := &script{t: t, acct: "acct-g", opts: Options{Locator: loc}, ua: map[string]string{"tv": linesTVUA}}
	for d := 0; d < 28; d++ {
		s.session("tv", stockholmHome, evening(d, 19), 2*time.Hour)
		s.session("phone", home6, evening(d, 20), time.Hour)
		if d >= 8 && d < 18 {
			s.session("tablet", gbg(d), evening(d, 20), time.Hour)
		} else if d%2 == 0 {
			s.session("tablet", home6, evening(d, 21), time.Hour)
		}
	}
	if l, sc := peak(verdicts(t, s)); l > LabelTravel {
		t.Errorf("peak %s (score %.3f), want travel or ok", l, sc)
	}
}
