package pipeline_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/segmentio/kafka-go"
	"gopkg.in/yaml.v3"

	"github.com/sharewatch/sharewatch/config"
	"github.com/sharewatch/sharewatch/internal/testch"
	"github.com/sharewatch/sharewatch/internal/testkafka"
	"github.com/sharewatch/sharewatch/internal/testproc"
	"github.com/sharewatch/sharewatch/tickets"
)

// chConfig is the e2e config writing verdicts to ClickHouse only.
func chConfig(t *testing.T, addr, dsn string, p *population) config.Config {
	cfg := e2eConfig(t, addr, t.TempDir(), p, false, tickets.KindNone)
	on := true
	cfg.ClickHouse.Enabled = &on
	cfg.ClickHouse.DSN = dsn
	cfg.ClickHouse.Database = ""
	cfg.ClickHouse.MaxRetryBackoff = time.Second
	cfg.ClickHouse.Config = cfg.ClickHouse.Config.WithDefaults()
	cfg.Verdicts.Path = ""
	return cfg
}

func messagesOf(p *population) []kafka.Message {
	msgs := make([]kafka.Message, len(p.events))
	for i := range p.events {
		msgs[i] = kafka.Message{Key: []byte(p.events[i].AccountID), Value: p.lines[i]}
	}
	return msgs
}

// waitFinal waits until count() FINAL reaches want, failing on timeout.
func waitFinal(t *testing.T, dsn, db string, want uint64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := countFinal(t, dsn, db)
		if got == want {
			return
		}
		if got > want {
			t.Fatalf("%d verdict rows after FINAL, more than the %d distinct events", got, want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d verdict rows after FINAL", got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestSIGKILLMidStream kills `sharewatch run` with SIGKILL while it is
// consuming, restarts it, and checks that every event ends up with exactly
// one verdict row after FINAL: nothing lost, nothing doubled.
func TestSIGKILLMidStream(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "sharewatch")
	build := exec.Command("go", "build", "-o", bin, "../cmd/sharewatch")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("building sharewatch: %v", err)
	}
	dsn := testch.Start(t)
	p := newPopulation(t, 80, 10, 23)
	kc := testkafka.New(t, map[string]int{e2eTopic: 4, e2eDLQ: 1})
	addr := kc.Addrs()[0]
	cfg := chConfig(t, addr, dsn, p)
	cfg.Kafka.BatchSize = 500
	cfg.Server.Listen = testproc.FreeAddr(t)
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "sharewatch.yml")
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	produce(t, addr, messagesOf(p))
	distinct := map[string]bool{}
	for _, ev := range p.events {
		distinct[ev.EventID] = true
	}

	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "run", "--config", cfgPath, "--log-level", "warn")
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	first := start()
	// Kill it once some, but not all, verdicts are in ClickHouse.
	deadline := time.Now().Add(e2eWithin)
	for {
		n, _ := tryCountFinal(dsn, cfg.ClickHouse.Database) // the table appears once run has migrated
		if n > 0 && n < uint64(len(distinct)) {
			break
		}
		if n >= uint64(len(distinct)) {
			t.Log("the first run finished before it could be killed; the restart then only re-reads committed offsets")
			break
		}
		if time.Now().After(deadline) {
			first.Process.Kill()
			t.Fatal("no verdicts in ClickHouse")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	killedAt := countFinal(t, dsn, cfg.ClickHouse.Database)

	second := start()
	defer func() {
		second.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- second.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			second.Process.Kill()
			t.Error("sharewatch run did not exit within 20 s of SIGTERM")
		}
	}()
	waitFinal(t, dsn, cfg.ClickHouse.Database, uint64(len(distinct)), e2eWithin)
	t.Logf("killed with %d of %d verdicts stored; after the restart: exactly %d after FINAL", killedAt, len(distinct), len(distinct))
}

// TestClickHouseRestartMidStream stops ClickHouse while the pipeline is
// writing and starts it again: the pipeline waits and retries, and every
// event ends up with exactly one verdict row after FINAL.
func TestClickHouseRestartMidStream(t *testing.T) {
	srv := testch.New(t)
	dsn := srv.DSN("sharewatch")
	p := newPopulation(t, 100, 14, 29)
	kc := testkafka.New(t, map[string]int{e2eTopic: 2, e2eDLQ: 1})
	addr := kc.Addrs()[0]
	cfg := chConfig(t, addr, dsn, p)
	cfg.Kafka.BatchSize = 300
	distinct := map[string]bool{}
	for _, ev := range p.events {
		distinct[ev.EventID] = true
	}
	msgs := messagesOf(p)
	produce(t, addr, msgs[:len(msgs)/3])
	r := startRun(t, cfg, nil)
	defer r.stop(t)
	deadline := time.Now().Add(e2eWithin)
	for countFinal(t, dsn, "sharewatch") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no verdicts before the restart")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	produce(t, addr, msgs[len(msgs)/3:]) // arrives while ClickHouse is down
	time.Sleep(2 * time.Second)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	waitFinal(t, dsn, "sharewatch", uint64(len(distinct)), e2eWithin)
}

func tryCountFinal(dsn, db string) (uint64, error) {
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		return 0, err
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var n uint64
	err = conn.QueryRow(context.Background(), "SELECT count() FROM "+db+".verdicts FINAL").Scan(&n)
	return n, err
}
