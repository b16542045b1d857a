// Package testch starts a real ClickHouse server for tests: Debian's
// clickhouse-server (18.16), or any newer `clickhouse server` on PATH.
//
// Each server runs on free loopback ports with its own config, users file and
// data directory in a temporary directory, the recipe of shared/FACTS.md.
// Start shares one server per test binary and gives each test its own
// database; New gives a test a private server it may stop and restart.
//
// When no server binary is found the test fails with a hint to run
// scripts/clickhouse.sh, unless SHAREWATCH_SKIP_CLICKHOUSE=1 opts out
// explicitly, in which case it is skipped.
package testch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// DirEnv names the directory under which servers keep their config, data
// and logs. Default: /dev/shm when writable, else the system temp dir. On
// the ext4 disk of a busy shared machine, creating and deleting part files
// costs ClickHouse 18.16 ~1.5 ms of kernel CPU per column per insert; on
// tmpfs it is ~10x less.
const DirEnv = "SHAREWATCH_CLICKHOUSE_DIR"

// SkipEnv is the environment variable that, set to 1, turns a missing
// ClickHouse server into a skipped test instead of a failed one.
const SkipEnv = "SHAREWATCH_SKIP_CLICKHOUSE"

// ErrNoServer is returned when no ClickHouse server binary is found.
var ErrNoServer = errors.New("no clickhouse-server (or clickhouse) binary found on PATH or in /usr/sbin; run scripts/clickhouse.sh or set " + SkipEnv + "=1 to skip")

const (
	readyTimeout = 30 * time.Second
	stopTimeout  = 30 * time.Second
	startTries   = 3
)

// Server is one ClickHouse server process with its own directory and ports.
// Its methods are safe for concurrent use.
type Server struct {
	dir      string
	command  []string
	tcpPort  int
	httpPort int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
}

// Binary returns the command that starts a server: clickhouse-server, or
// clickhouse with its server subcommand.
func Binary() ([]string, error) {
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return []string{p}, nil
	}
	// /usr/sbin is not on every user's PATH.
	if st, err := os.Stat("/usr/sbin/clickhouse-server"); err == nil && !st.IsDir() {
		return []string{"/usr/sbin/clickhouse-server"}, nil
	}
	if p, err := exec.LookPath("clickhouse"); err == nil {
		return []string{p, "server"}, nil
	}
	return nil, ErrNoServer
}

func requireBinary(t testing.TB) []string {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv(SkipEnv) == "1" {
			t.Skipf("skipping ClickHouse test: %s=1 and %v", SkipEnv, err)
		}
		t.Fatalf("ClickHouse tests need a real server: %v", err)
	}
	return bin
}

// New starts a private server for the test and stops it when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	bin := requireBinary(t)
	dir, err := serverDir()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) }) // runs after Stop below
	s, err := newServer(bin, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stopping ClickHouse: %v", err)
		}
	})
	return s
}

func newServer(bin []string, dir string) (*Server, error) {
	var lastErr error
	for range startTries {
		tcp, http, err := freePorts()
		if err != nil {
			return nil, err
		}
		s := &Server{dir: dir, command: bin, tcpPort: tcp, httpPort: http}
		if err := s.writeConfig(); err != nil {
			return nil, err
		}
		if lastErr = s.Start(); lastErr == nil {
			return s, nil
		}
		// A port taken between probing and binding is the usual cause; try
		// other ports in a clean directory.
		if err := os.RemoveAll(filepath.Join(dir, "data")); err != nil {
			return nil, err
		}
	}
	return nil, lastErr
}

// Addr returns the native protocol address, host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.tcpPort)) }

// DSN returns a native protocol DSN for database db ("" for none).
func (s *Server) DSN(db string) string { return "clickhouse://" + s.Addr() + "/" + db }

// Dir returns the server's directory: config, users, data and logs.
func (s *Server) Dir() string { return s.dir }

// ErrorLog returns the server's error log, or a note saying why it can't.
func (s *Server) ErrorLog() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "log", "s.err.log"))
	if err != nil {
		return fmt.Sprintf("(no error log: %v)", err)
	}
	const max = 8 << 10
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// Start starts the server process and waits until it answers SELECT 1. It
// reuses the directory and ports, so it also restarts a stopped server.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("clickhouse server already running")
	}
	args := append(append([]string(nil), s.command[1:]...), "--config-file="+filepath.Join(s.dir, "config.xml"))
	cmd := exec.Command(s.command[0], args...)
	cmd.Dir = s.dir
	out, err := os.OpenFile(filepath.Join(s.dir, "log", "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	// The server must not outlive a test binary that dies without cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// Pdeathsig fires when the starting thread exits, so start and wait
	// from one goroutine locked to its thread for the server's lifetime.
	started := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(done)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("starting %s: %w", s.command[0], err)
	}
	if err := s.waitReady(done); err != nil {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		return fmt.Errorf("clickhouse server on %s did not start: %w\nerror log (%s):\n%s",
			s.Addr(), err, filepath.Join(s.dir, "log", "s.err.log"), s.ErrorLog())
	}
	s.cmd, s.done = cmd, done
	servers.Store(s.Addr(), s)
	return nil
}

var servers sync.Map // Addr() -> *Server

// ServerFor returns the running server a DSN from this package points at, or
// nil.
func ServerFor(dsn string) *Server {
	for _, prefix := range []string{"clickhouse://", "tcp://"} {
		dsn = strings.TrimPrefix(dsn, prefix)
	}
	addr, _, _ := strings.Cut(dsn, "/")
	if s, ok := servers.Load(addr); ok {
		return s.(*Server)
	}
	return nil
}

