package simulate

import (
	"os"
	"path/filepath"
	"testing"
)

// realGeoIPForTest returns the real GeoLite2 databases for local
// evaluation ($SHAREWATCH_GEOLITE2_DIR, else /tmp/geolite2; fetched by
// scripts/geolite2.sh, never committed), or skips the test.
func realGeoIPForTest(t testing.TB) RealGeoIP {
	t.Helper()
	dir := os.Getenv("SHAREWATCH_GEOLITE2_DIR")
	if dir == "" {
		dir = "/tmp/geolite2"
	}
	g := RealGeoIP{City: filepath.Join(dir, "GeoLite2-City.mmdb"), ASN: filepath.Join(dir, "GeoLite2-ASN.mmdb")}
	for _, p := range []string{g.City, g.ASN} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("real GeoLite2 not available (%v): run scripts/geolite2.sh %s or set SHAREWATCH_GEOLITE2_DIR; the data is never committed", err, dir)
		}
	}
	return g
}
