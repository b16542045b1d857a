package verdictstore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func loadConfig(t *testing.T, name string) Config {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "config", name))
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	dec := yaml.NewDecoder(bytesReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		file string
		want []error
	}{
		{"defaults.good.yml", nil},
		{"full.good.yml", nil},
		{"negative.bad.yml", []error{ErrInvalidBatchSize, ErrInvalidFlushInterval, ErrInvalidRetentionMonths, ErrInvalidMaxRetryBackoff, ErrInvalidQueueSize}},
		{"database.bad.yml", []error{ErrInvalidDatabase}},
		{"mismatch.bad.yml", []error{ErrDatabaseMismatch}},
		{"scheme.bad.yml", []error{ErrInvalidDSN}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			err := loadConfig(t, tt.file).Validate()
			if len(tt.want) == 0 && err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			if len(tt.want) > 0 && err == nil {
				t.Fatalf("Validate() = nil, want %v", tt.want)
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("Validate() = %v, want it to wrap %v", err, w)
				}
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   Config
		want Config
	}{
		{"empty", Config{}, Config{
			DSN: DefaultDSN, Database: "sharewatch", BatchSize: 10000, FlushInterval: time.Second,
			RetentionMonths: 13, MaxRetryBackoff: 30 * time.Second, AttemptTimeout: time.Minute,
			QueueSize: 4,
		}},
		{"database from DSN", Config{DSN: "clickhouse://127.0.0.1:9000/sharewatch_test"}, Config{
			DSN: "clickhouse://127.0.0.1:9000/sharewatch_test", Database: "sharewatch_test", BatchSize: 10000,
			FlushInterval: time.Second, RetentionMonths: 13, MaxRetryBackoff: 30 * time.Second,
			AttemptTimeout: time.Minute, QueueSize: 4,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.WithDefaults(); got != tt.want {
				t.Fatalf("WithDefaults() = %+v, want %+v", got, tt.want)
			}
		})
	}
	if got := loadConfig(t, "full.good.yml"); got.FlushInterval != 250*time.Millisecond || got.MaxRetryBackoff != time.Minute {
		t.Fatalf("durations not decoded from YAML: %+v", got)
	}
}

func TestRedact(t *testing.T) {
	if got := redact("clickhouse://u:secret@h:9000/db"); got != "clickhouse://u:xxx@h:9000/db" {
		t.Fatalf("redact = %q", got)
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
