package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/sharewatch/sharewatch/config"
	"github.com/sharewatch/sharewatch/evaluate"
	"github.com/sharewatch/sharewatch/pipeline"
	"github.com/sharewatch/sharewatch/rules"
	"github.com/sharewatch/sharewatch/scoring"
	"github.com/sharewatch/sharewatch/simulate"
)

// version is set with -ldflags "-X main.version=...".
var version = "dev"

func cmdVersion(_ context.Context, _ []string, io stdio) error {
	m, err := scoring.BuiltinModel()
	if err != nil {
		return err
	}
	fmt.Fprintf(io.out, "sharewatch %s, model %s, policy %s\n", version, m.Version, rules.Default().Version)
	return nil
}

func cmdCheckRules(_ context.Context, args []string, io stdio) error {
	fs := flag.NewFlagSet("check-rules", flag.ContinueOnError)
	fs.SetOutput(io.err)
	fs.Usage = func() { fmt.Fprintf(io.err, "usage: sharewatch check-rules FILE...\n") }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	failed := false
	for _, f := range fs.Args() {
		p, err := rules.Load(f)
		if err != nil {
			failed = true
			fmt.Fprintf(io.err, "%v\n", err)
			continue
		}
		fmt.Fprintf(io.out, "%s: OK: policy %s, %d rules\n", f, p.Version, len(p.Rules))
	}
	if failed {
		return errors.New("invalid policy")
	}
	return nil
}

func cmdEval(_ context.Context, args []string, io stdio) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(io.err)
	labelsPath := fs.String("labels", "", "labels file from sharewatch simulate (required)")
	accountsPath := fs.String("accounts", "", "account summaries from sharewatch score --accounts (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *labelsPath == "" || *accountsPath == "" {
		fs.Usage()
		return errUsage
	}
	lf, err := os.Open(*labelsPath)
	if err != nil {
		return err
	}
	defer lf.Close()
	labels, err := evaluate.ReadLabels(lf)
	if err != nil {
		return err
	}
	af, err := os.Open(*accountsPath)
	if err != nil {
		return err
	}
	defer af.Close()
	sums, err := evaluate.ReadSummaries(af)
	if err != nil {
		return err
	}
	return evaluate.Evaluate(labels, sums).Write(io.out, simulate.Scenarios)
}

func cmdRun(ctx context.Context, args []string, io stdio) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.err)
	cfgPath := fs.String("config", "", "config file (required)")
	logLevel := fs.String("log-level", "info", "log level")
	actFrom := fs.String("act-from", "", "backfill until this time (RFC 3339): earlier events are scored and written but open no ticket and place no hold")
	statePath := fs.String("state", "", "scorer state file: saved on a clean shutdown, restored on start when the group's committed offsets match it (one instance consuming the whole topic); otherwise scoring starts from nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cfgPath == "" {
		fs.Usage()
		return errUsage
	}
	from, err := parseTimeFlag("--act-from", *actFrom)
	if err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	return pipeline.Run(ctx, cfg, *cfgPath, pipeline.Options{Logger: newLogger(io.err, *logLevel), ActFrom: from, StateFile: *statePath})
}

// parseTimeFlag parses an optional RFC 3339 time flag ("" is the zero time).
func parseTimeFlag(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}
