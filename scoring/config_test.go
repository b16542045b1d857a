package scoring

import (
	"errors"
	"slices"
	"testing"

	"github.com/sharewatch/sharewatch/enrich"
)

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("the zero config (all defaults) is invalid: %v", err)
	}
	if got := (Config{}).withDefaults().BusinessASNs; !slices.Contains(got, 174) {
		t.Errorf("default business ASNs %v lack Cogent (174)", got)
	}
	if got := (Config{BusinessASNs: []uint32{}}).withDefaults().BusinessASNs; len(got) != 0 {
		t.Errorf("an empty business_asns list was replaced by %v; it must turn the rule off", got)
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want error
	}{
		{"AS 0 in business_asns", Config{BusinessASNs: []uint32{174, 0}}, enrich.ErrInvalidASN},
		{"negative session timeout", Config{SessionTimeout: -1}, ErrNegative},
		{"suspected above sharing", Config{SuspectedThreshold: 0.9, SharingThreshold: 0.8}, ErrBadThresholds},
	} {
		if err := tc.cfg.Validate(); !errors.Is(err, tc.want) {
			t.Errorf("%s: Validate() = %v, want %v", tc.name, err, tc.want)
		}
	}
}
