package config

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/sharewatch/sharewatch/ingest"
)

func TestExampleConfigParses(t *testing.T) {
	b, err := os.ReadFile("../sharewatch.example.yml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(b)
	if err != nil {
		t.Fatalf("the documented example config must be valid: %v", err)
	}
	d := Default()
	if c.Kafka.Topic != d.Kafka.Topic || c.Kafka.DLQTopic != "logins.dlq" || c.Server.Listen != "127.0.0.1:9464" {
		t.Errorf("example disagrees with defaults: %+v", c.Kafka)
	}
	if c.Holds.Topic != "account-holds" || c.Helpdesk.Kind != "file" || c.ClickHouse.Database != "sharewatch" {
		t.Errorf("example disagrees with defaults: holds %q helpdesk %q db %q", c.Holds.Topic, c.Helpdesk.Kind, c.ClickHouse.Database)
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
		is         error
	}{
		{name: "unknown field", yaml: "kafka:\n  topik: x\ngeoip:\n  city: c.mmdb\n", want: []string{"topik"}},
		{name: "missing geoip city", yaml: "kafka:\n  topic: logins\n", want: []string{"geoip.city"}},
		{name: "empty brokers", yaml: "kafka:\n  brokers: []\ngeoip:\n  city: c.mmdb\n", want: []string{"kafka.brokers"}, is: ingest.ErrMissingBrokers},
		{name: "bad helpdesk kind", yaml: "geoip:\n  city: c.mmdb\nhelpdesk:\n  kind: jira\n", want: []string{"helpdesk.kind"}},
		{name: "bad thresholds", yaml: "geoip:\n  city: c.mmdb\nscoring:\n  suspected_threshold: 0.9\n  sharing_threshold: 0.5\n", want: []string{"scoring.suspected_threshold"}},
		{name: "several errors at once", yaml: "kafka:\n  topic: \"\"\nhelpdesk:\n  kind: jira\n", want: []string{"kafka.topic", "helpdesk.kind", "geoip.city"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
		})
	}
}
