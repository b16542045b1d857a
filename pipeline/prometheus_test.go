package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/internal/testproc"
	"github.com/sharewatch/sharewatch/pipeline"
	"github.com/sharewatch/sharewatch/simulate"
)

// TestPrometheusScrapesDemo starts a real Prometheus (Debian's prometheus
// package) that scrapes an in-process `sharewatch demo --linger` and
// evaluates ../alerts/sharewatch.rules.yml, then asks its HTTP API for
// sharewatch metrics and for the health of every alert rule.
func TestPrometheusScrapesDemo(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatalf("prometheus not found (%v): run scripts/test-deps.sh, which installs it from Debian", err)
	}
	rules, err := filepath.Abs("../alerts/sharewatch.rules.yml")
	if err != nil {
		t.Fatal(err)
	}

	target := testproc.FreeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	demoDone := make(chan error, 1)
	go func() {
		demoDone <- pipeline.Demo(ctx, pipeline.DemoOptions{
			Population: simulate.Config{Accounts: 50, Days: 3, Seed: 1},
			Dir:        t.TempDir(),
			Listen:     target,
			Linger:     true,
			Out:        io.Discard,
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-demoDone:
			if err != nil {
				t.Errorf("demo: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("demo did not stop within 30s of cancel")
		}
	})

	dir := t.TempDir()
	conf := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - %q
scrape_configs:
  - job_name: sharewatch
    static_configs:
      - targets: [%q]
`, rules, target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	web := testproc.FreeAddr(t)
	var logs testproc.Buffer
	cmd := exec.Command(bin,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+web,
		"--log.level=warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	// Prometheus must not outlive a test binary that dies without cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("prometheus did not stop within 15s of SIGTERM; killed")
		}
	})

	api := func(path string, params url.Values, out any) error {
		resp, err := client.Get("http://" + web + path + "?" + params.Encode())
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s: %s", path, resp.Status, b)
		}
		return json.Unmarshal(b, out)
	}
	type sample struct {
		Metric map[string]string `json:"metric"`
		Value  [2]any            `json:"value"`
	}
	instant := func(q string) ([]sample, error) {
		var r struct {
			Status string `json:"status"`
			Data   struct {
				Result []sample `json:"result"`
			} `json:"data"`
		}
		if err := api("/api/v1/query", url.Values{"query": {q}}, &r); err != nil {
			return nil, err
		}
		if r.Status != "success" {
			return nil, fmt.Errorf("query %s: status %s", q, r.Status)
		}
		return r.Data.Result, nil
	}
	// waitFor polls until f reports done; the demo needs about a second
	// to score its population, Prometheus a scrape interval or two.
	waitFor := func(what string, f func() (bool, error)) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		var lastErr error
		for {
			select {
			case err := <-exited:
				t.Fatalf("prometheus exited (%v) while waiting for %s:\n%s", err, what, logs.String())
			case err := <-demoDone:
				demoDone <- err
				t.Fatalf("demo returned (%v) while waiting for %s", err, what)
			default:
			}
			ok, err := f()
			if ok {
				return
			}
			lastErr = err
			if time.Now().After(deadline) {
				t.Fatalf("no %s within 90s (last error: %v)\nprometheus log:\n%s", what, lastErr, logs.String())
			}
			time.Sleep(250 * time.Millisecond)
		}
	}

	waitFor("events consumed, as scraped by Prometheus", func() (bool, error) {
		res, err := instant(`sharewatch_ingest_messages_consumed_total{job="sharewatch"} > 0`)
		return len(res) > 0, err
	})
	for _, q := range []string{
		`up{job="sharewatch"} == 1`,
		`sharewatch_scoring_model_info{job="sharewatch"}`,
		`sum(sharewatch_scoring_verdicts_total{job="sharewatch"}) > 0`,
		`sharewatch_tickets_open{job="sharewatch"}`,
	} {
		res, err := instant(q)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) == 0 {
			t.Errorf("Prometheus query %s: empty result", q)
		}
	}

	// Every alert rule has been evaluated against the real series without
	// error. Which alerts fire is promtool's unit tests' business.
	type rule struct {
		Name           string `json:"name"`
		Health         string `json:"health"`
		LastError      string `json:"lastError"`
		LastEvaluation string `json:"lastEvaluation"`
	}
	var ruleList []rule
	waitFor("evaluated alert rules", func() (bool, error) {
		var r struct {
			Data struct {
				Groups []struct {
					Rules []rule `json:"rules"`
				} `json:"groups"`
			} `json:"data"`
		}
		if err := api("/api/v1/rules", url.Values{"type": {"alert"}}, &r); err != nil {
			return false, err
		}
		ruleList = ruleList[:0]
		for _, g := range r.Data.Groups {
			ruleList = append(ruleList, g.Rules...)
		}
		for _, rl := range ruleList {
			if rl.Health == "unknown" || strings.HasPrefix(rl.LastEvaluation, "0001-") {
				return false, fmt.Errorf("rule %s not evaluated yet", rl.Name)
			}
		}
		return len(ruleList) > 0, nil
	})
	for _, rl := range ruleList {
		if rl.Health != "ok" {
			t.Errorf("alert rule %s: health %s: %s", rl.Name, rl.Health, rl.LastError)
		}
	}
	t.Logf("Prometheus scraped the demo; %d alert rules evaluated", len(ruleList))
}
