package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"time"
	"unicode/utf8"
)

// MaxEventBytes is the largest message value Decode accepts.
const MaxEventBytes = 1 << 20

// Type is the kind of a login event.
type Type uint8

// Event types of the contract.
const (
	TypeUnknown Type = iota
	TypeLogin
	TypeHeartbeat
	TypeLogout
)

var typeNames = [...]string{TypeUnknown: "", TypeLogin: "login", TypeHeartbeat: "heartbeat", TypeLogout: "logout"}

// String returns the contract name of the type.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return ""
}

// ParseType parses a contract type name.
func ParseType(s string) (Type, bool) {
	switch s {
	case "login":
		return TypeLogin, true
	case "heartbeat":
		return TypeHeartbeat, true
	case "logout":
		return TypeLogout, true
	}
	return TypeUnknown, false
}

// MarshalText implements encoding.TextMarshaler.
func (t Type) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Event is one decoded, validated login event.
type Event struct {
	EventID   string
	Type      Type
	Time      time.Time
	AccountID string
	SessionID string
	DeviceID  string
	IP        netip.Addr // unmapped: IPv4-in-IPv6 becomes IPv4
	UserAgent string
	// Success is false only for a failed login; failed logins are recorded
	// but open no session. Absent means true.
	Success bool
}

// wireEvent is the JSON shape of the contract.
type wireEvent struct {
	EventID   string `json:"event_id"`
	Type      string `json:"type"`
	Time      string `json:"time"`
	AccountID string `json:"account_id"`
	SessionID string `json:"session_id,omitempty"`
	DeviceID  string `json:"device_id,omitempty"`
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent,omitempty"`
	Success   *bool  `json:"success,omitempty"`
}

// MarshalJSON encodes the event in the contract format.
func (e Event) MarshalJSON() ([]byte, error) {
	w := wireEvent{
		EventID:   e.EventID,
		Type:      e.Type.String(),
		Time:      e.Time.UTC().Format(time.RFC3339Nano),
		AccountID: e.AccountID,
		SessionID: e.SessionID,
		DeviceID:  e.DeviceID,
		IP:        e.IP.String(),
		UserAgent: e.UserAgent,
	}
	if e.Type == TypeLogin {
		s := e.Success
		w.Success = &s
	}
	return json.Marshal(w)
}

// ErrInvalidEvent is wrapped by every decoding error.
var ErrInvalidEvent = errors.New("invalid event")

// DecodeError says which field of an event is wrong and why. Its text is
// what the dead-letter record carries.
type DecodeError struct {
	Field  string // contract field name, empty when the whole message is bad
	Reason string // short machine-friendly reason, e.g. "missing", "malformed"
	Detail string // human detail
}

