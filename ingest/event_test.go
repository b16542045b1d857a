package ingest

import (
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// wire builds a contract message from a valid login, with fields replaced
// (or removed when the value is nil).
func wire(t testing.TB, change map[string]any) []byte {
	t.Helper()
	m := map[string]any{
		"event_id":   "e1",
		"type":       "login",
		"time":       "2026-11-02T10:00:00.5+01:00",
		"account_id": "acc-1",
		"session_id": "s1",
		"device_id":  "d1",
		"ip":         "203.0.113.7",
		"user_agent": "Mozilla/5.0",
	}
	for k, v := range change {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		field  string
		reason string
	}{
		{"missing event_id", wire(t, map[string]any{"event_id": nil}), "event_id", ReasonMissing},
		{"empty event_id", wire(t, map[string]any{"event_id": ""}), "event_id", ReasonMissing},
		{"missing type", wire(t, map[string]any{"type": nil}), "type", ReasonMissing},
		{"missing time", wire(t, map[string]any{"time": nil}), "time", ReasonMissing},
		{"missing account_id", wire(t, map[string]any{"account_id": nil}), "account_id", ReasonMissing},
		{"missing ip", wire(t, map[string]any{"ip": nil}), "ip", ReasonMissing},
		{"login missing device_id", wire(t, map[string]any{"device_id": nil}), "device_id", ReasonMissing},
		{"heartbeat missing session and device", wire(t, map[string]any{"type": "heartbeat", "session_id": nil, "device_id": nil}), "session_id", ReasonMissing},
		{"logout missing session and device", wire(t, map[string]any{"type": "logout", "session_id": nil, "device_id": nil}), "session_id", ReasonMissing},
		{"unknown type", wire(t, map[string]any{"type": "signup"}), "type", ReasonUnknownValue},
		{"time not RFC 3339", wire(t, map[string]any{"time": "2026-11-02 10:00:00"}), "time", ReasonMalformed},
		{"time without zone", wire(t, map[string]any{"time": "2026-11-02T10:00:00"}), "time", ReasonMalformed},
		{"time unix seconds", wire(t, map[string]any{"time": 1793613600}), "time", ReasonWrongType},
		{"bad ip", wire(t, map[string]any{"ip": "203.0.113.300"}), "ip", ReasonMalformed},
		{"ip with port", wire(t, map[string]any{"ip": "203.0.113.7:443"}), "ip", ReasonMalformed},
		{"hostname as ip", wire(t, map[string]any{"ip": "example.com"}), "ip", ReasonMalformed},
		{"account_id is a number", wire(t, map[string]any{"account_id": 42}), "account_id", ReasonWrongType},
		{"success is a string", wire(t, map[string]any{"success": "yes"}), "success", ReasonWrongType},
		{"malformed json", []byte(`{"event_id": "e1",`), "", ReasonMalformedJSON},
		{"trailing garbage", append(wire(t, nil), []byte(` x`)...), "", ReasonMalformedJSON},
		{"json array", []byte(`[{"event_id":"e1"}]`), "", ReasonNotJSONObject},
		{"json string", []byte(`"login"`), "", ReasonNotJSONObject},
		{"empty", nil, "", ReasonNotJSONObject},
		{"whitespace", []byte(" \n"), "", ReasonNotJSONObject},
		{"not utf-8", []byte("{\"event_id\":\"\xff\xfe\"}"), "", ReasonNotUTF8},
		{"over 1 MiB", wire(t, map[string]any{"user_agent": strings.Repeat("a", MaxEventBytes)}), "", ReasonTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.in)
			if !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("Decode error = %v, want one wrapping ErrInvalidEvent", err)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode error %T is not a *DecodeError", err)
			}
			if de.Field != tt.field || de.Reason != tt.reason {
				t.Errorf("Decode error field=%q reason=%q (%v), want field=%q reason=%q", de.Field, de.Reason, err, tt.field, tt.reason)
			}
			if !slices.Contains(DecodeReasons(), de.Reason) {
				t.Errorf("reason %q is not in DecodeReasons", de.Reason)
			}
			if tt.field != "" && !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error text %q does not name the field %q", err, tt.field)
			}
		})
	}
}

