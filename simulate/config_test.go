package simulate

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; nil means valid
	}{
		{name: "zero value means defaults", cfg: Config{}},
		{name: "defaults", cfg: DefaultConfig()},
		{name: "alt profile", cfg: Config{Profile: ProfileAlt}},
		{name: "explicit knobs", cfg: Config{Accounts: 10, Days: 3, HeartbeatEvery: time.Minute, AccuracyScale: 3, TripRate: 0.5}},
		{name: "partial mix", cfg: Config{Mix: map[string]float64{ScenarioSolo: 1, ScenarioReseller: 0}}},
		{name: "negative accounts", cfg: Config{Accounts: -1}, want: []string{"Accounts"}},
		{name: "too many days", cfg: Config{Days: 4000}, want: []string{"Days"}},
		{name: "unknown profile", cfg: Config{Profile: "weird"}, want: []string{"Profile", `"weird"`}},
		{name: "unknown scenario", cfg: Config{Mix: map[string]float64{"pirate": 1}}, want: []string{"Mix", `"pirate"`}},
		{name: "negative weight", cfg: Config{Mix: map[string]float64{ScenarioSolo: -1, ScenarioHousehold: 1}}, want: []string{"Mix", "non-negative"}},
		{name: "all-zero mix", cfg: Config{Mix: map[string]float64{ScenarioSolo: 0}}, want: []string{"Mix", "all be zero"}},
		{name: "heartbeat too small", cfg: Config{HeartbeatEvery: time.Millisecond}, want: []string{"HeartbeatEvery"}},
		{name: "negative heartbeat", cfg: Config{HeartbeatEvery: -time.Second}, want: []string{"HeartbeatEvery"}},
		{name: "negative accuracy scale", cfg: Config{AccuracyScale: -2}, want: []string{"AccuracyScale"}},
		{name: "NaN sharer activity", cfg: Config{SharerActivity: math.NaN()}, want: []string{"SharerActivity"}},
		{name: "IPv4 fallback above 1", cfg: Config{IPv4Fallback: 1.5}, want: []string{"IPv4Fallback"}},
		{name: "IPv4 fallback", cfg: Config{IPv4Fallback: 0.15}},
		{name: "several errors are joined", cfg: Config{Accounts: -5, DevicesScale: -1, ResidentialJitterKM: 1e6}, want: []string{"Accounts", "DevicesScale", "ResidentialJitterKM"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want error mentioning %q", tt.want)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("errors.Is(%v, ErrInvalidConfig) = false", err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error %v is not a *FieldError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, err := NewStream(tt.cfg); err == nil {
				t.Error("NewStream accepted an invalid config")
			}
		})
	}
}

func TestWithDefaults(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		check func(t *testing.T, c Config)
	}{
		{"default profile", Config{}, func(t *testing.T, c Config) {
			if c.Accounts != 3000 || c.Days != 30 || c.Seed != 1 || c.Profile != ProfileDefault {
				t.Errorf("got Accounts=%d Days=%d Seed=%d Profile=%q", c.Accounts, c.Days, c.Seed, c.Profile)
			}
			if !c.Start.Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("Start = %v", c.Start)
			}
			if c.HeartbeatEvery != 10*time.Minute || c.AccuracyScale != 1 || c.SharerActivity != 3.5 || c.ResidentialJitterKM != 15 {
				t.Errorf("knobs = %+v", c)
			}
			if len(c.Mix) != len(Scenarios) {
				t.Errorf("Mix has %d scenarios, want %d", len(c.Mix), len(Scenarios))
			}
		}},
		{"alt profile changes the knobs", Config{Profile: ProfileAlt}, func(t *testing.T, c Config) {
			if c.HeartbeatEvery != 15*time.Minute || c.AccuracyScale != 2 || c.TripRate != 2 || c.SharerActivity >= 3.5 ||
				c.DevicesScale == 1 || c.ResidentialJitterKM != 30 || c.SessionRateScale == 1 || c.MobileShareScale == 1 {
				t.Errorf("alt knobs = %+v", c)
			}
		}},
		{"explicit values beat the profile", Config{Profile: ProfileAlt, HeartbeatEvery: 5 * time.Minute, AccuracyScale: 1.5}, func(t *testing.T, c Config) {
			if c.HeartbeatEvery != 5*time.Minute || c.AccuracyScale != 1.5 || c.TripRate != 2 {
				t.Errorf("got %+v", c)
			}
		}},
		{"mix is copied", Config{Mix: map[string]float64{ScenarioSolo: 1}}, func(t *testing.T, c Config) {
			c.Mix[ScenarioSolo] = 5
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := tt.cfg
			tt.check(t, tt.cfg.WithDefaults())
			if orig.Mix != nil && orig.Mix[ScenarioSolo] != 1 {
				t.Error("WithDefaults aliased the caller's Mix")
			}
		})
	}
}

