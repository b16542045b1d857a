package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sharewatch/sharewatch/tickets"
)

func TestResolveAndResetBrake(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "sharewatch.yml")
	cfg := "geoip:\n  city: " + filepath.Join(dir, "city.mmdb") + "\nhelpdesk:\n  kind: file\n  file:\n    dir: " + filepath.Join(dir, "queue") +
		"\n  outbox_dir: " + filepath.Join(dir, "outbox") + "\nholds:\n  state_dir: " + filepath.Join(dir, "holds") + "\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	q, err := tickets.NewFileQueue(filepath.Join(dir, "queue"))
	if err != nil {
		t.Fatal(err)
	}
	tk, err := q.Create(context.Background(), tickets.NewTicket{AccountID: "acc-1", Subject: "sharing", Body: "..."})
	if err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	io := stdio{out: &out, err: &errs}
	if err := cmdResolve(context.Background(), []string{tk.Ref, "--outcome", "not_sharing", "--reason", "second flat in Malmö, same family", "--analyst", "ana", "--config", cfgPath}, io); err != nil {
		t.Fatalf("resolve: %v (%s)", err, errs.String())
	}
	ds, err := q.Decisions(context.Background(), tk.Created.Add(-1))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Outcome != tickets.OutcomeNotSharing || ds[0].Analyst != "ana" || !strings.Contains(ds[0].Reason, "Malmö") {
		t.Errorf("decision read back: %+v", ds)
	}
	if err := cmdResolve(context.Background(), []string{tk.Ref, "--outcome", "maybe", "--reason", "x", "--config", cfgPath}, io); err == nil {
		t.Error("an unknown outcome was accepted")
	}
	if err := cmdResetBrake(context.Background(), []string{"--config", cfgPath, "--actor", "oncall"}, io); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "holds"))
	if len(entries) == 0 {
		t.Error("reset-brake left no request in the holds state dir")
	}
}