func TestDecodeValid(t *testing.T) {
	tests := []struct {
		name  string
		in    []byte
		check func(Event) bool
	}{
		{"success absent means true", wire(t, nil), func(e Event) bool { return e.Success }},
		{"success false", wire(t, map[string]any{"success": false}), func(e Event) bool { return !e.Success }},
		{"ipv4-mapped ipv6 is unmapped", wire(t, map[string]any{"ip": "::ffff:203.0.113.7"}),
			func(e Event) bool { return e.IP == netip.MustParseAddr("203.0.113.7") && e.IP.Is4() }},
		{"ipv6 zone dropped", wire(t, map[string]any{"ip": "fe80::1%eth0"}),
			func(e Event) bool { return e.IP == netip.MustParseAddr("fe80::1") }},
		{"ipv6", wire(t, map[string]any{"ip": "2001:db8::1"}), func(e Event) bool { return e.IP.Is6() }},
		{"time normalised to UTC", wire(t, nil),
			func(e Event) bool {
				return e.Time.Equal(time.Date(2026, 11, 2, 9, 0, 0, 5e8, time.UTC)) && e.Time.Location() == time.UTC
			}},
		{"heartbeat with session only", wire(t, map[string]any{"type": "heartbeat", "device_id": nil}),
			func(e Event) bool { return e.Type == TypeHeartbeat && e.SessionID == "s1" }},
		{"logout with device only", wire(t, map[string]any{"type": "logout", "session_id": nil}),
			func(e Event) bool { return e.Type == TypeLogout && e.DeviceID == "d1" }},
		{"unknown fields ignored", wire(t, map[string]any{"country_hint": "FR"}), func(e Event) bool { return e.EventID == "e1" }},
		{"surrounding whitespace", append([]byte("\n "), wire(t, nil)...), func(e Event) bool { return e.AccountID == "acc-1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Decode(tt.in)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !tt.check(ev) {
				t.Errorf("unexpected event %+v", ev)
			}
		})
	}
}

func TestEventRoundTrip(t *testing.T) {
	in, err := Decode(wire(t, map[string]any{"success": false}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Decode(b)
	if err != nil {
		t.Fatalf("Decode(MarshalJSON) = %v for %s", err, b)
	}
	if out != in {
		t.Errorf("round trip changed the event:\n in %+v\nout %+v", in, out)
	}
}

func TestCheckClock(t *testing.T) {
	written := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		at      time.Time // the event's time
		ref     time.Time
		maxSkew time.Duration
		bad     bool
	}{
		{"same time", written, written, time.Hour, false},
		{"a week late", written.Add(-7 * 24 * time.Hour), written, time.Hour, false},
		{"ahead within the skew", written.Add(time.Hour), written, time.Hour, false},
		{"ahead beyond the skew", written.Add(time.Hour + time.Second), written, time.Hour, true},
		{"decades ahead", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), written, time.Hour, true},
		{"no record time", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}, time.Hour, false},
		{"check off", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), written, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := Event{Time: tc.at}
			err := CheckClock(&ev, tc.ref, tc.maxSkew)
			if !tc.bad {
				if err != nil {
					t.Fatalf("CheckClock = %v, want nil", err)
				}
				return
			}
			var de *DecodeError
			if !errors.As(err, &de) || de.Reason != ReasonClockSkew || de.Field != "time" || !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("CheckClock = %v, want a DecodeError on field time with reason %s", err, ReasonClockSkew)
			}
			if !slices.Contains(DecodeReasons(), de.Reason) {
				t.Errorf("reason %q is not in DecodeReasons, so the dead-letter metric has no child for it", de.Reason)
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	msg := wire(b, nil)
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := Decode(msg); err != nil {
			b.Fatal(err)
		}
	}
}
