package testchdb

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestSession(t *testing.T) {
	s := New(t)
	rs, err := s.Run(context.Background(),
		"CREATE TABLE t (id UInt64, name String) ENGINE = MergeTree() ORDER BY id",
		"SELECT nope",
		"INSERT INTO t (id, name) VALUES (18446744073709551615, 'a')")
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Error != "" || rs[2].Error != "" {
		t.Fatalf("statements failed: %+v", rs)
	}
	if !strings.Contains(rs[1].Error, "UNKNOWN_IDENTIFIER") {
		t.Errorf("bad statement: error %q, want UNKNOWN_IDENTIFIER", rs[1].Error)
	}

	// A second run is a new process on the same data directory.
	rows, err := s.MustRun(t, "SELECT id, name FROM t")[0].Rows()
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rows); got != "[map[id:18446744073709551615 name:a]]" {
		t.Errorf("rows after reopening: %s", got)
	}
}
