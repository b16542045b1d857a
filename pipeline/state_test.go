package pipeline_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sharewatch/sharewatch/config"
	"github.com/sharewatch/sharewatch/internal/testkafka"
	"github.com/sharewatch/sharewatch/internal/testproc"
	"github.com/sharewatch/sharewatch/pipeline"
	"github.com/sharewatch/sharewatch/tickets"
)

// TestCleanRestartKeepsScorerState: `run --state` stopped cleanly half way
// through the stream and started again goes on with the verdicts of a run
// that never stopped; without the state file the second run starts from
// nothing and some verdicts differ (which is what makes the first half of
// the test mean something).
func TestCleanRestartKeepsScorerState(t *testing.T) {
	p := newPopulation(t, 40, 6, 41)
	msgs := make([]kafka.Message, len(p.events))
	for i, ev := range p.events {
		msgs[i] = kafka.Message{Key: []byte(ev.AccountID), Value: p.lines[i]}
	}
	want := map[string]verdictLine{}
	for _, v := range runToEnd(t, p, msgs, 4) {
		want[v.EventID] = v
	}
	for _, tc := range []struct {
		name      string
		withState bool
	}{{"with the state file", true}, {"without it", false}} {
		t.Run(tc.name, func(t *testing.T) {
			kc := testkafka.New(t, map[string]int{e2eTopic: 4, e2eDLQ: 1})
			addr := kc.Addrs()[0]
			dir := t.TempDir()
			cfg := e2eConfig(t, addr, dir, p, false, tickets.KindNone)
			var state string
			if tc.withState {
				state = filepath.Join(dir, "state.bin")
			}
			half := len(msgs) / 2
			produce(t, addr, msgs[:half])
			runUntilCommitted(t, kc, cfg, state)
			if tc.withState {
				if _, err := os.Stat(state); err != nil {
					t.Fatalf("no state file after a clean stop: %v", err)
				}
			}
			produce(t, addr, msgs[half:])
			runUntilCommitted(t, kc, cfg, state)

			got := readVerdicts(t, cfg.Verdicts.Path)
			if len(got) != len(want) {
				t.Fatalf("%d verdicts over two runs, %d in one", len(got), len(want))
			}
			differ := 0
			for _, v := range got {
				w, ok := want[v.EventID]
				if !ok {
					t.Fatalf("verdict for unknown event %s", v.EventID)
				}
				if !reflect.DeepEqual(v, w) {
					differ++
					if tc.withState && differ <= 3 {
						t.Errorf("event %s: %s %v %q after a restart, %s %v %q in one run", v.EventID, v.Verdict, v.Reasons, v.Explanation, w.Verdict, w.Reasons, w.Explanation)
					}
				}
			}
			if !tc.withState && differ == 0 {
				t.Error("without the state file every verdict is as in one run: the population does not depend on history")
			}
			t.Logf("%d verdicts, %d differ from one run's", len(got), differ)
		})
	}
}

// TestStateFileBehindTheGroupIsLeftAside: a state file older than the
// group's committed offsets (another consumer of the group, or a crash
// after the last save) is not restored: its accounts would miss the
// events in between. A damaged one stops the start with ErrRunState.
func TestStateFileBehindTheGroupIsLeftAside(t *testing.T) {
	p := newPopulation(t, 10, 3, 43)
	msgs := make([]kafka.Message, len(p.events))
	for i, ev := range p.events {
		msgs[i] = kafka.Message{Key: []byte(ev.AccountID), Value: p.lines[i]}
	}
	kc := testkafka.New(t, map[string]int{e2eTopic: 2, e2eDLQ: 1})
	addr := kc.Addrs()[0]
	dir := t.TempDir()
	cfg := e2eConfig(t, addr, dir, p, false, tickets.KindNone)
	state := filepath.Join(dir, "state.bin")
	half := len(msgs) / 2
	produce(t, addr, msgs[:half])
	if logs := runUntilCommitted(t, kc, cfg, state); !strings.Contains(logs, "no state file yet") {
		t.Errorf("first start does not say there is no state yet:\n%s", logs)
	}
	saved, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	produce(t, addr, msgs[half:])
	runUntilCommitted(t, kc, cfg, "") // another consumer of the group, without the state
	if err := os.WriteFile(state, saved, 0o600); err != nil {
		t.Fatal(err)
	}
	if logs := runUntilCommitted(t, kc, cfg, state); !strings.Contains(logs, "state file is not at the group's committed offsets") || strings.Contains(logs, "scorer state restored") {
		t.Errorf("a state file behind the group was not left aside:\n%s", logs)
	}

	if err := os.WriteFile(state, []byte("SWRS\x01\x05garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Server.Listen = testproc.FreeAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), e2eWithin)
	defer cancel()
	if err := pipeline.Run(ctx, cfg, "test.yml", pipeline.Options{StateFile: state}); !errors.Is(err, pipeline.ErrRunState) {
		t.Errorf("a damaged state file: %v, want ErrRunState", err)
	}
}

// runUntilCommitted runs pipeline.Run with stateFile until it is consuming
// and the group has committed the end of the logins topic, stops it
// cleanly, and returns its log.
func runUntilCommitted(t *testing.T, kc *testkafka.Cluster, cfg config.Config, stateFile string) string {
	t.Helper()
	cfg.Server.Listen = testproc.FreeAddr(t)
	var logs testproc.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		errc <- pipeline.Run(ctx, cfg, "test.yml", pipeline.Options{StateFile: stateFile, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	}()
	ends, err := kc.EndOffsets(e2eTopic)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(e2eWithin)
	for !strings.Contains(logs.String(), "consuming") || !reflect.DeepEqual(kc.CommittedOffsets(e2eGroup, e2eTopic), ends) {
		select {
		case err := <-errc:
			t.Fatalf("run stopped early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the group never committed the end of the topic")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("run: %v", err)
	}
	return logs.String()
}
