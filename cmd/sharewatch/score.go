package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"

	"github.com/sharewatch/sharewatch/config"
	"github.com/sharewatch/sharewatch/internal/atomicfile"
	"github.com/sharewatch/sharewatch/pipeline"
	"github.com/sharewatch/sharewatch/scoring"
)

func cmdScore(ctx context.Context, args []string, io stdio) error {
	fs := flag.NewFlagSet("score", flag.ContinueOnError)
	fs.SetOutput(io.err)
	city := fs.String("geoip-city", "", "GeoIP2/GeoLite2 City database (required unless in --config)")
	asn := fs.String("geoip-asn", "", "GeoLite2 ASN database (optional)")
	cfgPath := fs.String("config", "", "config file; its outputs (ClickHouse, verdict file, helpdesk, holds) are written too")
	accounts := fs.String("accounts", "", "write the account summaries to this file at the end")
	model := fs.String("model", "", "model file (default: the built-in model)")
	batch := fs.Int("batch-size", 4096, "events scored between output writes")
	skew := fs.Duration("max-clock-skew", 0, "an event stamped further than this after the time it is read is a bad line (reason clock_skew), not scored; 0 (the default): no check, since a backtest's simulated events may be dated in the future (set 1h for a production backfill)")
	logLevel := fs.String("log-level", "warn", "log level")
	countFrom := fs.String("count-from", "", "end of a warm-up (RFC 3339): earlier events build state but do not count in the --accounts summaries (verdicts and outputs are unchanged)")
	actFrom := fs.String("act-from", "", "backfill until this time (RFC 3339): earlier events are scored and written but open no ticket and place no hold")
	statePath := fs.String("state", "", "state file: read at the start if it exists, replaced at the end, so a stream scored in several runs gets the verdicts of one run (an event_id sent again is dropped within 6 h of event time or the account's last 8 events; one run drops it whenever)")
	fs.Usage = func() {
		fmt.Fprintf(io.err, "usage: sharewatch score --geoip-city CITY.mmdb [--geoip-asn ASN.mmdb] [--config FILE] [--accounts accounts.jsonl] [--state state.bin] < events.jsonl > verdicts.jsonl\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := config.Default()
	outputs := false
	if *cfgPath != "" {
		c, err := config.Load(*cfgPath)
		if err != nil {
			return err
		}
		cfg, outputs = c, true
	}
	if *city != "" {
		cfg.GeoIP.City = *city
	}
	if *asn != "" {
		cfg.GeoIP.ASN = *asn
	}
	if *model != "" {
		cfg.Scoring.Model = *model
	}
	if cfg.GeoIP.City == "" {
		fs.Usage()
		return fmt.Errorf("--geoip-city is required")
	}
	cfg.GeoIP.ReloadInterval = 0 // a batch run reads one version of the files
	from, err := parseTimeFlag("--count-from", *countFrom)
	if err != nil {
		return err
	}
	act, err := parseTimeFlag("--act-from", *actFrom)
	if err != nil {
		return err
	}
	log := newLogger(io.err, *logLevel)
	st, err := pipeline.BuildStages(ctx, cfg, pipeline.StageOptions{Options: pipeline.Options{Logger: log, ActFrom: act}, Outputs: outputs, KeepSummaries: true, CountFrom: from, ConfigPath: *cfgPath})
	if err != nil {
		return err
	}
	defer st.Close()
	var stateOut *atomicfile.File
	if *statePath != "" {
		if err := restoreState(st.Scorer, *statePath); err != nil {
			return err
		}
		// Where the new state goes is checked now, not after the run's
		// outputs are written.
		if stateOut, err = atomicfile.Create(*statePath); err != nil {
			return fmt.Errorf("--state: %w", err)
		}
		defer stateOut.Abort()
	}
	o := pipeline.BatchOptions{In: io.in, Out: io.out, Errs: io.err, BatchSize: *batch, MaxClockSkew: *skew}
	var af *os.File
	if *accounts != "" {
		if af, err = os.Create(*accounts); err != nil {
			return err
		}
		defer af.Close()
		o.Accounts = af
	}
	stats, err := pipeline.ScoreStream(ctx, st.Processor, o)
	if err != nil {
		return err
	}
	if af != nil {
		if err := af.Sync(); err != nil {
			return err
		}
	}
	if stateOut != nil {
		if err := st.Scorer.Checkpoint(stateOut); err != nil {
			return fmt.Errorf("--state %s: %w", *statePath, err)
		}
		if err := stateOut.Commit(); err != nil {
			return fmt.Errorf("--state %s: %w", *statePath, err)
		}
	}
	log.Info("scored", "lines", stats.Lines, "events", stats.Events, "bad", stats.Bad, "duplicates", stats.Duplicates, "verdicts", stats.Verdicts)
	if stats.Bad > 0 {
		fmt.Fprintf(io.err, "sharewatch score: %d bad line(s) skipped, see above\n", stats.Bad)
	}
	return nil
}

// restoreState loads a state file written by saveState; a missing file is
// a first run.
func restoreState(s *scoring.Scorer, path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := s.Restore(f); err != nil {
		return fmt.Errorf("--state %s: %w", path, err)
	}
	return nil
}
