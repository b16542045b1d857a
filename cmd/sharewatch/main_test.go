package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/sharewatch/sharewatch/rules"
	"github.com/sharewatch/sharewatch/simulate"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// invoke runs a subcommand as main would, with in as stdin.
func invoke(t *testing.T, cmd func(context.Context, []string, stdio) error, in []byte, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = cmd(context.Background(), args, stdio{in: bytes.NewReader(in), out: &out, err: &errb})
	return out.String(), errb.String(), err
}

// jsonField returns field of every JSON line of b.
func jsonField(t *testing.T, b []byte, field string) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%v: %s", err, sc.Bytes())
		}
		s, _ := m[field].(string)
		out = append(out, s)
	}
	return out
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSimulateScoreEval is the README's backtest: simulate, score twice,
// eval.
func TestSimulateScoreEval(t *testing.T) {
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name) }
	_, stderr, err := invoke(t, cmdSimulate, nil, "--accounts", "30", "--days", "7", "--seed", "7",
		"--events", path("ev.jsonl"), "--labels", path("labels.jsonl"),
		"--geoip-city", path("city.mmdb"), "--geoip-asn", path("asn.mmdb"))
	if err != nil {
		t.Fatalf("simulate: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "simulated 30 accounts over 7 days") {
		t.Errorf("simulate stderr %q", stderr)
	}
	events := readFile(t, path("ev.jsonl"))
	ids := jsonField(t, events, "event_id")
	labels := jsonField(t, readFile(t, path("labels.jsonl")), "account_id")
	if len(ids) == 0 || len(labels) != 30 {
		t.Fatalf("simulate wrote %d events and %d labels", len(ids), len(labels))
	}
	geoip := []string{"--geoip-city", path("city.mmdb"), "--geoip-asn", path("asn.mmdb")}

	tests := []struct {
		name     string
		in       []byte
		accounts string
		wantErr  []string // lines stderr must contain
	}{
		{name: "first run", in: events, accounts: "accounts1.jsonl"},
		{name: "second run", in: events, accounts: "accounts2.jsonl"},
		{
			name:     "with a repeated event and a bad line",
			in:       append(append(slices.Clone(events), events[:bytes.IndexByte(events, '\n')+1]...), "{\"event_id\":\"x\"}\n"...),
			accounts: "accounts3.jsonl",
			wantErr:  []string{"line " + strconv.Itoa(len(ids)+2) + ": invalid event: field \"type\": missing", "1 bad line(s) skipped"},
		},
	}
	var refOut string
	var refAccounts []byte
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, err := invoke(t, cmdScore, tc.in, append(geoip, "--accounts", path(tc.accounts))...)
			if err != nil {
				t.Fatalf("score: %v\n%s", err, stderr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not contain %q", stderr, w)
				}
			}
			if len(tc.wantErr) == 0 && stderr != "" {
				t.Errorf("unexpected stderr %q", stderr)
			}
			if got := jsonField(t, []byte(out), "event_id"); !slices.Equal(got, ids) {
				t.Errorf("%d verdict lines, want one per distinct event (%d), in input order", len(got), len(ids))
			}
			accounts := readFile(t, path(tc.accounts))
			got := jsonField(t, accounts, "account_id")
			want := slices.Sorted(slices.Values(labels))
			if !slices.Equal(got, want) {
				t.Errorf("accounts file has %d lines, want one per labelled account (%d), sorted", len(got), len(want))
			}
			if refOut == "" {
				refOut, refAccounts = out, accounts
				return
			}
			if out != refOut {
				t.Errorf("stdout differs from the first run")
			}
			if !bytes.Equal(accounts, refAccounts) {
				t.Errorf("accounts file differs from the first run")
			}
		})
	}

	t.Run("eval", func(t *testing.T) {
		out, stderr, err := invoke(t, cmdEval, nil, "--labels", path("labels.jsonl"), "--accounts", path("accounts1.jsonl"))
		if err != nil {
			t.Fatalf("eval: %v\n%s", err, stderr)
		}
		lines := strings.Split(out, "\n")
		header := strings.Fields(lines[0])
		if !slices.Contains(header, "scenario") || !strings.Contains(lines[0], "baseline flagged") {
			t.Errorf("scenario table header %q lacks the baseline column", lines[0])
		}
		rows := map[string]bool{}
		for _, l := range lines[1:] {
			if f := strings.Fields(l); len(f) > 0 {
				rows[f[0]] = true
			}
		}
		for _, sc := range simulate.Scenarios {
			if !rows[sc] {
				t.Errorf("no row for scenario %s", sc)
			}
		}
		if !strings.Contains(out, "figure") || !strings.Contains(out, "target") || !strings.Contains(out, "honest accounts flagged sharing") {
			t.Errorf("no figures table with targets in:\n%s", out)
		}
	})

	t.Run("perturb", func(t *testing.T) {
		out, stderr, err := invoke(t, cmdPerturb, events, "--logins-only", "--no-user-agents", "--late", "5m")
		if err != nil {
			t.Fatalf("perturb: %v\n%s", err, stderr)
		}
		logins := 0
		for _, typ := range jsonField(t, events, "type") {
			if typ == "login" {
				logins++
			}
		}
		types := jsonField(t, []byte(out), "type")
		if len(types) != logins || logins == 0 {
			t.Errorf("%d events out, want the %d logins", len(types), logins)
		}
		for i, ua := range jsonField(t, []byte(out), "user_agent") {
			if ua != "" || types[i] != "login" {
				t.Fatalf("line %d: type %q, user agent %q", i+1, types[i], ua)
			}
		}
		if !strings.Contains(stderr, fmt.Sprintf("perturbed %d of %d events", logins, len(ids))) {
			t.Errorf("stderr %q", stderr)
		}
		if _, _, err := invoke(t, cmdPerturb, events, "--renumber-every", "24h"); err == nil || !strings.Contains(err.Error(), "--geoip-city") {
			t.Errorf("--renumber-every without a database gave %v", err)
		}
		bad := append(slices.Clone(events[:bytes.IndexByte(events, '\n')+1]), "{not json\n"...)
		if _, _, err := invoke(t, cmdPerturb, bad); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("a bad second line gave %v, want an error naming line 2", err)
		}
	})

	t.Run("state carried between runs", func(t *testing.T) {
		// The stream scored in two runs, the state kept in a file, gives
		// the verdicts and summaries of one run over all of it; the
		// first run's last event, sent again at the start of the
		// second, is a duplicate there too.
		cut := 0
		for n := 0; n < len(ids)/2; n++ {
			cut += bytes.IndexByte(events[cut:], '\n') + 1
		}
		last := events[bytes.LastIndexByte(events[:cut-1], '\n')+1 : cut]
		day1, day2 := events[:cut], append(slices.Clone(last), events[cut:]...)
		state := path("state.bin")
		args := append(slices.Clone(geoip), "--state", state, "--accounts", path("split.jsonl"))
		out1, stderr, err := invoke(t, cmdScore, day1, args...)
		if err != nil {
			t.Fatalf("score, first half: %v\n%s", err, stderr)
		}
		out2, stderr, err := invoke(t, cmdScore, day2, args...)
		if err != nil {
			t.Fatalf("score, second half: %v\n%s", err, stderr)
		}
		if out1+out2 != refOut {
			t.Errorf("verdicts of two runs with --state differ from one run's")
		}
		if !bytes.Equal(readFile(t, path("split.jsonl")), refAccounts) {
			t.Errorf("account summaries after two runs with --state differ from one run's")
		}
		if _, _, err := invoke(t, cmdScore, day1, append(slices.Clone(geoip), "--state", path("no/such/dir/state.bin"))...); err == nil || !strings.Contains(err.Error(), "--state") {
			t.Errorf("a state file in a missing directory gave %v, want an error naming --state before scoring", err)
		}
		if err := os.WriteFile(path("bad.bin"), []byte("not a state"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := invoke(t, cmdScore, events, append(slices.Clone(geoip), "--state", path("bad.bin"))...); err == nil || !strings.Contains(err.Error(), "--state") {
			t.Errorf("a bad state file gave %v, want an error naming --state", err)
		}
	})

	t.Run("warm-up", func(t *testing.T) {
		out, stderr, err := invoke(t, cmdScore, events, append(geoip, "--accounts", path("warm.jsonl"), "--count-from", "2026-10-04T00:00:00Z")...)
		if err != nil {
			t.Fatalf("score --count-from: %v\n%s", err, stderr)
		}
		if out != refOut {
			t.Errorf("a warm-up changed the verdicts; it must change only the summaries")
		}
		for _, f := range jsonField(t, readFile(t, path("warm.jsonl")), "counted_from") {
			if f != "2026-10-04T00:00:00Z" {
				t.Fatalf("summary counted_from %q", f)
			}
		}
		out, stderr, err = invoke(t, cmdEval, nil, "--labels", path("labels.jsonl"), "--accounts", path("warm.jsonl"))
		if err != nil {
			t.Fatalf("eval: %v\n%s", err, stderr)
		}
		if !strings.Contains(out, "counted from 2026-10-04T00:00:00Z after a warm-up") {
			t.Errorf("eval does not say the summaries start after a warm-up:\n%s", out)
		}
		if _, _, err := invoke(t, cmdScore, events, append(geoip, "--count-from", "yesterday")...); err == nil || !strings.Contains(err.Error(), "--count-from") {
			t.Errorf("a bad --count-from gave %v, want an error naming the flag", err)
		}
	})
}

// TestScoreFutureDatedBacktest: a simulated population dated in the future
// is a backtest, and score scores it by default; --max-clock-skew, for a
// production backfill, rejects every such line as clock_skew.
func TestScoreFutureDatedBacktest(t *testing.T) {
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name) }
	if _, stderr, err := invoke(t, cmdSimulate, nil, "--accounts", "5", "--days", "2", "--seed", "3", "--start", "2099-01-01T00:00:00Z",
		"--events", path("ev.jsonl"), "--labels", path("labels.jsonl"),
		"--geoip-city", path("city.mmdb"), "--geoip-asn", path("asn.mmdb")); err != nil {
		t.Fatalf("simulate: %v\n%s", err, stderr)
	}
	events := readFile(t, path("ev.jsonl"))
	n := len(jsonField(t, events, "event_id"))
	geoip := []string{"--geoip-city", path("city.mmdb"), "--geoip-asn", path("asn.mmdb")}

	out, stderr, err := invoke(t, cmdScore, events, geoip...)
	if err != nil {
		t.Fatalf("score: %v\n%s", err, stderr)
	}
	if got := strings.Count(out, "\n"); got != n || strings.Contains(stderr, "clock_skew") {
		t.Errorf("default score: %d verdicts for %d events, stderr %q", got, n, stderr)
	}

	out, stderr, err = invoke(t, cmdScore, events, append(geoip, "--max-clock-skew", "1h")...)
	if err != nil {
		t.Fatalf("score --max-clock-skew: %v\n%s", err, stderr)
	}
	if out != "" || strings.Count(stderr, "clock_skew") != n {
		t.Errorf("score --max-clock-skew 1h: %d bytes of verdicts, %d clock_skew lines for %d events", len(out), strings.Count(stderr, "clock_skew"), n)
	}
}

