package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/sharewatch/sharewatch/evaluate"
	"github.com/sharewatch/sharewatch/ingest"
	"github.com/sharewatch/sharewatch/simulate"
)

// cmdPerturb rewrites an event file as another producer might send it, so
// that any population (ours or somebody else's) can be scored again after
// the rewrite and the figures compared.
func cmdPerturb(_ context.Context, args []string, io stdio) error {
	fs := flag.NewFlagSet("perturb", flag.ContinueOnError)
	fs.SetOutput(io.err)
	noSessions := fs.Bool("no-session-ids", false, "drop every session_id")
	loginsOnly := fs.Bool("logins-only", false, "drop heartbeats and logouts")
	noUA := fs.Bool("no-user-agents", false, "drop every user_agent")
	plainTVs := fs.Bool("plain-hotel-tvs", false, "give hotel in-room TVs an ordinary smart-TV user agent")
	browserReset := fs.Duration("browser-id-reset", 0, "give desktop browsers a new device_id every period (cookies cleared)")
	renumber := fs.Duration("renumber-every", 0, "give every IPv4 address a new one inside its GeoIP network every period (needs --geoip-city)")
	city := fs.String("geoip-city", "", "GeoIP2/GeoLite2 City database, for --renumber-every")
	late := fs.Duration("late", 0, "deliver every event up to this late, in arrival order (reads the whole stream first)")
	fs.Usage = func() {
		fmt.Fprintf(io.err, "usage: sharewatch perturb [flags] < events.jsonl > perturbed.jsonl\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *renumber > 0 && *city == "" {
		return errors.New("--renumber-every needs --geoip-city")
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"--browser-id-reset", *browserReset}, {"--renumber-every", *renumber}, {"--late", *late}} {
		if f.d < 0 {
			return fmt.Errorf("%s must not be negative, got %s", f.name, f.d)
		}
	}
	var ps []evaluate.Perturb
	add := func(on bool, p func() evaluate.Perturb) {
		if on {
			ps = append(ps, p())
		}
	}
	add(*noSessions, evaluate.NoSessionIDs)
	add(*loginsOnly, evaluate.LoginsOnly)
	add(*plainTVs, evaluate.PlainHotelTVs)
	add(*noUA, evaluate.NoUserAgents)
	add(*browserReset > 0, func() evaluate.Perturb { return evaluate.BrowserIDReset(*browserReset) })
	if *renumber > 0 {
		network, closer, err := evaluate.CityNetworks(*city)
		if err != nil {
			return err
		}
		defer closer.Close()
		ps = append(ps, evaluate.Renumber(network, *renumber))
	}
	add(*late > 0, func() evaluate.Perturb { return evaluate.Late(*late) })

	sc := bufio.NewScanner(io.in)
	sc.Buffer(make([]byte, 0, 64<<10), ingest.MaxEventBytes)
	line := 0
	var readErr error
	next := func() (ingest.Event, bool) {
		if readErr != nil || !sc.Scan() {
			return ingest.Event{}, false
		}
		line++
		ev, err := ingest.Decode(sc.Bytes())
		if err != nil {
			readErr = fmt.Errorf("line %d: %w", line, err)
			return ingest.Event{}, false
		}
		return ev, true
	}
	for _, p := range ps {
		next = p(next)
	}
	w := bufio.NewWriterSize(io.out, 256<<10)
	buf := make([]byte, 0, 1024)
	n := 0
	for ev, ok := next(); ok; ev, ok = next() {
		buf = append(simulate.AppendJSON(buf[:0], ev), '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
		n++
	}
	if err := sc.Err(); readErr == nil && err != nil {
		readErr = fmt.Errorf("line %d: %w", line+1, err)
	}
	if readErr != nil {
		return readErr
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(io.err, "perturbed %d of %d events\n", n, line)
	return nil
}
