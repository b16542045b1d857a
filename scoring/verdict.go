package scoring

import (
	"fmt"
	"time"
)

// Label is the verdict class of an event or account.
type Label uint8

// Verdict labels, ordered by severity.
const (
	LabelOK Label = iota
	LabelTravel
	LabelSuspectedSharing
	LabelSharing
)

var labelNames = [...]string{"ok", "travel", "suspected_sharing", "sharing"}

func (l Label) String() string {
	if int(l) < len(labelNames) {
		return labelNames[l]
	}
	return "unknown"
}

// Flagged reports whether the label is suspected_sharing or worse.
func (l Label) Flagged() bool { return l >= LabelSuspectedSharing }

// ParseLabel parses a label name.
func ParseLabel(s string) (Label, error) {
	for i, n := range labelNames {
		if n == s {
			return Label(i), nil
		}
	}
	return LabelOK, fmt.Errorf("unknown verdict %q", s)
}

// MarshalText implements encoding.TextMarshaler.
func (l Label) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (l *Label) UnmarshalText(b []byte) error {
	v, err := ParseLabel(string(b))
	*l = v
	return err
}

// Verdict is the scored result for one event: the verdict contract
// (schema/verdict.schema.json).
type Verdict struct {
	EventID     string    `json:"event_id"`
	Type        string    `json:"type"`
	Time        time.Time `json:"time"`
	AccountID   string    `json:"account_id"`
	SessionID   string    `json:"session_id"`
	DeviceID    string    `json:"device_id"`
	IP          string    `json:"ip"`
	Country     string    `json:"country"`
	City        string    `json:"city"`
	Lat         float64   `json:"lat"`
	Lon         float64   `json:"lon"`
	AccuracyKM  int       `json:"accuracy_km"`
	ASN         uint32    `json:"asn"`
	Score       float64   `json:"score"`
	Verdict     Label     `json:"verdict"`
	Reasons     []string  `json:"reasons"`
	Explanation string    `json:"explanation"`
	// Action is none, ticket or hold; the rules stage sets it.
	Action       string `json:"action"`
	ModelVersion string `json:"model_version"`
}

// AccountSummary is the account-level contract: the most severe verdict the
// account reached (for an account never flagged, its latest ok or travel
// verdict, so the explanation says what fits the account now), and when it
// was first flagged.
type AccountSummary struct {
	AccountID    string     `json:"account_id"`
	Verdict      Label      `json:"verdict"`
	Score        float64    `json:"score"`
	Reasons      []string   `json:"reasons"`
	Explanation  string     `json:"explanation"`
	FirstFlagged *time.Time `json:"first_flagged"`
	// Last is the verdict of the account's latest event.
	LastVerdict Label   `json:"last_verdict"`
	LastScore   float64 `json:"last_score"`
	// FirstSeen is the account's earliest event: where the data about it
	// begins.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Events    int       `json:"events"`
	// ImpossibleTravel is when the naive impossible-travel rule (900 km/h,
	// over 100 km, at least 5 min apart) first fired, for comparison.
	ImpossibleTravel *time.Time `json:"impossible_travel_first"`
	// CountedFrom is the end of the warm-up (Options.CountFrom) when there
	// was one: the verdict, first flag and impossible-travel time count
	// only events from then on.
	CountedFrom *time.Time `json:"counted_from,omitempty"`
}
