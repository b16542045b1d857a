// Package testchdb runs SQL on a current ClickHouse release in tests, through
// chDB: the ClickHouse engine as a library, from the npm package chdb, whose
// platform package ships libchdb.so. No current clickhouse-server can be
// installed here (Debian has 18.16, there is no Docker), but npm packages
// can, so this is how the DDL and queries that internal/testch checks on
// 18.16 are also checked on a current release.
//
// A Session is a data directory. Each Run starts `node chdbsql.js`, which
// opens the directory, runs the statements in order and exits, so every Run
// after the first also reopens the tables from disk, as a server restart
// does. A Run costs about 0.4 s.
//
// scripts/test-deps.sh installs chdb into /opt/sharewatch-chdb (DirEnv
// overrides it). When it is missing the test fails with that hint, unless
// SHAREWATCH_SKIP_CHDB=1 opts out explicitly outside CI, in which case it
// is skipped. Under CI=true a missing chdb always fails.
package testchdb

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// DirEnv names the npm prefix chdb is installed in. Default: DefaultDir.
const DirEnv = "SHAREWATCH_CHDB_DIR"

// DefaultDir is where scripts/test-deps.sh installs chdb.
const DefaultDir = "/opt/sharewatch-chdb"

// SkipEnv is the environment variable that, set to 1 outside CI, turns a
// missing chdb into a skipped test instead of a failed one.
const SkipEnv = "SHAREWATCH_SKIP_CHDB"

// ErrNotInstalled is returned when node or the chdb package is missing.
var ErrNotInstalled = errors.New("chdb is not installed; run scripts/test-deps.sh, set " + DirEnv + " to the npm prefix holding node_modules/chdb, or set " + SkipEnv + "=1 to skip outside CI")

//go:embed chdbsql.js
var script []byte

const runTimeout = 2 * time.Minute

// Install is a node binary and the npm prefix chdb is installed in.
type Install struct {
	Node string
	Dir  string
}

// Find looks for node on PATH and for node_modules/chdb under DirEnv or
// DefaultDir.
func Find() (Install, error) {
	dir := os.Getenv(DirEnv)
	if dir == "" {
		dir = DefaultDir
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return Install{}, fmt.Errorf("%w (no node on PATH)", ErrNotInstalled)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "chdb", "package.json")); err != nil {
		return Install{}, fmt.Errorf("%w (%v)", ErrNotInstalled, err)
	}
	return Install{Node: node, Dir: dir}, nil
}

// Session is a chDB data directory that lives as long as the test.
type Session struct {
	install Install
	script  string
	path    string
}

// New returns a session on a fresh data directory.
func New(t testing.TB) *Session {
	t.Helper()
	in, err := Find()
	if err != nil {
		if os.Getenv(SkipEnv) == "1" && os.Getenv("CI") != "true" {
			t.Skipf("skipping chDB test: %s=1 and %v", SkipEnv, err)
		}
		t.Fatalf("current-ClickHouse tests need chdb: %v", err)
	}
	dir := t.TempDir()
	s := &Session{install: in, script: filepath.Join(dir, "chdbsql.js"), path: filepath.Join(dir, "data")}
	if err := os.WriteFile(s.script, script, 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// Result is what one statement returned: its output, JSONEachRow for a
// SELECT, or the engine's error text.
type Result struct {
	Output string `json:"output"`
	Error  string `json:"error"`
}

// Rows decodes a SELECT's JSONEachRow output, one map per row. Numbers
// are json.Number, since current releases print UInt64 unquoted.
func (r Result) Rows() ([]map[string]any, error) {
	var rows []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(r.Output), "\n") {
		if line == "" {
			continue
		}
		d := json.NewDecoder(strings.NewReader(line))
		d.UseNumber()
		var row map[string]any
		if err := d.Decode(&row); err != nil {
			return nil, fmt.Errorf("decoding row %q: %w", line, err)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// Run runs the statements in order in one process and returns one Result
// for each; a statement that fails does not stop the ones after it. The
// error is for the process only: node or the engine failing. Times are in
// UTC, as in internal/testch's servers.
func (s *Session) Run(ctx context.Context, statements ...string) ([]Result, error) {
	req, err := json.Marshal(map[string]any{"path": s.path, "statements": statements})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.install.Node, s.script, s.install.Dir)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("running chdb: %w\nstderr:\n%s", err, stderr.Bytes())
	}
	var resp struct {
		Results []Result `json:"results"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, fmt.Errorf("decoding chdb output: %w\nstdout:\n%s\nstderr:\n%s", err, out, stderr.Bytes())
	}
	if len(resp.Results) != len(statements) {
		return nil, fmt.Errorf("chdb returned %d results for %d statements", len(resp.Results), len(statements))
	}
	return resp.Results, nil
}

// MustRun is Run that fails the test on any error, the process's or a
// statement's, naming the statement.
func (s *Session) MustRun(t testing.TB, statements ...string) []Result {
	t.Helper()
	rs, err := s.Run(context.Background(), statements...)
	if err != nil {
		t.Fatal(err)
	}
	failed := false
	for i, r := range rs {
		if r.Error != "" {
			t.Errorf("statement fails on current ClickHouse (chDB): %s\n%s", r.Error, statements[i])
			failed = true
		}
	}
	if failed {
		t.FailNow()
	}
	return rs
}
