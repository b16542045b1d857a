// Package schema_test checks that what sharewatch writes and reads matches
// the JSON Schema files in this directory, which are the contracts.
package schema_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sharewatch/sharewatch/config"
	"github.com/sharewatch/sharewatch/ingest"
	"github.com/sharewatch/sharewatch/pipeline"
	"github.com/sharewatch/sharewatch/simulate"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// schema is the part of JSON Schema the contract files use for values.
// Keywords not listed here (descriptions, allOf/if/then, anyOf formats) are
// not checked by validate.
type schema struct {
	Type       any                `json:"type"` // a name or a list of names
	Enum       []any              `json:"enum"`
	Required   []string           `json:"required"`
	Properties map[string]*schema `json:"properties"`
	Items      *schema            `json:"items"`
	Minimum    *float64           `json:"minimum"`
	Maximum    *float64           `json:"maximum"`
	MinItems   *int               `json:"minItems"`
	MinLength  *int               `json:"minLength"`
	Format     string             `json:"format"`
	Examples   []json.RawMessage  `json:"examples"`
}

func loadSchema(t *testing.T, name string) *schema {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var s schema
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(s.Required) == 0 || len(s.Properties) == 0 {
		t.Fatalf("%s: no required keys or properties", name)
	}
	for _, k := range s.Required {
		if s.Properties[k] == nil {
			t.Errorf("%s: required key %q has no property definition", name, k)
		}
	}
	return &s
}

func typeOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// validate returns every way v breaks s; path names the value.
func (s *schema) validate(path string, v any) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	if s.Type != nil {
		var types []string
		switch x := s.Type.(type) {
		case string:
			types = []string{x}
		case []any:
			for _, y := range x {
				types = append(types, y.(string))
			}
		}
		got := typeOf(v)
		if !slices.Contains(types, got) && !(got == "integer" && slices.Contains(types, "number")) {
			bad("type %s, want %v", got, types)
			return errs
		}
	}
	if s.Enum != nil {
		found := false
		for _, e := range s.Enum {
			if fmt.Sprint(e) == fmt.Sprint(v) && typeOf(v) == "string" {
				found = true
			}
		}
		if !found {
			bad("%v is not one of %v", v, s.Enum)
		}
	}
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		if s.Minimum != nil && f < *s.Minimum {
			bad("%v is below the minimum %v", f, *s.Minimum)
		}
		if s.Maximum != nil && f > *s.Maximum {
			bad("%v is above the maximum %v", f, *s.Maximum)
		}
		if math.IsNaN(f) {
			bad("NaN")
		}
	case string:
		if s.MinLength != nil && len([]rune(x)) < *s.MinLength {
			bad("%q is shorter than %d", x, *s.MinLength)
		}
		if s.Format == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
				bad("%q is not an RFC 3339 date-time", x)
			}
		}
	case []any:
		if s.MinItems != nil && len(x) < *s.MinItems {
			bad("%d items, want at least %d", len(x), *s.MinItems)
		}
		if s.Items != nil {
			for i, e := range x {
				errs = append(errs, s.Items.validate(fmt.Sprintf("%s[%d]", path, i), e)...)
			}
		}
	case map[string]any:
		for _, k := range s.Required {
			if _, ok := x[k]; !ok {
				bad("required key %q missing", k)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			p := s.Properties[k]
			if p == nil {
				bad("key %q is not documented in the schema", k)
				continue
			}
			errs = append(errs, p.validate(path+"."+k, x[k])...)
		}
	}
	return errs
}

func decodeObject(t *testing.T, line []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	return m
}

