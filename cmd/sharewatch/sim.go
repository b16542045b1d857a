package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sharewatch/sharewatch/evaluate"
	"github.com/sharewatch/sharewatch/scoring"
	"github.com/sharewatch/sharewatch/simulate"
)

// simFlags are the population flags shared by simulate, fit and demo.
type simFlags struct {
	accounts, days int
	seed           uint64
	profile        string
	start          string
	// knobs override single parameters of the profile; zero keeps the
	// profile's value.
	heartbeat time.Duration
	knobs     struct {
		accuracy, rate, devices, mobile, trips, sharer, departure, jitter, fallback float64
	}
}

func (f *simFlags) register(fs *flag.FlagSet, accounts, days int) {
	fs.IntVar(&f.accounts, "accounts", accounts, "number of accounts")
	fs.IntVar(&f.days, "days", days, "number of days")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed; the same flags give byte-identical output")
	fs.StringVar(&f.profile, "profile", "default", "parameter profile: default or alt (changed parameters, for generalisation checks)")
	fs.StringVar(&f.start, "start", "2026-10-01T00:00:00Z", "first simulated day (RFC 3339)")
	// One flag per knob, so a sweep can change one parameter of a profile
	// at a time and see which one a detector is sensitive to.
	fs.DurationVar(&f.heartbeat, "heartbeat", 0, "clients' heartbeat interval (0: the profile's)")
	k := &f.knobs
	for _, o := range []struct {
		v          *float64
		name, help string
	}{
		{&k.accuracy, "accuracy-scale", "multiplies every accuracy radius (synthetic GeoIP only)"},
		{&k.rate, "session-rate", "multiplies how often everyone streams"},
		{&k.devices, "devices-scale", "multiplies the owner household's number of devices"},
		{&k.mobile, "mobile-share", "multiplies the share of sessions on mobile data"},
		{&k.trips, "trip-rate", "multiplies the number of trips travellers take"},
		{&k.sharer, "sharer-activity", "mean sessions a week of a friend sharer's household"},
		{&k.departure, "departure-p", "chance a traveller streams at home on a device they take along, before leaving"},
		{&k.jitter, "residential-jitter-km", "largest distance of a residential network's location from its city centre (synthetic GeoIP only)"},
	} {
		fs.Float64Var(o.v, o.name, 0, o.help+" (0: the profile's)")
	}
	fs.Float64Var(&k.fallback, "ipv4-fallback", 0, "share of an IPv6 device's sessions at a dual-stack home that use IPv4 (Happy Eyeballs); 0: none")
}

func (f *simFlags) config() (simulate.Config, error) {
	t, err := time.Parse(time.RFC3339, f.start)
	if err != nil {
		return simulate.Config{}, fmt.Errorf("--start: %w", err)
	}
	k := f.knobs
	c := simulate.Config{
		Accounts: f.accounts, Days: f.days, Seed: f.seed, Profile: f.profile, Start: t,
		HeartbeatEvery: f.heartbeat, AccuracyScale: k.accuracy, SessionRateScale: k.rate,
		DevicesScale: k.devices, MobileShareScale: k.mobile, TripRate: k.trips,
		SharerActivity: k.sharer, DepartureSessionP: k.departure, ResidentialJitterKM: k.jitter,
		IPv4Fallback: k.fallback,
	}
	return c, c.Validate()
}

func cmdSimulate(_ context.Context, args []string, io stdio) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(io.err)
	var sf simFlags
	sf.register(fs, 3000, 30)
	events := fs.String("events", "-", "events output (JSON lines); - for stdout")
	labels := fs.String("labels", "labels.jsonl", "labels output (JSON lines)")
	city := fs.String("geoip-city", "", "also write a GeoLite2-City shaped database for the population's IPs here")
	asn := fs.String("geoip-asn", "", "also write a GeoLite2-ASN shaped database here (with --geoip-city)")
	realCity := fs.String("real-geoip-city", "", "build the population from real networks in this GeoLite2/GeoIP2 City database (with --real-geoip-asn); score it with the same files (scripts/geolite2.sh fetches them; never commit them)")
	realASN := fs.String("real-geoip-asn", "", "real GeoLite2 ASN database (with --real-geoip-city)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := sf.config()
	if err != nil {
		return err
	}
	cfg.RealGeoIP = simulate.RealGeoIP{City: *realCity, ASN: *realASN}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if *city != "" {
		if err := simulate.WriteGeoIP(cfg, *city, *asn); err != nil {
			return err
		}
	}
	out := io.out
	if *events != "-" {
		f, err := os.Create(*events)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	lf, err := os.Create(*labels)
	if err != nil {
		return err
	}
	defer lf.Close()
	st, err := simulate.Generate(cfg, out, lf)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.err, "simulated %d accounts over %d days: %d events (%d sharing accounts)\n", cfg.Accounts, cfg.Days, st.Events, st.SharingAccounts)
	return lf.Close()
}

func parseSeeds(s string) ([]uint64, error) {
	var out []uint64
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("seed %q: %w", p, err)
		}
		out = append(out, n)
	}
	return out, nil
}

func cmdFit(_ context.Context, args []string, io stdio) error {
	fs := flag.NewFlagSet("fit", flag.ContinueOnError)
	fs.SetOutput(io.err)
	var sf simFlags
	sf.register(fs, 2000, 30)
	seeds := fs.String("seeds", "101,102", "training population seeds (comma-separated)")
	altSeeds := fs.String("alt-seeds", "103", "training seeds simulated with the alt profile too, so the fit sees varied parameters")
	check := fs.String("check-seeds", "201", "fresh seeds to evaluate the fitted model on")
	out := fs.String("out", "model.json", "where to write the model")
	ver := fs.String("version", "", "model version (default lr-YYYYMMDD)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	base, err := sf.config()
	if err != nil {
		return err
	}
	var pops []simulate.Config
	for _, list := range []struct{ seeds, profile string }{{*seeds, base.Profile}, {*altSeeds, simulate.ProfileAlt}} {
		ss, err := parseSeeds(list.seeds)
		if err != nil {
			return err
		}
		for _, s := range ss {
			p := base
			p.Seed, p.Profile = s, list.profile
			pops = append(pops, p)
		}
	}
	dir, err := os.MkdirTemp("", "sharewatch-fit-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if *ver == "" {
		*ver = "lr-" + time.Now().UTC().Format("20060102")
	}
	m, err := evaluate.Fit(pops, scoring.DefaultConfig(), dir, *ver)
	if err != nil {
		return err
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(io.out, "wrote %s (%s)\n", filepath.Clean(*out), m.Version)
	for i, n := range scoring.FeatureNames {
		fmt.Fprintf(io.out, "  %-22s %+.3f\n", n, m.Weights[i])
	}
	fmt.Fprintf(io.out, "  %-22s %+.3f\n", "bias", m.Bias)
	cs, err := parseSeeds(*check)
	if err != nil {
		return err
	}
	for _, s := range cs {
		for _, prof := range []string{simulate.ProfileDefault, simulate.ProfileAlt} {
			p := base
			p.Seed, p.Profile = s, prof
			r, err := evaluate.Run(p, scoring.DefaultConfig(), m, dir, nil)
			if err != nil {
				return err
			}
			fmt.Fprintf(io.out, "\n== fresh seed %d, profile %s ==\n", s, prof)
			if err := r.Write(io.out, simulate.Scenarios); err != nil {
				return err
			}
		}
	}
	return nil
}
