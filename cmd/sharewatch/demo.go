package main

import (
	"context"
	"flag"

	"github.com/sharewatch/sharewatch/pipeline"
)

func cmdDemo(ctx context.Context, args []string, io stdio) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.err)
	var sf simFlags
	sf.register(fs, 1000, 30)
	dir := fs.String("dir", "sharewatch-demo", "directory for GeoIP databases, verdicts, tickets and hold state")
	ch := fs.String("clickhouse", "", "ClickHouse DSN (clickhouse://host:9000/sharewatch); verdicts also go there")
	listen := fs.String("listen", "127.0.0.1:9464", "serve /metrics and /healthz here while running; empty disables")
	linger := fs.Bool("linger", false, "keep running after the summary (to scrape /metrics) until interrupted")
	logLevel := fs.String("log-level", "warn", "log level")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pop, err := sf.config()
	if err != nil {
		return err
	}
	return pipeline.Demo(ctx, pipeline.DemoOptions{
		Options:       pipeline.Options{Logger: newLogger(io.err, *logLevel)},
		Population:    pop,
		Dir:           *dir,
		ClickHouseDSN: *ch,
		Listen:        *listen,
		Linger:        *linger,
		Out:           io.out,
	})
}
