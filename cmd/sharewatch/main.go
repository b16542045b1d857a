// Command sharewatch detects account-sharing abuse in a stream of login
// events. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdio stdio) error
}

type stdio struct {
	in       io.Reader
	out, err io.Writer
}

var commands = map[string]command{
	"run":         {"consume Kafka and score continuously (production)", cmdRun},
	"demo":        {"run the whole pipeline on an embedded broker and a simulated population", cmdDemo},
	"score":       {"score contract events from stdin to verdicts on stdout (batch, backfill)", cmdScore},
	"simulate":    {"write a labelled synthetic population and its GeoIP databases", cmdSimulate},
	"eval":        {"compare account verdicts with labels, beside the impossible-travel baseline", cmdEval},
	"fit":         {"fit the scoring model on simulated populations", cmdFit},
	"perturb":     {"rewrite an event file as another producer might send it (robustness checks)", cmdPerturb},
	"check-rules": {"validate an action policy file", cmdCheckRules},
	"migrate":     {"apply the ClickHouse schema migrations (idempotent)", cmdMigrate},
	"explain":     {"print an account's history from ClickHouse for an analyst", cmdExplain},
	"reset-brake": {"release the blast-radius brake on automatic holds", cmdResetBrake},
	"resolve":     {"record an analyst's decision on a file-queue ticket", cmdResolve},
	"version":     {"print the version and model version", cmdVersion},
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: sharewatch COMMAND [flags]\n\ncommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nRun 'sharewatch COMMAND -h' for a command's flags.\n")
}

func main() {
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	name := os.Args[1]
	if name == "-h" || name == "--help" || name == "help" {
		usage(os.Stdout)
		return
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "sharewatch: unknown command %q\n\n", name)
		usage(os.Stderr)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cmd.run(ctx, os.Args[2:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "sharewatch %s: %v\n", name, err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
