package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sharewatch/sharewatch/scoring"
)

func TestPolicyFiles(t *testing.T) {
	if _, err := Load("default.yml"); err != nil {
		t.Fatalf("the shipped default policy is invalid: %v", err)
	}
	if _, err := Load("testdata/good.yml"); err != nil {
		t.Fatalf("good policy: %v", err)
	}
	bad, err := filepath.Glob("testdata/bad-*.yml")
	if err != nil || len(bad) == 0 {
		t.Fatal("no bad policies in testdata")
	}
	for _, f := range bad {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want, err := os.ReadFile(f + ".err")
			if err != nil {
				t.Fatal(err)
			}
			_, err = Load(f)
			if err == nil {
				t.Fatal("want an error")
			}
			if w := strings.TrimSpace(string(want)); !strings.Contains(err.Error(), w) {
				t.Errorf("error %q\ndoes not contain %q", err, w)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	p, err := Load("testdata/good.yml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		v    scoring.Verdict
		want Decision
	}{
		{"ok does nothing", scoring.Verdict{AccountID: "a", Verdict: scoring.LabelOK, Score: 0.1, IP: "81.2.3.4"}, Decision{Action: ActionNone}},
		{"reseller is held", scoring.Verdict{AccountID: "a", Verdict: scoring.LabelSharing, Score: 0.995, Reasons: []string{"many_households"}, IP: "81.2.3.4"},
			Decision{Action: ActionHold, Rule: "hold-resellers"}},
		{"sharing without the reason falls through to no rule", scoring.Verdict{AccountID: "a", Verdict: scoring.LabelSharing, Score: 0.995, Reasons: []string{"second_household"}, IP: "81.2.3.4"},
			Decision{Action: ActionNone, Rule: "review", DryRun: true, WouldAction: ActionTicket}},
		{"suspected is a dry run", scoring.Verdict{AccountID: "a", Verdict: scoring.LabelSuspectedSharing, Score: 0.8, IP: "81.2.3.4"},
			Decision{Action: ActionNone, Rule: "review", DryRun: true, WouldAction: ActionTicket}},
		{"allowlisted account", scoring.Verdict{AccountID: "staff-1", Verdict: scoring.LabelSharing, Score: 0.999, Reasons: []string{"many_households"}},
			Decision{Action: ActionNone, Allowlisted: true}},
		{"allowlisted IPv6 network", scoring.Verdict{AccountID: "a", Verdict: scoring.LabelSharing, Score: 0.999, Reasons: []string{"many_households"}, IP: "2001:db8::1"},
			Decision{Action: ActionNone, Allowlisted: true}},
		{"allowlisted ASN", scoring.Verdict{AccountID: "a", Verdict: scoring.LabelSharing, Score: 0.999, Reasons: []string{"many_households"}, ASN: 64512},
			Decision{Action: ActionNone, Allowlisted: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Decide(&tc.v); got != tc.want {
				t.Errorf("Decide = %+v, want %+v", got, tc.want)
			}
		})
	}
}
