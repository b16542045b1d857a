package testaudit

import (
	"context"
	"testing"

	"github.com/sharewatch/sharewatch/verdictstore"
)

func TestLog(t *testing.T) {
	ctx := context.Background()
	l := Failing(1)
	rows := []verdictstore.ActionRecord{{Action: verdictstore.ActionHold}, {Action: verdictstore.ActionHold, DryRun: true}, {Action: verdictstore.ActionTicket}}
	if err := l.WriteActions(ctx, rows); err == nil {
		t.Fatal("the first write succeeded on a log set to fail once")
	}
	if err := l.WriteActions(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if n := len(l.Rows()); n != 3 {
		t.Errorf("%d rows, want 3 (the failed write must record nothing)", n)
	}
	if n := len(l.Actions(verdictstore.ActionHold)); n != 2 {
		t.Errorf("%d holds, want 2", n)
	}
	if l.Count(verdictstore.ActionHold, true) != 1 || l.Count(verdictstore.ActionHold, false) != 1 {
		t.Error("Count does not tell dry runs apart")
	}
	l.SetFailing(1)
	if err := l.WriteActions(ctx, rows); err == nil {
		t.Error("SetFailing(1) did not fail the next write")
	}
}
