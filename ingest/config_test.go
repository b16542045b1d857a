package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func loadConfig(t *testing.T, path string) (Config, []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for line := range strings.Lines(string(b)) {
		if w, ok := strings.CutPrefix(line, "# want: "); ok {
			want = append(want, strings.TrimSpace(w))
		}
	}
	root := struct {
		Kafka Config `yaml:"kafka"`
	}{Kafka: DefaultConfig()}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&root); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return root.Kafka, want
}

func TestConfigFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/config/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no config files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, want := loadConfig(t, f)
			err := cfg.Validate()
			if strings.HasSuffix(f, ".good.yml") {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted a bad config, want %q", want)
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("Validate errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestFullConfigDecodes(t *testing.T) {
	cfg, _ := loadConfig(t, "testdata/config/full.good.yml")
	if cfg.MaxWait != 500*time.Millisecond || cfg.BatchSize != 5000 || cfg.MaxClockSkew != 10*time.Minute || !cfg.TLS.Enabled ||
		cfg.SASL.Mechanism != SASLScramSHA512 || cfg.SASL.Password != "s3cret" || len(cfg.Brokers) != 3 {
		t.Errorf("decoded config %+v", cfg)
	}
}

func TestValidateSentinels(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   error
	}{
		{"no brokers", func(c *Config) { c.Brokers = nil }, ErrMissingBrokers},
		{"bad broker", func(c *Config) { c.Brokers = []string{":9092"} }, ErrInvalidBroker},
		{"no topic", func(c *Config) { c.Topic = "" }, ErrMissingTopic},
		{"no group", func(c *Config) { c.Group = "" }, ErrMissingGroup},
		{"no dlq", func(c *Config) { c.DLQTopic = "" }, ErrMissingDLQTopic},
		{"dlq is input", func(c *Config) { c.DLQTopic = c.Topic }, ErrDLQTopicIsInput},
		{"min bytes zero", func(c *Config) { c.MinBytes = 0 }, ErrInvalidFetchBytes},
		{"batch size", func(c *Config) { c.BatchSize = -1 }, ErrInvalidBatchSize},
		{"batch timeout", func(c *Config) { c.BatchTimeout = 0 }, ErrNonPositiveDuration},
		{"shutdown timeout", func(c *Config) { c.ShutdownTimeout = 0 }, ErrNonPositiveDuration},
		{"sasl mechanism", func(c *Config) { c.SASL = SASLConfig{Mechanism: "PLAIN", Username: "u", Password: "p"} }, ErrInvalidSASLMechanism},
		{"sasl user", func(c *Config) { c.SASL = SASLConfig{Mechanism: SASLScramSHA256, Password: "p"} }, ErrMissingSASLUser},
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.change(&cfg)
			err := cfg.Validate()
			if !errors.Is(err, tt.want) {
				t.Fatalf("Validate() = %v, want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "kafka.") {
				t.Errorf("error %q does not name the field", err)
			}
			if _, err := NewConsumer(cfg, Options{Processor: ProcessorFunc(nopProcess)}); !errors.Is(err, tt.want) {
				t.Errorf("NewConsumer() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SASL = SASLConfig{Mechanism: SASLPlain, Username: "u", Password: "hunter2"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "kafka", cfg, "password", cfg.SASL.Password)
	y, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{
		"%v": fmt.Sprintf("%v", cfg), "%+v": fmt.Sprintf("%+v", cfg), "%#v": fmt.Sprintf("%#v", cfg),
		"%s": fmt.Sprintf("%s", cfg.SASL.Password), "slog": logged.String(), "yaml": string(y), "json": string(j),
	} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("%s output leaks the password: %s", name, s)
		}
	}
}

func TestNewConsumerNeedsProcessor(t *testing.T) {
	if _, err := NewConsumer(DefaultConfig(), Options{}); !errors.Is(err, ErrMissingProcessor) {
		t.Fatalf("NewConsumer without processor = %v", err)
	}
}

func TestNewConsumerBadCAFile(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TLS = TLSConfig{Enabled: true, CAFile: filepath.Join(t.TempDir(), "missing.pem")}
	if _, err := NewConsumer(cfg, Options{Processor: ProcessorFunc(nopProcess)}); err == nil || !strings.HasPrefix(err.Error(), "kafka.tls.ca_file:") {
		t.Fatalf("NewConsumer with missing CA file = %v", err)
	}
}