// scored runs `sharewatch score` (pipeline.ScoreStream) over a simulated
// population and returns its verdict and account summary lines.
func scored(t *testing.T) (verdicts, accounts [][]byte) {
	t.Helper()
	pop := simulate.Config{Accounts: 40, Days: 10, Seed: 3}
	dir := t.TempDir()
	cfg := config.Default()
	cfg.GeoIP.City, cfg.GeoIP.ASN = filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")
	cfg.GeoIP.ReloadInterval = 0
	if err := simulate.WriteGeoIP(pop, cfg.GeoIP.City, cfg.GeoIP.ASN); err != nil {
		t.Fatal(err)
	}
	var events bytes.Buffer
	if _, err := simulate.Generate(pop, &events, new(bytes.Buffer)); err != nil {
		t.Fatal(err)
	}
	st, err := pipeline.BuildStages(context.Background(), cfg, pipeline.StageOptions{KeepSummaries: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out, acc bytes.Buffer
	if _, err := pipeline.ScoreStream(context.Background(), st.Processor, pipeline.BatchOptions{In: &events, Out: &out, Accounts: &acc}); err != nil {
		t.Fatal(err)
	}
	split := func(b []byte) [][]byte { return bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) }
	return split(out.Bytes()), split(acc.Bytes())
}

// TestOutputsMatchSchemas decodes every verdict and account summary that
// ScoreStream writes as generic JSON and validates it against
// verdict.schema.json and account.schema.json: required keys, types, enums,
// ranges, non-empty reasons and explanation, RFC 3339 times, and no
// undocumented keys.
func TestOutputsMatchSchemas(t *testing.T) {
	verdicts, accounts := scored(t)
	tests := []struct {
		name   string
		schema string
		lines  [][]byte
		// seen must all occur in the key's values, so the enum checks are
		// not vacuous.
		key  string
		seen []string
	}{
		{"verdicts", "verdict.schema.json", verdicts, "verdict", []string{"ok", "sharing"}},
		{"account summaries", "account.schema.json", accounts, "verdict", []string{"ok", "sharing"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := loadSchema(t, tc.schema)
			if len(tc.lines) == 0 || len(tc.lines[0]) == 0 {
				t.Fatal("nothing was written")
			}
			values := map[string]int{}
			failures := 0
			for i, line := range tc.lines {
				m := decodeObject(t, line)
				values[fmt.Sprint(m[tc.key])]++
				for _, err := range s.validate(fmt.Sprintf("line %d", i+1), m) {
					if failures++; failures <= 20 {
						t.Error(err)
					}
				}
			}
			if failures > 20 {
				t.Errorf("... %d violations in all", failures)
			}
			for _, v := range tc.seen {
				if values[v] == 0 {
					t.Errorf("no line has %s %q (values seen: %v); the population should produce it", tc.key, v, values)
				}
			}
		})
	}
}

// TestValidatorRejects makes sure the validator above catches each kind of
// violation, so that TestOutputsMatchSchemas can fail.
func TestValidatorRejects(t *testing.T) {
	s := loadSchema(t, "verdict.schema.json")
	good := `{"event_id":"e-1","type":"login","time":"2026-10-01T18:03:11Z","account_id":"a-42","session_id":"s-9","device_id":"d-7","ip":"81.228.0.10","country":"SE","city":"Stockholm","lat":59.33,"lon":18.07,"accuracy_km":20,"asn":3301,"score":0.03,"verdict":"ok","reasons":["single_household"],"explanation":"All activity fits one household.","action":"none","model_version":"m"}`
	if errs := s.validate("good", decodeObject(t, []byte(good))); len(errs) > 0 {
		t.Fatalf("the README's verdict example fails: %v", errs)
	}
	tests := []struct {
		name, from, to, want string
	}{
		{"required key missing", `"model_version":"m"`, `"model":"m"`, `required key "model_version" missing`},
		{"verdict not in enum", `"verdict":"ok"`, `"verdict":"maybe"`, "is not one of"},
		{"action not in enum", `"action":"none"`, `"action":"ban"`, "is not one of"},
		{"score above 1", `"score":0.03`, `"score":1.5`, "above the maximum"},
		{"score below 0", `"score":0.03`, `"score":-0.1`, "below the minimum"},
		{"score a string", `"score":0.03`, `"score":"0.03"`, "type string"},
		{"no reasons", `["single_household"]`, `[]`, "want at least 1"},
		{"empty explanation", `"All activity fits one household."`, `""`, "shorter than 1"},
		{"time not RFC 3339", `"2026-10-01T18:03:11Z"`, `"2026-10-01 18:03"`, "not an RFC 3339"},
		{"accuracy not an integer", `"accuracy_km":20`, `"accuracy_km":20.5`, "type number"},
		{"undocumented key", `"asn":3301`, `"asn":3301,"extra":1`, "not documented"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := strings.Replace(good, tc.from, tc.to, 1)
			if b == good {
				t.Fatalf("%q not in the example", tc.from)
			}
			errs := s.validate("bad", decodeObject(t, []byte(b)))
			if !strings.Contains(fmt.Sprint(errs), tc.want) {
				t.Errorf("errors %v, want one containing %q", errs, tc.want)
			}
		})
	}
}

