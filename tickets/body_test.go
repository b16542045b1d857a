package tickets

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/scoring"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestTicketTextGolden(t *testing.T) {
	h := newHistory(4, 10)
	places := []struct{ city, country, dev string }{
		{"Paris", "FR", "tv-1"}, {"Lyon", "FR", "phone-9"}, {"Paris", "FR", "tv-1"}, {"Lyon", "FR", "tablet-3"}, {"Lyon", "FR", "phone-9"},
	}
	var last scoring.Verdict
	for i, p := range places {
		v := verdict("acct 'x'", "e"+string(rune('1'+i)), t0.Add(time.Duration(i)*7*time.Hour), suspected, "ticket", 0.55+float64(i)*0.08)
		v.City, v.Country, v.DeviceID = p.city, p.country, p.dev
		if i%2 == 0 {
			v.Reasons = []string{scoring.ReasonSecondHousehold, "some_future_reason"}
		}
		if i == len(places)-1 {
			v.Verdict, v.Action = sharing, "hold"
		}
		h.add(&v)
		last = v
	}
	tl, total := h.recent(last.AccountID)
	in := bodyInput{v: &last, action: "hold", timeline: tl, total: total,
		explainCmd:  "sharewatch explain 'acct '\\''x'\\''' --config sharewatch.yml",
		historySQL:  "clickhouse-client -q \"SELECT ... WHERE account_id = " + sqlQuote(last.AccountID) + "\"",
		resolveHint: (&RT{}).ResolveHint()}
	golden(t, "body.golden", subject(&last, "hold")+"\n\n"+renderBody(in))
	golden(t, "comment.golden", renderComment(in, ticketState{Action: "ticket", Label: suspected}))
	home := last
	home.Verdict, home.Score, home.Action = scoring.LabelTravel, 0.21, "none"
	home.Reasons = []string{scoring.ReasonTravelKnownDevice, scoring.ReasonFlaggedCameHome}
	home.Explanation = "The household's own device is in Lyon (FR); 2 devices taken for another household's when the account was flagged on 2 Nov have since streamed as this household's own."
	in.v = &home
	golden(t, "undone.golden", renderUndone(in, ticketState{Action: "hold", Label: sharing}, true))
}

// TestEveryReasonHasWords: an analyst reads reasons in words; a code
// without them would reach the ticket bare.
func TestEveryReasonHasWords(t *testing.T) {
	for _, r := range scoring.ReasonCodes() {
		if reasonText[r] == "" {
			t.Errorf("reason %q has no text for tickets", r)
		}
	}
}

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a-1", "a-1"},
		{"/etc/sharewatch.yml", "/etc/sharewatch.yml"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"", "''"},
	}
	for _, tc := range tests {
		if got := shellQuote(tc.in); got != tc.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
