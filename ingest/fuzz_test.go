package ingest

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzDecode: no input makes Decode panic; what it rejects is a
// *DecodeError with a reason (the dead-letter topic needs one); what it
// accepts has the fields the scorer relies on, and marshals back to JSON
// that decodes to the same event.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"event_id":"e1","type":"login","time":"2026-11-02T10:00:00Z","account_id":"acc-1","session_id":"s1","device_id":"d1","ip":"203.0.113.7","user_agent":"Mozilla/5.0","success":true}`,
		`{"event_id":"e2","type":"heartbeat","time":"2026-11-02T10:00:00+02:00","account_id":"a","session_id":"s","ip":"::ffff:203.0.113.7"}`,
		`{"event_id":"e3","type":"logout","time":"2026-11-02T10:00:00.123Z","account_id":"a","device_id":"d","ip":"fe80::1%eth0"}`,
		`{"event_id": "e1",`, `[]`, `"x"`, ``, "{\"event_id\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := Decode(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Reason == "" {
				t.Fatalf("rejected without a reason: %v", err)
			}
			return
		}
		if ev.EventID == "" || ev.AccountID == "" || !ev.IP.IsValid() || ev.Time.IsZero() || ev.Type == TypeUnknown {
			t.Fatalf("accepted an event the scorer cannot use: %+v", ev)
		}
		if ev.Type == TypeLogin && ev.DeviceID == "" {
			t.Fatalf("accepted a login without a device: %+v", ev)
		}
		out, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("marshalling an accepted event: %v", err)
		}
		again, err := Decode(out)
		if err != nil || again != ev {
			t.Fatalf("round trip: %v\n in %+v\nout %+v", err, ev, again)
		}
	})
}
