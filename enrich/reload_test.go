package enrich_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/enrich"
	"github.com/sharewatch/sharewatch/internal/mmdbgen"
)

// parisRecords moves London's network to Paris and to another ASN.
var parisRecords = func() []mmdbgen.Record {
	recs := append([]mmdbgen.Record(nil), testRecords...)
	recs[0] = mmdbgen.Record{Prefix: pfx("81.2.0.0/16"), Country: "FR", City: "Paris", Lat: 48.8566, Lon: 2.3522, AccuracyKM: 10, ASN: 3215, ASOrg: "Orange S.A."}
	return recs
}()

// writeAtomic replaces path the way database updaters do: a temp file, then
// a rename, so a poller never sees a half-written file.
func writeAtomic(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond every few milliseconds for up to five seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// runInBackground starts Run and stops it at the end of the test, checking
// that it returns nil.
func runInBackground(t *testing.T, e *enrich.Enricher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v", err)
		}
	})
}

func TestRunReloadsChangedFile(t *testing.T) {
	e := newTestEnricher(t, func(c *enrich.Config) { c.ReloadInterval = 10 * time.Millisecond })
	before := e.Metadata()
	if got := e.Lookup(addr("81.2.3.4")); got.City != "London" { // and cached
		t.Fatalf("before reload: %+v", got)
	}
	runInBackground(t, e.Enricher)

	time.Sleep(50 * time.Millisecond)
	if n := metric(t, e.reg, "sharewatch_geoip_reloads_total", "result", "success"); n != 0 {
		t.Fatalf("%v reloads of unchanged files", n)
	}

	// The files are written one after the other and polled independently,
	// so the new City can arrive a poll before the new ASN.
	writeDBs(t, filepath.Dir(e.cityPath), parisRecords)
	eventually(t, "the new databases", func() bool {
		l := e.Lookup(addr("81.2.3.4"))
		return l.City == "Paris" && l.ASN == 3215
	})

	got := e.Lookup(addr("::ffff:81.2.3.4"))
	if got.Country != "FR" || got.ASN != 3215 || got.AccuracyKM != 10 {
		t.Errorf("after reload: %+v", got)
	}
	if n := metric(t, e.reg, "sharewatch_geoip_reloads_total", "result", "success"); n < 1 {
		t.Errorf("success reloads = %v", n)
	}
	if n := metric(t, e.reg, "sharewatch_geoip_reloads_total", "result", "failure"); n != 0 {
		t.Errorf("failed reloads = %v", n)
	}
	if after := e.Metadata(); after.City.ModTime.Equal(before.City.ModTime) {
		t.Errorf("metadata still describes the old file: %+v", after.City)
	}
}

func TestReload(t *testing.T) {
	garbage := []byte("this is not a MaxMind database, but it is long enough to look like a file")
	tests := []struct {
		name string
		// change alters the files on disk.
		change  func(t *testing.T, city, asn string)
		wantErr error // nil: success; errAny: any error
		// What 81.2.3.4 looks like afterwards.
		wantCity string
		wantASN  uint32
		success  float64
		failure  float64
	}{
		{
			name:     "new databases",
			change:   func(t *testing.T, city, asn string) { writeDBs(t, filepath.Dir(city), parisRecords) },
			wantCity: "Paris", wantASN: 3215, success: 1,
		},
		{
			name:     "unchanged files are reloaded anyway",
			change:   func(t *testing.T, city, asn string) {},
			wantCity: "London", wantASN: asnBT, success: 1,
		},
		{
			name:    "garbage city keeps the old",
			change:  func(t *testing.T, city, asn string) { writeAtomic(t, city, garbage) },
			wantErr: errAny, wantCity: "London", wantASN: asnBT, failure: 1,
		},
		{
			name: "truncated city keeps the old",
			change: func(t *testing.T, city, asn string) {
				writeDBs(t, filepath.Dir(city), parisRecords)
				data, err := os.ReadFile(city)
				if err != nil {
					t.Fatal(err)
				}
				writeAtomic(t, city, data[:len(data)/2])
			},
			// The ASN file did change and loads, so it is swapped in.
			wantErr: errAny, wantCity: "London", wantASN: 3215, failure: 1,
		},
		{
			name:    "deleted city keeps the old",
			change:  func(t *testing.T, city, asn string) { os.Remove(city) },
			wantErr: os.ErrNotExist, wantCity: "London", wantASN: asnBT, failure: 1,
		},
		{
			name: "ASN database in place of the city keeps the old",
			change: func(t *testing.T, city, asn string) {
				data, err := os.ReadFile(asn)
				if err != nil {
					t.Fatal(err)
				}
				writeAtomic(t, city, data)
			},
			wantErr: enrich.ErrUnsupportedDatabase, wantCity: "London", wantASN: asnBT, failure: 1,
		},
		{
			name: "corrupt ASN keeps the old ASN but takes the new city",
			change: func(t *testing.T, city, asn string) {
				writeDBs(t, filepath.Dir(city), parisRecords)
				writeAtomic(t, asn, garbage)
			},
			wantErr: errAny, wantCity: "Paris", wantASN: asnBT, failure: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnricher(t, nil)
			if got := e.Lookup(addr("81.2.3.4")); got.City != "London" {
				t.Fatalf("before: %+v", got)
			}
			tt.change(t, e.cityPath, e.asnP)
			err := e.Reload()
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("Reload() = %v", err)
			case tt.wantErr == errAny && err == nil, tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
				t.Errorf("Reload() = %v, want %v", err, tt.wantErr)
			}
			got := e.Lookup(addr("81.2.3.4"))
			if got.City != tt.wantCity || got.ASN != tt.wantASN || got.Kind != enrich.KindPublic {
				t.Errorf("after Reload: %+v, want city %q ASN %d", got, tt.wantCity, tt.wantASN)
			}
			for result, want := range map[string]float64{"success": tt.success, "failure": tt.failure} {
				if n := metric(t, e.reg, "sharewatch_geoip_reloads_total", "result", result); n != want {
					t.Errorf("%s reloads = %v, want %v", result, n, want)
				}
			}
		})
	}
}