// Error returns the text the dead-letter record carries.
func (e *DecodeError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("invalid event: %s: %s", e.Reason, e.Detail)
	}
	if e.Detail == "" {
		return fmt.Sprintf("invalid event: field %q: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("invalid event: field %q: %s: %s", e.Field, e.Reason, e.Detail)
}

// Unwrap lets errors.Is(err, ErrInvalidEvent) match.
func (e *DecodeError) Unwrap() error { return ErrInvalidEvent }

// Reasons a DecodeError carries. The set is closed: the dead-letter metric has
// one label child per reason.
const (
	ReasonTooLarge      = "too_large"
	ReasonNotUTF8       = "not_utf8"
	ReasonNotJSONObject = "not_json_object"
	ReasonWrongType     = "wrong_type"
	ReasonMalformedJSON = "malformed_json"
	ReasonMissing       = "missing"
	ReasonUnknownValue  = "unknown_value"
	ReasonMalformed     = "malformed"
	// ReasonClockSkew: the event says it happened later than the record
	// that carried it was written, by more than the allowed skew (see
	// CheckClock).
	ReasonClockSkew = "clock_skew"
)

// DecodeReasons returns every DecodeError.Reason that Decode and
// CheckClock can return.
func DecodeReasons() []string {
	return []string{
		ReasonTooLarge, ReasonNotUTF8, ReasonNotJSONObject, ReasonWrongType,
		ReasonMalformedJSON, ReasonMissing, ReasonUnknownValue, ReasonMalformed,
		ReasonClockSkew,
	}
}

// CheckClock rejects an event stamped more than maxSkew after ref, the
// time its record was written (the Kafka message's timestamp) or, for a
// file, read. Scoring runs on event time, and one event from years ahead
// would move the scorer's clock there and evict every account as idle. An
// event from the past is no such danger and passes. A zero ref or a
// maxSkew of zero or less checks nothing.
func CheckClock(ev *Event, ref time.Time, maxSkew time.Duration) error {
	if ref.IsZero() || maxSkew <= 0 {
		return nil
	}
	if ahead := ev.Time.Sub(ref); ahead > maxSkew {
		return &DecodeError{Field: "time", Reason: ReasonClockSkew, Detail: fmt.Sprintf("%s is %s after %s, when its record was written or read; at most %s allowed", ev.Time.UTC().Format(time.RFC3339Nano), ahead.Round(time.Second), ref.UTC().Format(time.RFC3339Nano), maxSkew)}
	}
	return nil
}

// Decode parses and validates one contract event. Unknown fields are
// ignored so producers can add fields without breaking consumers.
func Decode(b []byte) (Event, error) {
	var ev Event
	if len(b) > MaxEventBytes {
		return ev, &DecodeError{Reason: ReasonTooLarge, Detail: fmt.Sprintf("%d bytes exceeds %d", len(b), MaxEventBytes)}
	}
	if !utf8.Valid(b) {
		return ev, &DecodeError{Reason: ReasonNotUTF8, Detail: "message is not valid UTF-8"}
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return ev, &DecodeError{Reason: ReasonNotJSONObject, Detail: "message is not a JSON object"}
	}
	var w wireEvent
	if err := json.Unmarshal(b, &w); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return ev, &DecodeError{Field: te.Field, Reason: ReasonWrongType, Detail: "expected " + te.Type.String()}
		}
		return ev, &DecodeError{Reason: ReasonMalformedJSON, Detail: err.Error()}
	}
	if w.EventID == "" {
		return ev, missing("event_id")
	}
	if w.Type == "" {
		return ev, missing("type")
	}
	t, ok := ParseType(w.Type)
	if !ok {
		return ev, &DecodeError{Field: "type", Reason: ReasonUnknownValue, Detail: fmt.Sprintf("%q is not login, heartbeat or logout", w.Type)}
	}
	if w.Time == "" {
		return ev, missing("time")
	}
	ts, err := time.Parse(time.RFC3339Nano, w.Time)
	if err != nil {
		return ev, &DecodeError{Field: "time", Reason: ReasonMalformed, Detail: "not RFC 3339: " + w.Time}
	}
	if w.AccountID == "" {
		return ev, missing("account_id")
	}
	if w.IP == "" {
		return ev, missing("ip")
	}
	ip, err := netip.ParseAddr(w.IP)
	if err != nil {
		return ev, &DecodeError{Field: "ip", Reason: ReasonMalformed, Detail: fmt.Sprintf("%q is not an IP address", w.IP)}
	}
	if t == TypeLogin && w.DeviceID == "" {
		return ev, missing("device_id")
	}
	if t != TypeLogin && w.SessionID == "" && w.DeviceID == "" {
		return ev, &DecodeError{Field: "session_id", Reason: ReasonMissing, Detail: "heartbeat and logout need session_id or device_id"}
	}
	ev = Event{
		EventID:   w.EventID,
		Type:      t,
		Time:      ts.UTC(),
		AccountID: w.AccountID,
		SessionID: w.SessionID,
		DeviceID:  w.DeviceID,
		IP:        ip.Unmap().WithZone(""),
		UserAgent: w.UserAgent,
		Success:   w.Success == nil || *w.Success,
	}
	return ev, nil
}

func missing(field string) error { return &DecodeError{Field: field, Reason: ReasonMissing} }
