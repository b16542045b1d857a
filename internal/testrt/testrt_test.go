package testrt

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Run(m)) }

func get(t *testing.T, url string, auth func(*http.Request)) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	auth(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestSharedServerAnswersREST2(t *testing.T) {
	s := Start(t)
	t.Logf("RT set up in %v, started in %v, at %s", s.SetupTime, s.StartTime, s.URL())
	if Start(t) != s {
		t.Fatal("Start did not share the instance")
	}
	tests := []struct {
		name string
		auth func(*http.Request)
		want int
	}{
		{"basic auth", func(r *http.Request) { r.SetBasicAuth(User, Password) }, http.StatusOK},
		{"token", func(r *http.Request) { r.Header.Set("Authorization", "token "+s.Token()) }, http.StatusOK},
		{"wrong password", func(r *http.Request) { r.SetBasicAuth(User, "nope") }, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(t, s.URL()+"/REST/2.0/queue/"+Queue, tc.auth)
			if code != tc.want {
				t.Fatalf("GET queue = %d, want %d (%v)", code, tc.want, body)
			}
		})
	}
	// The custom fields exist and apply to General.
	code, body := get(t, s.URL()+"/REST/2.0/queue/"+Queue, func(r *http.Request) { r.SetBasicAuth(User, Password) })
	if code != http.StatusOK {
		t.Fatalf("GET queue = %d", code)
	}
	var names []string
	cfs, _ := body["TicketCustomFields"].([]any)
	for _, cf := range cfs {
		if m, ok := cf.(map[string]any); ok {
			names = append(names, fmt.Sprint(m["name"]))
		}
	}
	for _, want := range []string{"SharewatchAccount", "SharewatchDecision", "SharewatchReason"} {
		if !slices.Contains(names, want) {
			t.Errorf("queue %s lacks custom field %s; has %v", Queue, want, names)
		}
	}
}
