package simulate

import (
	"net/netip"
	"slices"
	"testing"
)

func TestWorldTables(t *testing.T) {
	w := mustWorld(t, DefaultConfig())
	if len(w.populated) < 120 {
		t.Errorf("%d populated cities, want at least 120", len(w.populated))
	}
	if len(countries) < 25 {
		t.Errorf("%d countries, want at least 25", len(countries))
	}
	seen := map[string]bool{}
	for _, c := range cities {
		if seen[c.Name] {
			t.Errorf("duplicate city %q", c.Name)
		}
		seen[c.Name] = true
		if c.Lat < -90 || c.Lat > 90 || c.Lon < -180 || c.Lon > 180 || c.TZ < -12 || c.TZ > 14 {
			t.Errorf("%s: bad coordinates or time zone", c.Name)
		}
	}
	for _, n := range w.nations {
		if len(n.cities) < 3 {
			t.Errorf("%s: %d cities, want several", n.Code, len(n.cities))
		}
		if n.capital < 0 || cities[n.capital].Country != n.Code || cities[n.capital].Pop == 0 {
			t.Errorf("%s: capital %q is not a populated city of the country", n.Code, n.Capital)
		}
		if len(n.residential) < 2 || len(n.residential) > 4 {
			t.Errorf("%s: %d residential ISPs, want 2-4", n.Code, len(n.residential))
		}
		if len(n.mobile) < 1 || len(n.mobile) > 2 {
			t.Errorf("%s: %d mobile carriers, want 1-2", n.Code, len(n.mobile))
		}
		if len(n.business) == 0 {
			t.Errorf("%s: no hotel/business network", n.Code)
		}
		if len(w.hostByCountry[n.Code]) == 0 {
			t.Errorf("%s: no hosting exit", n.Code)
		}
		if len(n.hubs) < 2 && len(n.cities) > 1 {
			t.Errorf("%s: %d mobile hubs", n.Code, len(n.hubs))
		}
	}
	for _, asn := range []uint32{16509, 14061, 9009, 60068, 16276, 24940, 63949, 20473, 212238, 136787} {
		if !slices.Contains(HostingASNs(), asn) {
			t.Errorf("HostingASNs lacks %d", asn)
		}
	}
	// Generate's fast JSON path relies on these needing no escaping.
	for _, uas := range append(slices.Clone(userAgents[:]), hotelTVAgents) {
		for _, ua := range uas {
			if !plain(ua) {
				t.Errorf("user agent %q needs JSON escaping", ua)
			}
		}
	}
	for _, p := range providers {
		if p.Kind != kindHosting && slices.Contains(HostingASNs(), p.ASN) {
			t.Errorf("%s (%d) is %s but its ASN is on the hosting list", p.Name, p.ASN, p.Kind)
		}
	}
}

func TestAddressPlan(t *testing.T) {
	w := mustWorld(t, DefaultConfig())
	seen := map[netip.Prefix]bool{}
	v6 := 0
	global6 := netip.MustParsePrefix("2a00::/12")
	for _, r := range w.GeoIPRecords() {
		p := r.Prefix
		if seen[p] {
			t.Fatalf("prefix %s allocated twice", p)
		}
		seen[p] = true
		a := p.Addr()
		if a.IsPrivate() || a.IsLoopback() || a.IsMulticast() || a.IsLinkLocalUnicast() || (a.Is4() && reservedV4(a)) {
			t.Fatalf("prefix %s is not public unicast", p)
		}
		if a.Is6() {
			v6++
			if !global6.Contains(a) || p.Bits() != 48 {
				t.Errorf("IPv6 prefix %s, want a /48 in %s", p, global6)
			}
		} else if p.Bits() != 24 {
			t.Errorf("IPv4 prefix %s, want a /24", p)
		}
		if r.ASN == 0 || r.ASOrg == "" || r.Country == "" || r.AccuracyKM == 0 {
			t.Errorf("%s: incomplete record %+v", p, r)
		}
		host := a.Next().Next()
		got, ok := w.Lookup(host)
		if !ok || got != r {
			t.Errorf("Lookup(%s) = %+v, %v; want %+v", host, got, ok, r)
		}
	}
	if v6 == 0 {
		t.Error("no IPv6 residential networks")
	}
	if _, ok := w.Lookup(netip.MustParseAddr("192.168.1.10")); ok {
		t.Error("a private address has a record")
	}
}

func TestGeolocationRealism(t *testing.T) {
	cfg := DefaultConfig()
	w := mustWorld(t, cfg)
	var resTotal, resOwnCity, resNoCity, mobFar int
	var mobTotal int
	for _, pl := range w.pools {
		kind := providers[pl.prov].Kind
		for _, g := range pl.geo {
			switch kind {
			case kindResidential:
				resTotal++
				switch {
				case g.city == pl.city:
					resOwnCity++
					if d := haversine(g.lat, g.lon, cities[pl.city].Lat, cities[pl.city].Lon); d > cfg.ResidentialJitterKM+0.1 {
						t.Errorf("residential record %.1f km from its city, jitter is %v", d, cfg.ResidentialJitterKM)
					}
				case g.city < 0:
					resNoCity++
				}
			case kindMobile:
				mobTotal++
				if g.acc < 100 {
					t.Errorf("mobile accuracy %d km, want >= 100", g.acc)
				}
			case kindHosting:
				if g.city != pl.city || g.acc > 20 {
					t.Errorf("hosting record in %d with radius %d, want its data centre %d and <= 20 km", g.city, g.acc, pl.city)
				}
			}
		}
		if kind == kindMobile {
			// Hubs of big countries are far apart: a phone's /24s jump.
			var maxD float64
			for _, a := range pl.geo {
				for _, b := range pl.geo {
					maxD = max(maxD, haversine(a.lat, a.lon, b.lat, b.lon))
				}
			}
			if maxD > 300 {
				mobFar++
			}
		}
	}
	own := float64(resOwnCity) / float64(resTotal)
	if own < 0.82 || own > 0.95 {
		t.Errorf("%.2f of residential networks geolocate to their own city, want about 0.88", own)
	}
	if resNoCity == 0 {
		t.Error("no country-only residential records")
	}
	if mobFar < len(w.mob)/2 {
		t.Errorf("only %d of %d mobile pools span more than 300 km", mobFar, len(w.mob))
	}

	alt := mustWorld(t, Config{Profile: ProfileAlt}.WithDefaults())
	sum := func(w *World) (s float64) {
		for _, r := range w.GeoIPRecords() {
			s += float64(r.AccuracyKM)
		}
		return s
	}
	if ratio := sum(alt) / sum(w); ratio < 1.8 || ratio > 2.2 {
		t.Errorf("alt/default accuracy radius ratio %.2f, want about 2", ratio)
	}
}

func mustWorld(t testing.TB, cfg Config) *World {
	t.Helper()
	w, err := newWorld(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}