var errAny = errors.New("any error")

func TestRunCountsAFailedFileOnce(t *testing.T) {
	e := newTestEnricher(t, func(c *enrich.Config) { c.ReloadInterval = 5 * time.Millisecond })
	e.Lookup(addr("81.2.3.4"))
	runInBackground(t, e.Enricher)
	failures := func() float64 {
		return metric(t, e.reg, "sharewatch_geoip_reloads_total", "result", "failure")
	}

	writeAtomic(t, e.cityPath, []byte("corrupt"))
	eventually(t, "a failed reload", func() bool { return failures() > 0 })
	time.Sleep(60 * time.Millisecond) // a dozen more polls
	if n := failures(); n != 1 {
		t.Errorf("failures = %v after polls of the same broken file, want 1", n)
	}
	if got := e.Lookup(addr("81.2.3.4")); got.City != "London" {
		t.Errorf("old database not kept: %+v", got)
	}

	// A fixed file is picked up.
	writeDBs(t, filepath.Dir(e.cityPath), parisRecords)
	eventually(t, "the fixed file", func() bool { return e.Lookup(addr("81.2.3.4")).City == "Paris" })
	if n := failures(); n != 1 {
		t.Errorf("failures = %v, want 1", n)
	}
}

func TestRunDisabled(t *testing.T) {
	e := newTestEnricher(t, func(c *enrich.Config) { c.ReloadInterval = 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	writeDBs(t, filepath.Dir(e.cityPath), parisRecords)
	if err := e.Run(ctx); err != nil {
		t.Fatalf("Run() = %v", err)
	}
	if got := e.Lookup(addr("81.2.3.4")); got.City != "London" {
		t.Errorf("reloaded with polling disabled: %+v", got)
	}
}

// TestLookupDuringReload runs lookups against repeated swaps; with -race it
// checks that a swap is safe while lookups are in flight.
func TestLookupDuringReload(t *testing.T) {
	e := newTestEnricher(t, nil)
	dir := filepath.Dir(e.cityPath)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ip := addr("81.2.3.4")
				if (i+g)%2 == 1 {
					ip = addr("::ffff:81.2.3.4")
				}
				got := e.Lookup(ip)
				if got.Kind != enrich.KindPublic || got.City != "London" && got.City != "Paris" {
					t.Errorf("lookup during reload: %+v", got)
					return
				}
				// A City and ASN from different generations are fine (the
				// files are independent), but each must be whole.
				if got.City == "Paris" && got.Country != "FR" || got.City == "London" && got.Country != "GB" {
					t.Errorf("torn record: %+v", got)
					return
				}
			}
		})
	}
	for i := range 6 {
		recs := testRecords
		if i%2 == 0 {
			recs = parisRecords
		}
		writeDBs(t, dir, recs)
		if err := e.Reload(); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
}
