package enrich_test

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/oschwald/geoip2-golang/v2"

	"github.com/sharewatch/sharewatch/enrich"
)

// writeRealisticCity writes a City database of n IPv4 /24 networks from
// 1.0.0.0 on, sharing `distinct` records shaped like GeoLite2-City's (names
// in eight languages, continent, subdivisions, postal code, time zone), so
// that miss benchmarks decode records of realistic size.
func writeRealisticCity(tb testing.TB, path string, n, distinct int) {
	tb.Helper()
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-City", RecordSize: 28, IncludeReservedNetworks: true, Languages: []string{"en"}})
	if err != nil {
		tb.Fatal(err)
	}
	names := func(s string) mmdbtype.Map {
		m := mmdbtype.Map{}
		for _, l := range []string{"de", "en", "es", "fr", "ja", "pt-BR", "ru", "zh-CN"} {
			m[mmdbtype.String(l)] = mmdbtype.String(s + " " + l)
		}
		return m
	}
	recs := make([]mmdbtype.Map, distinct)
	for i := range recs {
		recs[i] = mmdbtype.Map{
			"city":      mmdbtype.Map{"geoname_id": mmdbtype.Uint32(1000 + i), "names": names(fmt.Sprintf("City %d", i))},
			"continent": mmdbtype.Map{"code": mmdbtype.String("EU"), "geoname_id": mmdbtype.Uint32(6255148), "names": names("Europe")},
			"country": mmdbtype.Map{"geoname_id": mmdbtype.Uint32(2635167), "is_in_european_union": mmdbtype.Bool(false),
				"iso_code": mmdbtype.String("GB"), "names": names("United Kingdom")},
			"location": mmdbtype.Map{"accuracy_radius": mmdbtype.Uint16(20 + i%200), "latitude": mmdbtype.Float64(50 + float64(i%100)/10),
				"longitude": mmdbtype.Float64(-1 + float64(i%50)/10), "time_zone": mmdbtype.String("Europe/London")},
			"postal":             mmdbtype.Map{"code": mmdbtype.String(fmt.Sprintf("P%d", i))},
			"registered_country": mmdbtype.Map{"geoname_id": mmdbtype.Uint32(2635167), "iso_code": mmdbtype.String("GB"), "names": names("United Kingdom")},
			"subdivisions": mmdbtype.Slice{mmdbtype.Map{"geoname_id": mmdbtype.Uint32(6269131), "iso_code": mmdbtype.String("ENG"),
				"names": names("England")}},
		}
	}
	for i := range n {
		ip := net.IPv4(byte(1+i>>16), byte(i>>8), byte(i), 0).To4()
		if err := w.Insert(&net.IPNet{IP: ip, Mask: net.CIDRMask(24, 32)}, recs[i%distinct]); err != nil {
			tb.Fatal(err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.WriteTo(f); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

const (
	benchNetworks = 1 << 15
	benchDistinct = 4096
)

// benchAddr returns the i-th address of the realistic database: distinct for
// i < 256*benchNetworks, and always found.
func benchAddr(i int) netip.Addr {
	i %= benchNetworks * 256
	n := i >> 8
	return netip.AddrFrom4([4]byte{byte(1 + n>>16), byte(n >> 8), byte(n), byte(i)})
}

// benchCity is the realistic City database, written once per test binary
// run and removed by TestMain.
var benchCity struct {
	once sync.Once
	dir  string
	path string
}

// benchEnricher opens the realistic City database with an ASN database from
// testRecords.
func benchEnricher(b *testing.B, cacheSize int) (*enrich.Enricher, string) {
	b.Helper()
	benchCity.once.Do(func() {
		dir, err := os.MkdirTemp("", "enrich-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchCity.dir, benchCity.path = dir, filepath.Join(dir, "city.mmdb")
		writeRealisticCity(b, benchCity.path, benchNetworks, benchDistinct)
	})
	if benchCity.path == "" {
		b.Fatal("no benchmark database")
	}
	_, asn := writeDBs(b, b.TempDir(), testRecords)
	cfg := enrich.DefaultConfig()
	cfg.City, cfg.ASN, cfg.CacheSize = benchCity.path, asn, cacheSize
	e, err := enrich.New(cfg, enrich.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	runtime.GC() // the database writer's garbage is not the lookups'
	return e, benchCity.path
}

var sink enrich.Location

// BenchmarkLookupHit looks up 1024 addresses that are all in the cache.
func BenchmarkLookupHit(b *testing.B) {
	e, _ := benchEnricher(b, 0)
	addrs := make([]netip.Addr, 1024)
	for i := range addrs {
		addrs[i] = benchAddr(i * 257)
		e.Lookup(addrs[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		sink = e.Lookup(addrs[i&1023])
	}
}

// BenchmarkLookupMiss looks up addresses never seen before (8M distinct
// ones): every lookup reads both databases and publishes a cache entry.
func BenchmarkLookupMiss(b *testing.B) {
	e, _ := benchEnricher(b, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		sink = e.Lookup(benchAddr(i * 7919))
	}
}

// BenchmarkLookupPrivate is the no-database path.
func BenchmarkLookupPrivate(b *testing.B) {
	e, _ := benchEnricher(b, 0)
	ip := netip.MustParseAddr("192.168.1.20")
	b.ReportAllocs()
	for b.Loop() {
		sink = e.Lookup(ip)
	}
}

func BenchmarkLookupHitParallel(b *testing.B) {
	e, _ := benchEnricher(b, 0)
	addrs := make([]netip.Addr, 1024)
	for i := range addrs {
		addrs[i] = benchAddr(i * 257)
		e.Lookup(addrs[i])
	}
	var seed atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seed.Add(1)) * 331
		var l enrich.Location
		for pb.Next() {
			l = e.Lookup(addrs[i&1023])
			i++
		}
		_ = l
	})
}

func BenchmarkLookupMissParallel(b *testing.B) {
	e, _ := benchEnricher(b, 0)
	var seed atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seed.Add(1)) << 20
		var l enrich.Location
		for pb.Next() {
			l = e.Lookup(benchAddr(i * 7919))
			i++
		}
		_ = l
	})
}

// BenchmarkGeoip2City is the same miss through geoip2-golang's City, for
// comparison: it decodes every language's names and all other fields.
func BenchmarkGeoip2City(b *testing.B) {
	_, city := benchEnricher(b, 4)
	db, err := geoip2.Open(city)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := db.City(benchAddr(i * 7919)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad is the cost of reading and checking a database at start-up
// or on reload.
func BenchmarkLoad(b *testing.B) {
	_, city := benchEnricher(b, 4)
	cfg := enrich.DefaultConfig()
	cfg.City = city
	b.ReportAllocs()
	for b.Loop() {
		e, err := enrich.New(cfg, enrich.Options{})
		if err != nil {
			b.Fatal(err)
		}
		e.Close()
	}
}

// TestLoadLargeDatabase times the start-up check on a database of realistic
// size. It writes ~3M networks, so it runs only with ENRICH_LARGE_DB=1.
func TestLoadLargeDatabase(t *testing.T) {
	if os.Getenv("ENRICH_LARGE_DB") == "" {
		t.Skip("set ENRICH_LARGE_DB=1 to time loading a GeoLite2-sized database")
	}
	path := filepath.Join(t.TempDir(), "city.mmdb")
	start := time.Now()
	writeRealisticCity(t, path, 3<<20, 150_000)
	fi, _ := os.Stat(path)
	t.Logf("wrote %d MB in %v", fi.Size()>>20, time.Since(start))
	cfg := enrich.DefaultConfig()
	cfg.City = path
	start = time.Now()
	e, err := enrich.New(cfg, enrich.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("New (read + check) took %v", time.Since(start))
	e.Close()
}
