package holds

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sharewatch/sharewatch/internal/testaudit"
	"github.com/sharewatch/sharewatch/internal/testrt"
	"github.com/sharewatch/sharewatch/tickets"
	"github.com/sharewatch/sharewatch/verdictstore"
)

// TestNotSharingDecisionInRTReleasesHold: a held account's ticket is
// resolved in a real RT 5 as not_sharing; the decision poll releases the
// hold within one polling interval and both the decision and the release
// are in the audit log with the analyst's reason.
func TestNotSharingDecisionInRTReleasesHold(t *testing.T) {
	s := testrt.Start(t)
	c, pub := kafkaSink(t, 1)
	audit := &testaudit.Log{}
	acct := fmt.Sprintf("rel-%d", time.Now().UnixNano()%1e9)

	var mgr *tickets.Manager
	h := newHolder(t, holderOpts{dir: t.TempDir(), audit: audit, pubs: []Publisher{pub},
		refs: func(a string) string { return mgr.TicketRef(a) }})
	rt, err := tickets.NewRT(tickets.RTOptions{URL: s.URL(), User: testrt.User, Password: testrt.Password})
	if err != nil {
		t.Fatal(err)
	}
	mgr, err = tickets.NewManager(tickets.ManagerOptions{Helpdesk: rt, Config: tickets.Config{OutboxDir: t.TempDir()},
		Audit: audit, HoldPlaced: h.Held, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runDone := make(chan error, 1)
	go func() { runDone <- mgr.Run(ctx) }()

	v := holdVerdict(acct, "e1", t0)
	act(t, h, v)
	act(t, mgr, v)
	for mgr.Pending() > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	ref := mgr.TicketRef(acct)
	if !h.Held(acct) || !strings.HasPrefix(ref, "rt:") {
		t.Fatalf("held %v, ticket %q", h.Held(acct), ref)
	}

	// The analyst resolves the ticket in RT.
	body, _ := json.Marshal(map[string]any{"Status": "resolved", "CustomFields": map[string]string{
		tickets.RTFieldDecision: "not_sharing", tickets.RTFieldReason: "Daughter at university; same household."}})
	req, _ := http.NewRequest(http.MethodPut, s.URL()+"/REST/2.0/ticket/"+strings.TrimPrefix(ref, "rt:"), bytes.NewReader(body))
	req.SetBasicAuth(testrt.User, testrt.Password)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("resolving in RT: HTTP %d", resp.StatusCode)
	}
	decided := time.Now()

	const interval = time.Second
	pollDone := make(chan error, 1)
	go func() {
		pollDone <- mgr.PollDecisions(ctx, interval, func(d tickets.Decision) error {
			if d.Outcome != tickets.OutcomeNotSharing {
				return nil
			}
			return h.Release(ctx, d.AccountID, "analyst decision not_sharing: "+d.Reason, d.Analyst)
		})
	}()
	for h.Held(acct) {
		if time.Since(decided) > 30*time.Second {
			t.Fatal("hold not released within 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("hold released %v after the decision was set in RT (poll interval %v)", time.Since(decided).Round(time.Millisecond), interval)
	cancel()
	<-pollDone
	<-runDone

	var rel *Command
	for _, m := range readAll(t, c) {
		if cmd := decode(t, m); cmd.Command == CommandRelease {
			rel = &cmd
		}
	}
	if rel == nil || rel.AccountID != acct || rel.Actor != testrt.User || !strings.Contains(rel.Reason, "Daughter at university") || rel.TicketRef != ref {
		t.Fatalf("release command %+v", rel)
	}
	var kinds []string
	for _, r := range audit.Rows() {
		if r.AccountID == acct {
			kinds = append(kinds, string(r.Action))
			if r.Action == verdictstore.ActionDecision && (r.Actor != testrt.User || !strings.Contains(r.Reason, "not_sharing: Daughter")) {
				t.Errorf("decision row %+v", r)
			}
		}
	}
	if got := strings.Join(kinds, ","); got != "hold,ticket,release,decision" {
		t.Fatalf("audit rows for %s: %s, want hold,ticket,release,decision", acct, got)
	}
}
