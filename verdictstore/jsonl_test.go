package verdictstore

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/scoring"
)

func TestJSONLSink(t *testing.T) {
	path := filepath.Join(t.TempDir(), "verdicts.jsonl")
	s, err := NewJSONL(JSONLOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	vs := sampleVerdicts(time.Date(2026, 11, 3, 10, 0, 0, 123e6, time.UTC))
	ctx := context.Background()
	if err := s.Write(ctx, vs[:2]); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, vs[2:]); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, nil); err != nil {
		t.Fatal(err)
	}

	// A NaN can never be encoded: rejected at once, nothing written.
	bad := vs[0]
	bad.Score = math.NaN()
	if err := s.Write(ctx, []scoring.Verdict{bad}); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("Write(NaN) = %v, want ErrInvalidRecord", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, vs); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close = %v, want ErrClosed", err)
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []scoring.Verdict
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var v scoring.Verdict
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, v)
	}
	if !reflect.DeepEqual(got, vs) {
		t.Fatalf("read back\n%+v\nwant\n%+v", got, vs)
	}

	// Reopening appends.
	s2, err := NewJSONL(JSONLOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Write(ctx, vs[:1]); err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if n := countLines(b); n != len(vs)+1 {
		t.Fatalf("%d lines after reopen, want %d", n, len(vs)+1)
	}
}

func TestJSONLSinkRetriesUntilContextDone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "verdicts.jsonl")
	s, err := NewJSONL(JSONLOptions{Path: path, MaxRetryBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// Closing the file underneath makes every attempt fail.
	s.f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Write(ctx, sampleVerdicts(time.Now())[:1])
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Write = %v, want deadline exceeded wrapping the file error", err)
	}
	if time.Since(start) < 150*time.Millisecond {
		t.Fatalf("Write returned after %v, before its context was done", time.Since(start))
	}
}

func TestJSONLSinkMissingPath(t *testing.T) {
	if _, err := NewJSONL(JSONLOptions{}); !errors.Is(err, ErrMissingPath) {
		t.Fatalf("NewJSONL() = %v, want ErrMissingPath", err)
	}
}

func countLines(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}

// sampleVerdicts covers every field, unicode, an IPv6 address, empty and
// several reasons, quotes and newlines.
func sampleVerdicts(base time.Time) []scoring.Verdict {
	base = base.UTC().Truncate(time.Millisecond)
	return []scoring.Verdict{
		{
			EventID: "e-1", Type: "login", Time: base, AccountID: "acct-1", SessionID: "s-1", DeviceID: "d-1",
			IP: "2001:db8::1", Country: "BR", City: "São Paulo", Lat: -23.5505, Lon: -46.633308, AccuracyKM: 20,
			ASN: 4294967295, Score: 0.123456789012345, Verdict: scoring.LabelOK, Reasons: []string{},
			Explanation: "", Action: "none", ModelVersion: "m-2026-11",
		},
		{
			EventID: "e-2", Type: "heartbeat", Time: base.Add(1500 * time.Millisecond), AccountID: "acct-1", SessionID: "s-2",
			DeviceID: "d-2", IP: "203.0.113.7", Country: "RU", City: "Москва", Lat: 55.7558, Lon: 37.6173,
			AccuracyKM: 1000, ASN: 64496, Score: 0.97, Verdict: scoring.LabelSharing,
			Reasons:     []string{"impossible_travel", "concurrent_sessions", "new_device"},
			Explanation: "Two sessions 7,000 km apart within 3 minutes; \"quoted\" and\nnewline",
			Action:      "hold", ModelVersion: "m-2026-11",
		},
		{
			EventID: "e-3", Type: "logout", Time: base.Add(-999 * time.Millisecond), AccountID: "acct-2", SessionID: "",
			DeviceID: "d-3", IP: "::ffff:198.51.100.9", Country: "JP", City: "東京", Lat: 35.6762, Lon: 139.6503,
			AccuracyKM: 0, ASN: 0, Score: 0, Verdict: scoring.LabelTravel, Reasons: []string{"travel"},
			Explanation: "emoji 🛫 ok", Action: "ticket", ModelVersion: "",
		},
		{
			EventID: "e-4", Type: "login", Time: base.Add(time.Hour), AccountID: "acct-3", SessionID: "s-4",
			DeviceID: "d-4", IP: "192.0.2.1", Country: "", City: "", Lat: 0, Lon: 0, AccuracyKM: 5, ASN: 13335,
			Score: 0.6, Verdict: scoring.LabelSuspectedSharing, Reasons: []string{"hosting_asn"},
			Explanation: "via hosting ASN", Action: "ticket", ModelVersion: "m-2026-11",
		},
	}
}
