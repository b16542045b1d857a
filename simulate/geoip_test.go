package simulate

import (
	"math"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"

	"github.com/oschwald/geoip2-golang/v2"
)

// TestGeoIPRoundTrip writes the databases and reads them back with the
// reader the enrich stage uses.
func TestGeoIPRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cityPath, asnPath := filepath.Join(dir, "GeoLite2-City.mmdb"), filepath.Join(dir, "GeoLite2-ASN.mmdb")
	if err := WriteGeoIP(smallConfig, cityPath, asnPath); err != nil {
		t.Fatal(err)
	}
	cityDB, err := geoip2.Open(cityPath)
	if err != nil {
		t.Fatal(err)
	}
	defer cityDB.Close()
	asnDB, err := geoip2.Open(asnPath)
	if err != nil {
		t.Fatal(err)
	}
	defer asnDB.Close()

	p := drain(t, smallConfig)
	hosting := HostingASNs()
	lookup := func(t *testing.T, ip netip.Addr) (*geoip2.City, *geoip2.ASN) {
		t.Helper()
		c, err := cityDB.City(ip)
		if err != nil {
			t.Fatalf("City(%s): %v", ip, err)
		}
		a, err := asnDB.ASN(ip)
		if err != nil {
			t.Fatalf("ASN(%s): %v", ip, err)
		}
		return c, a
	}

	tests := []struct {
		name  string
		match func(ev int) bool
		check func(t *testing.T, ev int, c *geoip2.City, a *geoip2.ASN)
	}{
		{"residential IPv4", func(i int) bool { return p.meta[i].net == netHome && p.events[i].IP.Is4() }, func(t *testing.T, i int, c *geoip2.City, a *geoip2.ASN) {
			if slices.Contains(hosting, uint32(a.AutonomousSystemNumber)) {
				t.Errorf("home address on hosting ASN %d", a.AutonomousSystemNumber)
			}
		}},
		{"residential IPv6", func(i int) bool { return p.meta[i].net == netHome && p.events[i].IP.Is6() }, nil},
		{"mobile", func(i int) bool { return p.meta[i].net == netMobile }, func(t *testing.T, i int, c *geoip2.City, a *geoip2.ASN) {
			if c.Location.AccuracyRadius < 100 {
				t.Errorf("mobile accuracy radius %d km, want coarse", c.Location.AccuracyRadius)
			}
		}},
		{"hotel", func(i int) bool { return p.meta[i].net == netHotel }, func(t *testing.T, i int, c *geoip2.City, a *geoip2.ASN) {
			if c.City.Names.English != cities[p.meta[i].city].Name {
				t.Errorf("hotel address in %q, guest is in %q", c.City.Names.English, cities[p.meta[i].city].Name)
			}
		}},
		{"VPN exit", func(i int) bool { return p.meta[i].net == netVPN }, func(t *testing.T, i int, c *geoip2.City, a *geoip2.ASN) {
			if !slices.Contains(hosting, uint32(a.AutonomousSystemNumber)) {
				t.Errorf("VPN exit on ASN %d (%s), not a hosting ASN", a.AutonomousSystemNumber, a.AutonomousSystemOrganization)
			}
			if c.Location.AccuracyRadius > 20 {
				t.Errorf("data-centre radius %d km", c.Location.AccuracyRadius)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			for i := range p.events {
				if !tt.match(i) {
					continue
				}
				ip := p.events[i].IP
				want, ok := p.world.Lookup(ip)
				if !ok {
					t.Fatalf("%s: no simulated network", ip)
				}
				c, a := lookup(t, ip)
				if !c.HasData() || !a.HasData() {
					t.Fatalf("%s: not in the written databases", ip)
				}
				if c.City.Names.English != want.City || c.Country.ISOCode != want.Country || c.Location.AccuracyRadius != want.AccuracyKM ||
					c.Location.Latitude == nil || math.Abs(*c.Location.Latitude-want.Lat) > 1e-9 || math.Abs(*c.Location.Longitude-want.Lon) > 1e-9 {
					t.Fatalf("%s: database says %s/%s (%v,%v ±%d), world says %+v", ip, c.Country.ISOCode, c.City.Names.English,
						c.Location.Latitude, c.Location.Longitude, c.Location.AccuracyRadius, want)
				}
				if uint32(a.AutonomousSystemNumber) != want.ASN || a.AutonomousSystemOrganization != want.ASOrg {
					t.Fatalf("%s: ASN %d %q, want %d %q", ip, a.AutonomousSystemNumber, a.AutonomousSystemOrganization, want.ASN, want.ASOrg)
				}
				if tt.check != nil {
					tt.check(t, i, c, a)
				}
				if n++; n >= 200 {
					break
				}
			}
			if n == 0 {
				t.Fatal("no such event in the population")
			}
		})
	}

	t.Run("home addresses mostly resolve to the home city", func(t *testing.T) {
		var same, all int
		for i, ev := range p.events {
			l := p.labels[ev.AccountID]
			if p.meta[i].net != netHome || p.meta[i].p.sharer || (l.Scenario != ScenarioSolo && l.Scenario != ScenarioHousehold) {
				continue
			}
			c, _ := lookup(t, ev.IP)
			all++
			if c.City.Names.English == l.HomeCity {
				same++
			}
		}
		if r := float64(same) / float64(all); r < 0.7 || r > 0.97 {
			t.Errorf("%.2f of home events resolve to the home city, want most but not all", r)
		}
	})

	t.Run("private addresses are absent", func(t *testing.T) {
		for _, s := range []string{"192.168.1.10", "10.1.2.3", "100.64.0.1", "172.16.5.4", "fd00::1"} {
			c, a := lookup(t, netip.MustParseAddr(s))
			if c.HasData() || a.HasData() {
				t.Errorf("%s has data", s)
			}
		}
	})
}
