package pipeline_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sharewatch/sharewatch/internal/testkafka"
	"github.com/sharewatch/sharewatch/internal/testproc"
	"github.com/sharewatch/sharewatch/pipeline"
	"github.com/sharewatch/sharewatch/tickets"
)

// TestRunServesAndShutsDown drives pipeline.Run, what `sharewatch run`
// calls: it consumes to the end, serves /healthz and /metrics on the
// configured loopback address, and returns nil promptly when its context
// is cancelled (SIGINT/SIGTERM in main), with every offset committed.
func TestRunServesAndShutsDown(t *testing.T) {
	p := newPopulation(t, 20, 3, 11)
	kc := testkafka.New(t, map[string]int{e2eTopic: 2, e2eDLQ: 1, e2eHolds: 1})
	addr := kc.Addrs()[0]
	cfg := e2eConfig(t, addr, t.TempDir(), p, false, tickets.KindFile)
	cfg.Server.Listen = testproc.FreeAddr(t)
	msgs := make([]kafka.Message, len(p.events))
	for i := range p.events {
		msgs[i] = kafka.Message{Key: []byte(p.events[i].AccountID), Value: p.lines[i]}
	}
	produce(t, addr, msgs)

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- pipeline.Run(ctx, cfg, "test.yml", pipeline.Options{}) }()

	deadline := time.Now().Add(e2eWithin)
	get := func(path string) (string, int) {
		resp, err := http.Get("http://" + cfg.Server.Listen + path)
		if err != nil {
			return "", 0
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), resp.StatusCode
	}
	for {
		if body, code := get("/healthz"); code == 200 && strings.TrimSpace(body) == "ok" {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no /healthz; run returned %v", <-errc)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for {
		if n := len(readVerdicts(t, cfg.Verdicts.Path)); n == len(p.events) {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("only %d of %d verdicts", len(readVerdicts(t, cfg.Verdicts.Path)), len(p.events))
		}
		time.Sleep(50 * time.Millisecond)
	}
	metrics, _ := get("/metrics")
	for _, m := range []string{"sharewatch_ingest_messages_consumed_total", "sharewatch_scoring_verdicts_total", "sharewatch_geoip_lookups_total", "sharewatch_scoring_model_info", "go_goroutines"} {
		if !strings.Contains(metrics, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	start := time.Now()
	cancel()
	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return within 15 s of cancellation")
	}
	t.Logf("shut down in %s", time.Since(start).Round(time.Millisecond))
	end, err := kc.EndOffsets(e2eTopic)
	if err != nil {
		t.Fatal(err)
	}
	got := kc.CommittedOffsets(e2eGroup, e2eTopic)
	for part, off := range end {
		if got[part] != off {
			t.Errorf("partition %d: committed %d, end %d", part, got[part], off)
		}
	}
}