// CPUTime returns the user plus system CPU time the running server process
// has used, for benchmarks that report cost independent of machine load.
func (s *Server) CPUTime() (time.Duration, error) {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		return 0, errors.New("clickhouse server not running")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// Fields after the parenthesised command name; utime and stime are the
	// 14th and 15th fields of the whole line.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat line %q", b)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond, nil
}

func (s *Server) waitReady(exited <-chan struct{}) error {
	deadline := time.Now().Add(readyTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("server process exited")
		default:
		}
		if lastErr = ping(s.Addr()); lastErr == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no answer to SELECT 1 within %v: %w", readyTimeout, lastErr)
}

func ping(addr string) error {
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        []string{addr},
		DialTimeout: time.Second,
		ReadTimeout: 5 * time.Second,
	})
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var one uint8
	return conn.QueryRow(ctx, "SELECT 1").Scan(&one)
}

// Stop stops the server with SIGTERM and waits for it to exit; SIGKILL
// follows if it takes too long. Stopping a stopped server does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-done:
		return nil
	case <-time.After(stopTimeout):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		return fmt.Errorf("clickhouse server did not stop within %v; killed", stopTimeout)
	}
}

// Restart stops the server and starts it again on the same data and ports.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.Start()
}

func (s *Server) writeConfig() error {
	for _, d := range []string{"log", "data", "tmp", "uf"} {
		if err := os.MkdirAll(filepath.Join(s.dir, d), 0o755); err != nil {
			return err
		}
	}
	dir := s.dir
	config := `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>` + dir + `/log/s.log</log><errorlog>` + dir + `/log/s.err.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>` + strconv.Itoa(s.tcpPort) + `</tcp_port>
  <http_port>` + strconv.Itoa(s.httpPort) + `</http_port>
  <path>` + dir + `/data/</path>
  <tmp_path>` + dir + `/tmp/</tmp_path>
  <user_files_path>` + dir + `/uf/</user_files_path>
  <users_config>` + dir + `/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
</yandex>
`
	users := `<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>
      <!-- Beyond the FACTS recipe: an idle client connection holds SIGTERM
           for one poll_interval (default 10 s) on 18.16. -->
      <poll_interval>1</poll_interval>
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default/></quotas>
</yandex>
`
	if err := os.WriteFile(filepath.Join(dir, "config.xml"), []byte(config), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "users.xml"), []byte(users), 0o644)
}

// serverDir makes a fresh directory for one server.
func serverDir() (string, error) {
	parent := os.Getenv(DirEnv)
	if parent == "" {
		if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() && syscall.Access("/dev/shm", 2 /* W_OK */) == nil {
			parent = "/dev/shm"
		}
	}
	dir, err := os.MkdirTemp(parent, "testch-")
	if err != nil {
		return "", fmt.Errorf("making ClickHouse server dir: %w", err)
	}
	return dir, nil
}

// freePorts returns two loopback ports that were free a moment ago.
func freePorts() (int, int, error) {
	var ports [2]int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, 0, fmt.Errorf("finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports[0], ports[1], nil
}

var shared struct {
	mu  sync.Mutex
	srv *Server
	dir string
	err error
	seq atomic.Int64
}

// Start returns the DSN of a fresh, empty database on the test binary's
// shared server, starting the server on first use. The database is dropped
// when the test ends. Call Run from TestMain so the server is stopped when
// the tests are done; the server is killed anyway if the test binary exits.
func Start(t testing.TB) string {
	t.Helper()
	bin := requireBinary(t)
	shared.mu.Lock()
	if shared.srv == nil && shared.err == nil {
		shared.dir, shared.err = serverDir()
		if shared.err == nil {
			shared.srv, shared.err = newServer(bin, shared.dir)
		}
	}
	srv, err := shared.srv, shared.err
	shared.mu.Unlock()
	if err != nil {
		t.Fatalf("starting shared ClickHouse server: %v", err)
	}

	db := DatabaseName(t.Name(), shared.seq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := exec1(ctx, srv.Addr(), "CREATE DATABASE IF NOT EXISTS "+db); err != nil {
		t.Fatalf("creating test database %s: %v\nerror log:\n%s", db, err, srv.ErrorLog())
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := exec1(ctx, srv.Addr(), "DROP DATABASE IF EXISTS "+db); err != nil {
			t.Logf("dropping test database %s: %v", db, err)
		}
	})
	return srv.DSN(db)
}

// Run runs the tests and then stops the shared server, returning the exit
// code for os.Exit. Use it from TestMain.
func Run(m *testing.M) int {
	code := m.Run()
	if err := StopShared(); err != nil {
		fmt.Fprintln(os.Stderr, "testch:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// StopShared stops the shared server, if one was started, and removes its
// directory.
func StopShared() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	var err error
	if shared.srv != nil {
		err = shared.srv.Stop()
		shared.srv = nil
	}
	if shared.dir != "" {
		err = errors.Join(err, os.RemoveAll(shared.dir))
		shared.dir = ""
	}
	shared.err = nil
	return err
}

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// DatabaseName turns a test name into a unique, valid database name.
func DatabaseName(testName string, seq int64) string {
	n := nonIdent.ReplaceAllString(strings.ToLower(testName), "_")
	if len(n) > 40 {
		n = n[:40]
	}
	return fmt.Sprintf("t%d_%s", seq, strings.Trim(n, "_"))
}

func exec1(ctx context.Context, addr, query string) error {
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}, DialTimeout: 5 * time.Second})
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Exec(ctx, query)
}
