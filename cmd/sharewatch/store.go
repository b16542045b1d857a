package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/sharewatch/sharewatch/config"
	"github.com/sharewatch/sharewatch/pipeline"
	"github.com/sharewatch/sharewatch/verdictstore"
)

func openStore(fs *flag.FlagSet, cfgPath string, io stdio) (*verdictstore.ClickHouse, error) {
	if cfgPath == "" {
		fs.Usage()
		return nil, errUsage
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, err
	}
	return verdictstore.NewClickHouse(verdictstore.ClickHouseOptions{Config: cfg.ClickHouse.Config, Logger: newLogger(io.err, "warn")})
}

func cmdMigrate(ctx context.Context, args []string, io stdio) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(io.err)
	cfgPath := fs.String("config", "", "config file (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := openStore(fs, *cfgPath, io)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	vs, err := st.AppliedMigrations(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.out, "schema up to date: migrations %v applied in database %s\n", vs, st.Config().Database)
	return nil
}

func cmdExplain(ctx context.Context, args []string, io stdio) error {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(io.err)
	cfgPath := fs.String("config", "", "config file (required)")
	fs.Usage = func() { fmt.Fprintf(io.err, "usage: sharewatch explain ACCOUNT_ID --config FILE\n") }
	// Accept the account id before or after the flags.
	var account string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		account, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if account == "" && fs.NArg() == 1 {
		account = fs.Arg(0)
	}
	if account == "" {
		fs.Usage()
		return errUsage
	}
	st, err := openStore(fs, *cfgPath, io)
	if err != nil {
		return err
	}
	defer st.Close()
	return pipeline.Explain(ctx, st, account, io.out)
}