func TestScoreUsage(t *testing.T) {
	_, stderr, err := invoke(t, cmdScore, nil)
	if err == nil || !strings.Contains(err.Error(), "--geoip-city is required") || !strings.Contains(stderr, "usage: sharewatch score") {
		t.Errorf("score without --geoip-city: err %v, stderr %q", err, stderr)
	}
}

func TestCheckRules(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	def := filepath.Join("..", "..", "rules", "default.yml")
	badAction := write("bad-action.yml", "version: v1\nrules:\n  - name: a\n    when:\n      verdict: sharing\n    action: ticket\n  - name: b\n    when:\n      verdict: sharing\n    action: ban\n")
	noVersion := write("no-version.yml", "rules:\n  - name: a\n    action: ticket\n")
	unknownKey := write("unknown-key.yml", "version: v1\nrulez: []\n")
	badVerdict := write("bad-verdict.yml", "version: v1\nrules:\n  - name: a\n    when:\n      verdict: shared\n    action: hold\n")

	tests := []struct {
		name      string
		args      []string
		want      string // "ok", "usage" or "rejected"
		wantOut   []string
		wantStder []string
	}{
		{
			name:    "default policy",
			args:    []string{def},
			want:    "ok",
			wantOut: []string{def + ": OK: policy " + rules.Default().Version + ", 3 rules"},
		},
		{
			name:      "bad action with its line",
			args:      []string{badAction},
			want:      "rejected",
			wantStder: []string{"line 7: ", `action "ban"`},
		},
		{name: "no version", args: []string{noVersion}, want: "rejected", wantStder: []string{"version is required"}},
		{name: "unknown key", args: []string{unknownKey}, want: "rejected", wantStder: []string{"rulez"}},
		{name: "unknown verdict", args: []string{badVerdict}, want: "rejected", wantStder: []string{"line 3: ", `verdict "shared"`}},
		{name: "missing file", args: []string{filepath.Join(dir, "nope.yml")}, want: "rejected", wantStder: []string{"nope.yml"}},
		{
			name:      "good and bad together",
			args:      []string{def, badAction},
			want:      "rejected",
			wantOut:   []string{def + ": OK"},
			wantStder: []string{`action "ban"`},
		},
		{name: "no file", args: nil, want: "usage", wantStder: []string{"usage: sharewatch check-rules"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, err := invoke(t, cmdCheckRules, nil, tc.args...)
			switch {
			case tc.want == "ok" && err != nil:
				t.Errorf("err %v, want success", err)
			case tc.want == "usage" && !errors.Is(err, errUsage):
				t.Errorf("err %v, want a usage error", err)
			case tc.want == "rejected" && (err == nil || errors.Is(err, errUsage)):
				t.Errorf("err %v, want the policy rejected", err)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout %q does not contain %q", out, w)
				}
			}
			for _, w := range tc.wantStder {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not contain %q", stderr, w)
				}
			}
			if tc.want != "ok" && strings.Contains(out, "OK") && len(tc.wantOut) == 0 {
				t.Errorf("rejected policy reported OK: %q", out)
			}
		})
	}
}

func TestEvalUsage(t *testing.T) {
	_, _, err := invoke(t, cmdEval, nil, "--labels", "x")
	if !errors.Is(err, errUsage) {
		t.Errorf("eval without --accounts: err %v, want a usage error", err)
	}
}
