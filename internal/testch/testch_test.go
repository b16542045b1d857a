package testch_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/sharewatch/sharewatch/internal/testch"
)

func TestMain(m *testing.M) { os.Exit(testch.Run(m)) }

func query(t *testing.T, dsn, q string) uint64 {
	t.Helper()
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n uint64
	if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestSharedServer(t *testing.T) {
	dsn := testch.Start(t)
	if got := query(t, dsn, "SELECT toUInt64(1)"); got != 1 {
		t.Fatalf("SELECT 1 = %d", got)
	}
	// The test's database exists and is the connection's default.
	if got := query(t, dsn, "SELECT count() FROM system.databases WHERE name = currentDatabase()"); got != 1 {
		t.Fatalf("test database missing: %d", got)
	}
}

func TestRestart(t *testing.T) {
	srv := testch.New(t)
	dsn := srv.DSN("default")
	query(t, dsn, "SELECT toUInt64(1)")
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if got := query(t, dsn, "SELECT toUInt64(2)"); got != 2 {
		t.Fatalf("after restart: %d", got)
	}
}

func TestDatabaseName(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "TestX", "t1_testx"},
		{"subtest", "TestX/case one", "t1_testx_case_one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := testch.DatabaseName(tt.in, 1); got != tt.want {
				t.Fatalf("DatabaseName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
