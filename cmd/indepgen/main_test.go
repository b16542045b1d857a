package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/ingest"
)

// geoLite2 returns the real GeoLite2 databases ($SHAREWATCH_GEOLITE2_DIR,
// else /tmp/geolite2; fetched by scripts/geolite2.sh, never committed), or
// skips: the generator is built on real networks only.
func geoLite2(t *testing.T) (city, asn string) {
	t.Helper()
	dir := os.Getenv("SHAREWATCH_GEOLITE2_DIR")
	if dir == "" {
		dir = "/tmp/geolite2"
	}
	city, asn = filepath.Join(dir, "GeoLite2-City.mmdb"), filepath.Join(dir, "GeoLite2-ASN.mmdb")
	for _, p := range []string{city, asn} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("real GeoLite2 not available (%v): run scripts/geolite2.sh %s", err, dir)
		}
	}
	return city, asn
}

// The generator's output must be sharewatch's event contract, every
// address must geolocate where it was meant to, its own checker must pass,
// and one seed must give one population.
func TestGeneratesTheContractReproducibly(t *testing.T) {
	if testing.Short() {
		t.Skip("walks the whole GeoLite2 City database")
	}
	city, asn := geoLite2(t)
	g, err := LoadGeo(city, asn)
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Accounts: 120, Days: 14, Seed: 7, Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
		UAShare: 0.9, IPv6Share: 0.35, FriendPerWeek: 4, Intensity: 1, GeoDrift: 0.02, LogoutProb: 0.85,
		MobileChurn: 0.03, FailedLogin: 0.01, CookieReset: 0.02}
	dir := t.TempDir()
	var files [2][]byte
	for i := range files {
		s := NewSim(g, opt)
		s.Run()
		s.SortEvents()
		for j := range s.events {
			g.Verify(s.events[j].IP, s.events[j].Blk)
		}
		ev, lb := filepath.Join(dir, "events.jsonl"), filepath.Join(dir, "labels.jsonl")
		if err := s.writeEvents(ev); err != nil {
			t.Fatal(err)
		}
		if err := s.writeLabels(lb); err != nil {
			t.Fatal(err)
		}
		if files[i], err = os.ReadFile(ev); err != nil {
			t.Fatal(err)
		}
		if rc := runCheck(ev, lb, city, asn); rc != 0 {
			t.Fatalf("the generator's own check failed (exit %d)", rc)
		}
	}
	if g.verifyFail != 0 {
		t.Errorf("%d addresses do not geolocate where they were meant to", g.verifyFail)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("one seed gave two different populations")
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(files[0]))
	sc.Buffer(nil, ingest.MaxEventBytes)
	for sc.Scan() {
		if _, err := ingest.Decode(sc.Bytes()); err != nil {
			t.Fatalf("event %d breaks the contract: %v\n%s", n+1, err, sc.Text())
		}
		n++
	}
	if n < 1000 {
		t.Errorf("only %d events for %d accounts over %d days", n, opt.Accounts, opt.Days)
	}
}
