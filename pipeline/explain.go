package pipeline

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sharewatch/sharewatch/scoring"
	"github.com/sharewatch/sharewatch/verdictstore"
)

// Explain prints an account's history from ClickHouse in a form an analyst
// can read in a minute: its current state, the places and devices seen,
// how the verdict changed and why, and every action taken.
func Explain(ctx context.Context, store *verdictstore.ClickHouse, accountID string, w io.Writer) error {
	vs, err := store.AccountHistory(ctx, accountID, 0)
	if err != nil {
		return err
	}
	acts, err := store.AccountActions(ctx, accountID)
	if err != nil {
		return err
	}
	state, ok, err := store.AccountState(ctx, accountID)
	if err != nil {
		return err
	}
	if len(vs) == 0 && len(acts) == 0 && !ok {
		return fmt.Errorf("account %q: no verdicts or actions in ClickHouse", accountID)
	}
	fmt.Fprintf(w, "account %s\n", accountID)
	if ok {
		ff := "never"
		if state.FirstFlagged != nil {
			ff = state.FirstFlagged.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "  now: %s (score %.2f, model %s), first flagged: %s\n  why: %s\n", state.Verdict, state.Score, state.ModelVersion, ff, state.Explanation)
	}
	if len(vs) > 0 {
		fmt.Fprintf(w, "  %d scored events from %s to %s\n", len(vs), vs[0].Time.UTC().Format(time.RFC3339), vs[len(vs)-1].Time.UTC().Format(time.RFC3339))
	}

	// Places: where the account's events came from.
	type agg struct {
		first, last time.Time
		events      int
		devices     map[string]bool
		days        map[string]bool
	}
	places := map[string]*agg{}
	devices := map[string]*agg{}
	add := func(m map[string]*agg, key, other string, v *scoring.Verdict) {
		a := m[key]
		if a == nil {
			a = &agg{first: v.Time, devices: map[string]bool{}, days: map[string]bool{}}
			m[key] = a
		}
		a.last = v.Time
		a.events++
		a.devices[other] = true
		a.days[v.Time.UTC().Format("2006-01-02")] = true
	}
	for i := range vs {
		v := &vs[i]
		where := v.City
		if where == "" {
			where = "(no city)"
		}
		pk := fmt.Sprintf("%s, %s, AS%d, ±%d km", where, v.Country, v.ASN, v.AccuracyKM)
		add(places, pk, v.DeviceID, v)
		add(devices, v.DeviceID, pk, v)
	}
	table := func(title, other string, m map[string]*agg) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return m[keys[i]].first.Before(m[keys[j]].first) })
		fmt.Fprintf(w, "\n%s\n", title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, k := range keys {
			a := m[k]
			fmt.Fprintf(tw, "  %s\t%s → %s\t%s\t%s\t%s\n", k, a.first.UTC().Format("01-02 15:04"), a.last.UTC().Format("01-02 15:04"),
				count(len(a.days), "day"), count(a.events, "event"), count(len(a.devices), other))
		}
		tw.Flush()
	}
	table("places (first → last seen, UTC):", "device", places)
	table("devices:", "place", devices)

	// Verdict changes, not every event.
	fmt.Fprintf(w, "\nverdict changes:\n")
	var last scoring.Label = 255
	for i := range vs {
		v := &vs[i]
		if v.Verdict == last {
			continue
		}
		last = v.Verdict
		fmt.Fprintf(w, "  %s  %-17s %.2f  %s\n      reasons: %s\n", v.Time.UTC().Format("2006-01-02 15:04"), v.Verdict, v.Score, v.Explanation, strings.Join(v.Reasons, ", "))
	}
	fmt.Fprintf(w, "\nactions:\n")
	if len(acts) == 0 {
		fmt.Fprintf(w, "  none\n")
	}
	for _, a := range acts {
		dry := ""
		if a.DryRun {
			dry = " (dry run: not carried out)"
		}
		ref := ""
		if a.TicketRef != "" {
			ref = " [" + a.TicketRef + "]"
		}
		fmt.Fprintf(w, "  %s  %-8s by %s%s%s: %s\n", a.Time.UTC().Format("2006-01-02 15:04"), a.Action, a.Actor, ref, dry, a.Reason)
	}
	return nil
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
