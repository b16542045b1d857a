package enrich_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sharewatch/sharewatch/enrich"
)

// loadConfig decodes a YAML file over DefaultConfig, rejecting unknown
// fields, as the root config loader does.
func loadConfig(t *testing.T, path string) enrich.Config {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := enrich.DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	return cfg
}

func TestDefaultConfig(t *testing.T) {
	cfg := enrich.DefaultConfig()
	if cfg.CacheSize != 65536 || cfg.ReloadInterval != time.Minute ||
		!slices.Equal(cfg.HostingASNs, enrich.DefaultHostingASNs()) || cfg.ExtraHostingASNs != nil {
		t.Errorf("DefaultConfig() = %+v", cfg)
	}
	if err := cfg.Validate(); !errors.Is(err, enrich.ErrMissingCity) {
		t.Errorf("DefaultConfig without City: %v, want ErrMissingCity", err)
	}
	cfg.City = "city.mmdb"
	if err := cfg.Validate(); err != nil {
		t.Errorf("DefaultConfig with City: %v", err)
	}
	if err := (&enrich.Config{City: "city.mmdb"}).Validate(); err != nil {
		t.Errorf("zero Config with City: %v", err)
	}
}

func TestConfigFiles(t *testing.T) {
	tests := []struct {
		file string
		want []error // empty: valid
		// check inspects a valid config.
		check func(t *testing.T, c enrich.Config)
	}{
		{file: "minimal.good.yml", check: func(t *testing.T, c enrich.Config) {
			if c.CacheSize != enrich.DefaultCacheSize || c.ReloadInterval != time.Minute || len(c.HostingASNs) == 0 {
				t.Errorf("defaults lost: %+v", c)
			}
		}},
		{file: "full.good.yml", check: func(t *testing.T, c enrich.Config) {
			if c.ASN == "" || c.CacheSize != 131072 || c.ReloadInterval != 5*time.Minute ||
				!slices.Equal(c.ExtraHostingASNs, []uint32{64512, 65001}) ||
				!slices.Equal(c.HostingASNs, enrich.DefaultHostingASNs()) ||
				c.HostingOrgPattern == nil || *c.HostingOrgPattern != "" {
				t.Errorf("decoded %+v", c)
			}
		}},
		{file: "replace_hosting.good.yml", check: func(t *testing.T, c enrich.Config) {
			if !slices.Equal(c.HostingASNs, []uint32{16509, 14618}) {
				t.Errorf("hosting_asns = %v", c.HostingASNs)
			}
		}},
		{file: "no_polling.good.yml", check: func(t *testing.T, c enrich.Config) {
			if c.ReloadInterval != 0 {
				t.Errorf("reload_interval = %v", c.ReloadInterval)
			}
		}},
		{file: "missing_city.bad.yml", want: []error{enrich.ErrMissingCity}},
		{file: "negative_cache.bad.yml", want: []error{enrich.ErrInvalidCacheSize}},
		{file: "huge_cache.bad.yml", want: []error{enrich.ErrInvalidCacheSize}},
		{file: "negative_interval.bad.yml", want: []error{enrich.ErrInvalidReloadInterval}},
		{file: "zero_asn.bad.yml", want: []error{enrich.ErrInvalidASN}},
		{file: "several.bad.yml", want: []error{enrich.ErrMissingCity, enrich.ErrInvalidCacheSize, enrich.ErrInvalidASN, enrich.ErrInvalidHostingOrgPattern}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			cfg := loadConfig(t, filepath.Join("testdata", "config", tt.file))
			err := cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				tt.check(t, cfg)
				return
			}
			if err == nil {
				t.Fatal("Validate() = nil")
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("Validate() = %q, does not wrap %q", err, w)
				}
			}
		})
	}
}

func TestValidateNamesFields(t *testing.T) {
	tests := []struct {
		name string
		cfg  enrich.Config
		want string
	}{
		{"city", enrich.Config{}, "city: city database path is required"},
		{"cache_size", enrich.Config{City: "c", CacheSize: -1}, "cache_size -1: cache size must be between 0 and 16777216"},
		{"reload_interval", enrich.Config{City: "c", ReloadInterval: -time.Second}, "reload_interval -1s: reload interval must not be negative"},
		{"hosting_asns", enrich.Config{City: "c", HostingASNs: []uint32{0}}, "hosting_asns: ASN 0 is reserved"},
		{"extra_hosting_asns", enrich.Config{City: "c", ExtraHostingASNs: []uint32{0}}, "extra_hosting_asns: ASN 0 is reserved"},
		{"hosting_org_pattern", enrich.Config{City: "c", HostingOrgPattern: ptr("(host")}, "hosting_org_pattern \"(host\": invalid regular expression: error parsing regexp: missing closing ): `(host`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); err == nil || err.Error() != tt.want {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
