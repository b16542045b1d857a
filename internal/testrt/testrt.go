// Package testrt starts a real Request Tracker 5 (Debian's request-tracker5
// with the SQLite backend) for integration tests, per shared/FACTS.md.
//
// Each instance lives in its own temporary directory: a site config in
// conf.d/50-test.pm (SQLite database in the directory, a free loopback
// port), a database made by rt-setup-database, the sharewatch custom fields
// (SharewatchAccount, SharewatchDecision with values sharing/not_sharing,
// SharewatchReason) applied to queue General, and an auth token for root.
// The server is the package's libexec/rt-server with two workers; it is
// stopped, with its workers, when the tests are done.
//
// Start shares one instance per test binary (about 215 MB per worker, and
// several seconds to set up on a busy machine); New gives a test its own.
// When RT is not installed the test fails with a hint to run
// scripts/rt.sh, unless SHAREWATCH_SKIP_RT=1 opts out explicitly, in which
// case it is skipped.
package testrt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// SkipEnv is the environment variable that, set to 1, turns a missing RT
// into a skipped test instead of a failed one.
const SkipEnv = "SHAREWATCH_SKIP_RT"

// ErrNoRT is returned when RT 5 is not installed.
var ErrNoRT = errors.New("Request Tracker 5 is not installed (no rt-setup-database-5 or libexec/rt-server); run scripts/rt.sh, or set " + SkipEnv + "=1 to skip")

// Root's credentials in a fresh RT database.
const (
	User     = "root"
	Password = "password"
	Queue    = "General"
)

const (
	readyTimeout = 90 * time.Second
	stopTimeout  = 20 * time.Second
)

// Install is where RT's files are.
type Install struct {
	SetupDatabase string // rt-setup-database-5
	Server        string // libexec/rt-server
	Lib           string // Perl library directory
}

// Find locates an RT 5 installation.
func Find() (Install, error) {
	var in Install
	for _, c := range []string{"rt-setup-database-5", "/usr/sbin/rt-setup-database-5"} {
		if p, err := exec.LookPath(c); err == nil {
			in.SetupDatabase = p
			break
		}
	}
	for _, root := range []string{"/usr/share/request-tracker5", "/opt/rt5"} {
		if st, err := os.Stat(filepath.Join(root, "libexec", "rt-server")); err == nil && !st.IsDir() {
			in.Server = filepath.Join(root, "libexec", "rt-server")
			in.Lib = filepath.Join(root, "lib")
			break
		}
	}
	if in.Server == "" {
		// The package layout may move; ask dpkg.
		if out, err := exec.Command("dpkg", "-L", "request-tracker5").Output(); err == nil {
			for _, l := range strings.Split(string(out), "\n") {
				if strings.HasSuffix(l, "/libexec/rt-server") {
					in.Server = l
					in.Lib = filepath.Join(filepath.Dir(filepath.Dir(l)), "lib")
				}
			}
		}
	}
	if in.SetupDatabase == "" || in.Server == "" {
		return in, ErrNoRT
	}
	return in, nil
}

func requireRT(t testing.TB) Install {
	t.Helper()
	in, err := Find()
	if err != nil {
		if os.Getenv(SkipEnv) == "1" {
			t.Skipf("skipping Request Tracker test: %s=1 and %v", SkipEnv, err)
		}
		t.Fatalf("Request Tracker tests need a real RT 5: %v", err)
	}
	return in
}

// Server is one RT instance.
type Server struct {
	dir   string
	port  int
	token string
	in    Install

	// Timings of the start, for notes.
	SetupTime, StartTime time.Duration

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// URL is the web root (WebPath is empty), e.g. http://127.0.0.1:PORT.
func (s *Server) URL() string { return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Token is an auth token for root ("1-14-...").
func (s *Server) Token() string { return s.token }

// Dir is the instance's directory: conf.d, rt.db, logs.
func (s *Server) Dir() string { return s.dir }

// Log returns the end of the server's log.
func (s *Server) Log() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "server.log"))
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	if len(b) > 8<<10 {
		b = b[len(b)-8<<10:]
	}
	return string(b)
}

func (s *Server) env() []string {
	return append(os.Environ(), "RT_SITE_CONFIG_DIR="+filepath.Join(s.dir, "conf.d"))
}

const siteConfig = `Set($DatabaseType, 'SQLite');
Set($DatabaseName, '%[1]s/rt.db');
Set($WebPort, %[2]d);
Set($WebDomain, '127.0.0.1');
Set($WebBaseURL, 'http://127.0.0.1:%[2]d');
Set($WebPath, '');
Set($Timezone, 'UTC');
Set($LogToSyslog, undef);
Set($LogToSTDERR, 'warning');
Set($MailCommand, 'testfile');
1;
`