// TestEventSchemaMatchesDecoder: the schema's example decodes with
// ingest.Decode to the same values, every key the schema requires is one
// Decode rejects an event without, and the optional ones may be left out.
func TestEventSchemaMatchesDecoder(t *testing.T) {
	b, err := os.ReadFile("event.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		schema
		AllOf []struct {
			If struct {
				Properties struct {
					Type struct {
						Const string `json:"const"`
					} `json:"type"`
				} `json:"properties"`
			} `json:"if"`
			Then struct {
				Required []string `json:"required"`
			} `json:"then"`
		} `json:"allOf"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Examples) == 0 {
		t.Fatal("event.schema.json has no example")
	}
	example := s.Examples[0]

	t.Run("example decodes", func(t *testing.T) {
		if errs := s.validate("example", decodeObject(t, example)); len(errs) > 0 {
			t.Errorf("example breaks its own schema: %v", errs)
		}
		ev, err := ingest.Decode(example)
		if err != nil {
			t.Fatalf("ingest.Decode(example): %v", err)
		}
		var w map[string]any
		if err := json.Unmarshal(example, &w); err != nil {
			t.Fatal(err)
		}
		got := map[string]any{
			"event_id": ev.EventID, "type": ev.Type.String(), "time": ev.Time.Format(time.RFC3339),
			"account_id": ev.AccountID, "session_id": ev.SessionID, "device_id": ev.DeviceID,
			"ip": ev.IP.String(), "user_agent": ev.UserAgent, "success": ev.Success,
		}
		for _, k := range slices.Sorted(maps.Keys(w)) {
			if fmt.Sprint(got[k]) != fmt.Sprint(w[k]) {
				t.Errorf("%s: decoded %v, example %v", k, got[k], w[k])
			}
		}
		for k := range s.Properties {
			if _, ok := got[k]; !ok {
				t.Errorf("schema property %q is not decoded into ingest.Event", k)
			}
		}
	})

	// Each required key, and each conditionally required one, dropped.
	required := map[string]string{} // key -> type it is required for ("" = all)
	for _, k := range s.Required {
		required[k] = ""
	}
	for _, a := range s.AllOf {
		if a.If.Properties.Type.Const != "" {
			for _, k := range a.Then.Required {
				required[k] = a.If.Properties.Type.Const
			}
		}
	}
	keys := slices.Sorted(maps.Keys(s.Properties))
	for _, k := range keys {
		t.Run("without "+k, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(example, &m); err != nil {
				t.Fatal(err)
			}
			delete(m, k)
			b, _ := json.Marshal(m)
			_, err := ingest.Decode(b)
			forType, isRequired := required[k]
			switch {
			case isRequired && (forType == "" || forType == m["type"]):
				var de *ingest.DecodeError
				if !errors.As(err, &de) || de.Field != k || de.Reason != ingest.ReasonMissing {
					t.Errorf("schema requires %q but Decode returned %v", k, err)
				}
			case err != nil:
				t.Errorf("schema does not require %q but Decode returned %v", k, err)
			}
		})
	}

	// Every type the schema allows decodes; anything else does not.
	var typ struct {
		Properties struct {
			Type struct {
				Enum []string `json:"enum"`
			} `json:"type"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(b, &typ); err != nil {
		t.Fatal(err)
	}
	for _, name := range append(slices.Clone(typ.Properties.Type.Enum), "logon") {
		t.Run("type "+name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(example, &m); err != nil {
				t.Fatal(err)
			}
			m["type"] = name
			b, _ := json.Marshal(m)
			_, err := ingest.Decode(b)
			allowed := slices.Contains(typ.Properties.Type.Enum, name)
			if allowed != (err == nil) {
				t.Errorf("schema allows it: %v; Decode: %v", allowed, err)
			}
		})
	}
}
