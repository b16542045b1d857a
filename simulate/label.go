package simulate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"
)

// Scenario names. The first six are honest; the last three share the
// account with people outside the household.
const (
	ScenarioSolo           = "solo"
	ScenarioHousehold      = "household"
	ScenarioTraveller      = "traveller"
	ScenarioTwoHomes       = "two_homes"
	ScenarioMobileHeavy    = "mobile_heavy"
	ScenarioVPNUser        = "vpn_user"
	ScenarioFriendSharer   = "friend_sharer"
	ScenarioSameCitySharer = "same_city_sharer"
	ScenarioReseller       = "reseller"
)

var scenarioOrder = []string{
	ScenarioSolo, ScenarioHousehold, ScenarioTraveller, ScenarioTwoHomes, ScenarioMobileHeavy,
	ScenarioVPNUser, ScenarioFriendSharer, ScenarioSameCitySharer, ScenarioReseller,
}

// Scenarios lists every scenario in a fixed order, honest ones first.
// Treat it as read-only.
var Scenarios = slices.Clone(scenarioOrder)

// IsSharing reports whether accounts of the scenario are shared outside
// their household.
func IsSharing(scenario string) bool {
	switch scenario {
	case ScenarioFriendSharer, ScenarioSameCitySharer, ScenarioReseller:
		return true
	}
	return false
}

// Label is the ground truth of one account.
type Label struct {
	AccountID string `json:"account_id"`
	Scenario  string `json:"scenario"`
	Sharing   bool   `json:"sharing"`
	// SharingStart is the time of the first event of anyone outside the
	// household; nil for honest accounts.
	SharingStart *time.Time `json:"sharing_start"`
	HomeCountry  string     `json:"home_country"`
	HomeCity     string     `json:"home_city"`
}

// WriteLabels writes labels as JSON lines.
func WriteLabels(w io.Writer, labels []Label) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, l := range labels {
		if err := enc.Encode(l); err != nil {
			return fmt.Errorf("writing label of %s: %w", l.AccountID, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing labels: %w", err)
	}
	return nil
}

// ReadLabels reads labels written by WriteLabels or Generate. Blank lines
// are skipped; an unknown scenario or a sharing flag that contradicts the
// scenario is an error.
func ReadLabels(r io.Reader) ([]Label, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out []Label
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		var l Label
		if err := json.Unmarshal(b, &l); err != nil {
			return nil, fmt.Errorf("label line %d: %w", line, err)
		}
		if !slices.Contains(scenarioOrder, l.Scenario) {
			return nil, fmt.Errorf("label line %d: unknown scenario %q", line, l.Scenario)
		}
		if l.Sharing != IsSharing(l.Scenario) {
			return nil, fmt.Errorf("label line %d: sharing=%v contradicts scenario %q", line, l.Sharing, l.Scenario)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading labels: %w", err)
	}
	return out, nil
}