// setupPerl creates the custom fields, applies them to the queue and makes
// a token for root, printing it on the last line. It is idempotent.
const setupPerl = `use strict; use warnings;
use RT; RT::LoadConfig(); RT::Init();
my $queue = RT::Queue->new(RT->SystemUser);
$queue->Load('General') or die "no General queue\n";
my @fields = (
    [SharewatchAccount  => 'FreeformSingle', 'Account id (external id) set by sharewatch'],
    [SharewatchDecision => 'SelectSingle',   'Analyst decision: sharing or not_sharing'],
    [SharewatchReason   => 'TextSingle',     'Written reason for the decision'],
);
for my $f (@fields) {
    my ($name, $type, $desc) = @$f;
    my $cf = RT::CustomField->new(RT->SystemUser);
    $cf->LoadByName(Name => $name, LookupType => 'RT::Queue-RT::Ticket');
    unless ($cf->id) {
        my ($id, $msg) = $cf->Create(Name => $name, Type => $type, Description => $desc,
            LookupType => 'RT::Queue-RT::Ticket');
        die "creating $name: $msg\n" unless $id;
        if ($name eq 'SharewatchDecision') {
            for my $v (qw(sharing not_sharing)) {
                my ($ok, $m) = $cf->AddValue(Name => $v);
                die "adding value $v: $m\n" unless $ok;
            }
        }
    }
    unless ($cf->IsAdded($queue->id)) {
        my ($ok, $msg) = $cf->AddToObject($queue);
        die "applying $name to General: $msg\n" unless $ok;
    }
}
my $user = RT::User->new(RT->SystemUser);
$user->Load('root');
my $token = RT::AuthToken->new(RT::CurrentUser->new($user));
my ($id, $msg, $auth) = $token->Create(Owner => $user->id, Description => 'sharewatch tests');
die "creating token: $msg\n" unless $id;
print "TOKEN $auth\n";
`

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// newServer sets up an instance in dir and starts it.
func newServer(in Install, dir string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, port: port, in: in}
	if err := os.MkdirAll(filepath.Join(dir, "conf.d"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "conf.d", "50-test.pm"), fmt.Appendf(nil, siteConfig, dir, port), 0o644); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, in.SetupDatabase, "--action", "init", "--skip-create")
	cmd.Env, cmd.Dir = s.env(), dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("rt-setup-database: %w\n%s", err, out)
	}
	cmd = exec.CommandContext(ctx, "perl", "-I"+in.Lib, "-e", setupPerl)
	cmd.Env, cmd.Dir = s.env(), dir
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			out = append(out, ee.Stderr...)
		}
		return nil, fmt.Errorf("creating custom fields and token: %w\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if tok, ok := strings.CutPrefix(l, "TOKEN "); ok {
			s.token = strings.TrimSpace(tok)
		}
	}
	if s.token == "" {
		return nil, fmt.Errorf("creating token: no token in output:\n%s", out)
	}
	s.SetupTime = time.Since(start)
	start = time.Now()
	if err := s.Start(); err != nil {
		return nil, err
	}
	s.StartTime = time.Since(start)
	return s, nil
}

// Start starts the server and waits until it answers HTTP. It also
// restarts a stopped server on the same database and port.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("rt-server already running")
	}
	logf, err := os.OpenFile(filepath.Join(s.dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(s.in.Server, "--listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)), "--max-workers", "2")
	cmd.Env, cmd.Dir = s.env(), s.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so Stop reaches the workers too; and killed
	// if the test binary dies without cleaning up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	started := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		// Pdeathsig fires when the starting thread exits.
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
		return fmt.Errorf("starting rt-server: %w", err)
	}
	if err := waitReady(s.URL(), done); err != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return fmt.Errorf("rt-server on %s: %w\nlog:\n%s", s.URL(), err, s.Log())
	}
	s.cmd, s.done = cmd, done
	return nil
}

func waitReady(url string, exited <-chan struct{}) error {
	c := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(readyTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("server process exited")
		default:
		}
		resp, err := c.Get(url + "/REST/2.0/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no answer within %v: %w", readyTimeout, lastErr)
}

// Stop stops the server and its workers (SIGTERM to its process group,
// SIGKILL after a while). Stopping a stopped server does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	pgid := cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(stopTimeout):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
	// Workers that outlived the parent.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return nil
}

// New starts a private instance for the test and stops it when the test
// ends.
func New(t testing.TB) *Server {
	t.Helper()
	in := requireRT(t)
	s, err := newServer(in, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stopping RT: %v", err)
		}
	})
	return s
}

var shared struct {
	mu  sync.Mutex
	srv *Server
	dir string
	err error
}

// Start returns the test binary's shared instance, starting it on first
// use. Tests sharing it must use their own account ids. Call Run from
// TestMain so it is stopped when the tests are done.
func Start(t testing.TB) *Server {
	t.Helper()
	in := requireRT(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv == nil && shared.err == nil {
		shared.dir, shared.err = os.MkdirTemp("", "testrt-")
		if shared.err == nil {
			shared.srv, shared.err = newServer(in, shared.dir)
		}
	}
	if shared.err != nil {
		t.Fatalf("starting the shared Request Tracker: %v", shared.err)
	}
	return shared.srv
}

// Run runs the tests, then stops the shared instance and removes its
// directory. Use it from TestMain: os.Exit(testrt.Run(m)).
func Run(m *testing.M) int {
	code := m.Run()
	if err := StopShared(); err != nil {
		fmt.Fprintln(os.Stderr, "testrt:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// StopShared stops the shared instance, if one was started.
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