func TestAssignScenarios(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want map[string]int
	}{
		{"default mix of 100", Config{Accounts: 100}, map[string]int{
			ScenarioSolo: 20, ScenarioHousehold: 20, ScenarioTraveller: 15, ScenarioTwoHomes: 7, ScenarioMobileHeavy: 8,
			ScenarioVPNUser: 8, ScenarioFriendSharer: 10, ScenarioSameCitySharer: 5, ScenarioReseller: 7,
		}},
		{"largest remainder", Config{Accounts: 3, Mix: map[string]float64{ScenarioSolo: 1, ScenarioReseller: 1}}, map[string]int{
			ScenarioSolo: 2, ScenarioReseller: 1,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]int{}
			for _, sc := range assignScenarios(tt.cfg.WithDefaults()) {
				got[sc]++
			}
			for sc, n := range tt.want {
				if got[sc] != n {
					t.Errorf("%s: %d accounts, want %d (all: %v)", sc, got[sc], n, got)
				}
			}
		})
	}
}

// TestEdgeConfigs runs unusual but valid configurations end to end.
func TestEdgeConfigs(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"one account one day", Config{Accounts: 1, Days: 1}},
		{"two days", Config{Accounts: 20, Days: 2}},
		{"alt profile", Config{Accounts: 30, Days: 3, Profile: ProfileAlt}},
		{"odd start and fast heartbeats", Config{Accounts: 10, Days: 2, Start: time.Date(2027, 3, 6, 13, 17, 0, 0, time.FixedZone("X", 3600)), HeartbeatEvery: 30 * time.Second}},
		{"extreme knobs", Config{Accounts: 20, Days: 3, DevicesScale: 10, TripRate: 20, SharerActivity: 100, SessionRateScale: 3, MobileShareScale: 20}},
	}
	for _, sc := range Scenarios {
		tests = append(tests, struct {
			name string
			cfg  Config
		}{"only " + sc, Config{Accounts: 15, Days: 4, Mix: map[string]float64{sc: 1}}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewStream(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			cfg := s.Config()
			var last time.Time
			n := 0
			for ev := range s.All() {
				if ev.Time.Before(last) || ev.Time.Before(cfg.Start) || !ev.Time.Before(cfg.end()) {
					t.Fatalf("event at %v out of order or outside [%v, %v)", ev.Time, cfg.Start, cfg.end())
				}
				last = ev.Time
				n++
			}
			if got := len(s.Labels()); got != cfg.Accounts {
				t.Errorf("%d labels for %d accounts", got, cfg.Accounts)
			}
			if n == 0 && cfg.Accounts > 1 {
				t.Error("no events")
			}
			for _, l := range s.Labels() {
				if l.Sharing && (l.SharingStart == nil || l.SharingStart.Before(cfg.Start) || !l.SharingStart.Before(cfg.end())) {
					t.Errorf("%s: sharing_start %v outside the period", l.AccountID, l.SharingStart)
				}
			}
		})
	}
}
