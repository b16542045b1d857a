package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/sharewatch/sharewatch/config"
	"github.com/sharewatch/sharewatch/holds"
	"github.com/sharewatch/sharewatch/tickets"
)

// cmdResetBrake lets an operator release the blast-radius brake after
// checking why it tripped (e.g. a bad GeoIP update was rolled back).
func cmdResetBrake(_ context.Context, args []string, io stdio) error {
	fs := flag.NewFlagSet("reset-brake", flag.ContinueOnError)
	fs.SetOutput(io.err)
	cfgPath := fs.String("config", "", "config file (required)")
	actor := fs.String("actor", os.Getenv("USER"), "who resets it, for the audit trail")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cfgPath == "" {
		fs.Usage()
		return errUsage
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.Holds.StateDir, 0o755); err != nil {
		return err
	}
	if err := holds.ResetBrake(cfg.Holds.StateDir, *actor); err != nil {
		return err
	}
	fmt.Fprintf(io.out, "brake reset requested by %s in %s; a running pipeline applies it before its next automatic hold\n", *actor, cfg.Holds.StateDir)
	return nil
}

// cmdResolve records an analyst's decision on a ticket of the built-in
// file queue (RT and Zendesk analysts decide in the helpdesk itself).
func cmdResolve(_ context.Context, args []string, io stdio) error {
	fs := flag.NewFlagSet("resolve", flag.ContinueOnError)
	fs.SetOutput(io.err)
	cfgPath := fs.String("config", "", "config file (required; helpdesk.kind must be file)")
	outcome := fs.String("outcome", "", "sharing or not_sharing (required)")
	reason := fs.String("reason", "", "the written justification (required)")
	analyst := fs.String("analyst", os.Getenv("USER"), "who decided")
	fs.Usage = func() {
		fmt.Fprintf(io.err, "usage: sharewatch resolve TICKET_REF --outcome sharing|not_sharing --reason TEXT --config FILE\n")
		fs.PrintDefaults()
	}
	var ref string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		ref, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if ref == "" && fs.NArg() == 1 {
		ref = fs.Arg(0)
	}
	if ref == "" || *cfgPath == "" {
		fs.Usage()
		return errUsage
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	if cfg.Helpdesk.Kind != tickets.KindFile {
		return fmt.Errorf("helpdesk.kind is %q: decide in that helpdesk (see README)", cfg.Helpdesk.Kind)
	}
	q, err := tickets.NewFileQueue(cfg.Helpdesk.File.Dir)
	if err != nil {
		return err
	}
	if err := q.Resolve(ref, tickets.Outcome(*outcome), *reason, *analyst); err != nil {
		return err
	}
	fmt.Fprintf(io.out, "%s resolved as %s; the pipeline reads the decision at its next poll\n", ref, *outcome)
	return nil
}
