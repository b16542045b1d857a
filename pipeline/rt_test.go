package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/internal/testrt"
	"github.com/sharewatch/sharewatch/pipeline"
	"github.com/sharewatch/sharewatch/tickets"
)

// TestPopulationTicketsInRT scores a simulated population through the
// pipeline into a real Request Tracker 5: every account whose verdicts
// call for a ticket or a hold has exactly one ticket, no other account has
// one, and replaying the same events through a restarted pipeline creates
// no new ticket.
func TestPopulationTicketsInRT(t *testing.T) {
	srv := testrt.New(t)
	p := newPopulation(t, 40, 14, 5)
	cfg := p.scoringConfig()
	off := false
	cfg.ClickHouse.Enabled = &off
	cfg.Holds.Enabled = &off
	cfg.Helpdesk.Kind = tickets.KindRT
	cfg.Helpdesk.RT.URL = srv.URL()
	cfg.Helpdesk.RT.User = testrt.User
	cfg.Helpdesk.RT.Password = tickets.Secret(testrt.Password)
	cfg.Helpdesk.OutboxDir = t.TempDir()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	for _, l := range p.lines {
		in.Write(l)
		in.WriteByte('\n')
	}
	actioned := map[string]bool{}
	run := func(pass string) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		st, err := pipeline.BuildStages(ctx, cfg, pipeline.StageOptions{Outputs: true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		sent := make(chan error, 1)
		go func() { sent <- st.Tickets.Run(ctx) }()
		var out bytes.Buffer
		if _, err := pipeline.ScoreStream(ctx, st.Processor, pipeline.BatchOptions{In: bytes.NewReader(in.Bytes()), Out: &out}); err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n")) {
			var v struct {
				AccountID string `json:"account_id"`
				Action    string `json:"action"`
			}
			if err := json.Unmarshal(line, &v); err != nil {
				t.Fatal(err)
			}
			if v.Action != "none" {
				actioned[v.AccountID] = true
			}
		}
		deadline := time.Now().Add(2 * time.Minute)
		for st.Tickets.Pending() > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d ticket intents still unsent", pass, st.Tickets.Pending())
			}
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		<-sent
	}
	run("first pass")
	if len(actioned) == 0 {
		t.Fatal("no account called for a ticket; the population is too small to test anything")
	}
	count := func() map[string]int {
		n := map[string]int{}
		for _, l := range p.labels {
			n[l.AccountID] = rtTickets(t, srv, l.AccountID)
		}
		return n
	}
	first := count()
	for id, n := range first {
		want := 0
		if actioned[id] {
			want = 1
		}
		if n != want {
			t.Errorf("%s: %d tickets in RT, want %d", id, n, want)
		}
	}
	run("replay")
	if second := count(); fmt.Sprint(second) != fmt.Sprint(first) {
		t.Errorf("replaying the events changed the tickets: %v, then %v", first, second)
	}
	t.Logf("%d of %d accounts have exactly one RT ticket, after a replay too", len(actioned), len(p.labels))
}

// rtTickets counts an account's tickets in RT, any status, over REST2.
func rtTickets(t *testing.T, srv *testrt.Server, account string) int {
	t.Helper()
	q := url.Values{"query": {fmt.Sprintf("CF.{SharewatchAccount} = '%s'", account)}, "per_page": {"100"}}
	req, err := http.NewRequest(http.MethodGet, srv.URL()+"/REST/2.0/tickets?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(testrt.User, testrt.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("RT search: %s: %s", resp.Status, b)
	}
	var page struct {
		Total int `json:"total"`
		Count int `json:"count"`
	}
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatal(err)
	}
	return page.Count
}
