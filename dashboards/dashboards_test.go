package dashboards

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"go.uber.org/goleak"
	"gopkg.in/yaml.v3"

	"github.com/sharewatch/sharewatch/config"
	"github.com/sharewatch/sharewatch/internal/testch"
	"github.com/sharewatch/sharewatch/internal/testproc"
	"github.com/sharewatch/sharewatch/scoring"
	"github.com/sharewatch/sharewatch/verdictstore"
)

// Paths from this package's directory.
const (
	repoRoot       = ".."
	rulesFile      = "../alerts/sharewatch.rules.yml"
	composeFile    = "../docker-compose.yml"
	sharewatchYAML = "../deploy/sharewatch.yml"
	promConfig     = "../deploy/prometheus/prometheus.yml"
	dsProvisioning = "../deploy/grafana/provisioning/datasources/sharewatch.yml"
	dbProvisioning = "../deploy/grafana/provisioning/dashboards/sharewatch.yml"
)

func TestMain(m *testing.M) {
	code := testch.Run(m)
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// requireTool returns the path of a program the tests need. A missing one
// fails the test: scripts/test-deps.sh installs it.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found (%v): run scripts/test-deps.sh, which installs it from Debian", name, err)
	}
	return p
}

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(requireTool(t, name), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// query is one query of a dashboard panel or template variable.
type query struct {
	where string // dashboard / panel / refId
	ds    string // datasource type
	expr  string // PromQL, with Grafana variables still in place
	sql   string // ClickHouse SQL, with macros still in place
}

// loadQueries reads every committed dashboard and returns its queries.
func loadQueries(t *testing.T) []query {
	t.Helper()
	files, err := filepath.Glob("*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards found: %v", err)
	}
	var qs []query
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Title      string            `json:"title"`
			Panels     []json.RawMessage `json:"panels"`
			Templating struct {
				List []struct {
					Name       string     `json:"name"`
					Type       string     `json:"type"`
					Datasource datasource `json:"datasource"`
					Query      any        `json:"query"`
				} `json:"list"`
			} `json:"templating"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			text, _ := v.Query.(string)
			if m, ok := v.Query.(map[string]any); ok {
				text, _ = m["query"].(string)
			}
			qs = append(qs, query{where: file + " / variable " + v.Name, ds: v.Datasource.Type, expr: text})
		}
		qs = append(qs, panelQueries(t, file, d.Panels)...)
	}
	return qs
}

func panelQueries(t *testing.T, file string, raw []json.RawMessage) []query {
	var qs []query
	for _, r := range raw {
		var p struct {
			Title      string            `json:"title"`
			Type       string            `json:"type"`
			Datasource *datasource       `json:"datasource"`
			Panels     []json.RawMessage `json:"panels"`
			Targets    []struct {
				RefID      string      `json:"refId"`
				Datasource *datasource `json:"datasource"`
				Expr       string      `json:"expr"`
				RawSQL     string      `json:"rawSql"`
			} `json:"targets"`
		}
		if err := json.Unmarshal(r, &p); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		qs = append(qs, panelQueries(t, file, p.Panels)...) // collapsed rows
		if p.Type == "row" || p.Type == "text" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s / %s: panel has no query", file, p.Title)
		}
		for _, tg := range p.Targets {
			ds := p.Datasource
			if tg.Datasource != nil {
				ds = tg.Datasource
			}
			if ds == nil {
				t.Errorf("%s / %s / %s: no datasource", file, p.Title, tg.RefID)
				continue
			}
			qs = append(qs, query{where: file + " / " + p.Title + " / " + tg.RefID, ds: ds.Type, expr: tg.Expr, sql: tg.RawSQL})
		}
	}
	return qs
}

// promExpr substitutes the Grafana variables the dashboards use.
func promExpr(expr string) (string, error) {
	out := strings.NewReplacer(
		"$__rate_interval", "5m", "$__interval", "1m", "$__range", "1d",
		"$job", "sharewatch", "$instance", ".*",
	).Replace(expr)
	if i := strings.IndexByte(out, '$'); i >= 0 {
		return "", fmt.Errorf("unknown Grafana variable at %q", out[i:])
	}
	return out, nil
}

var labelValues = regexp.MustCompile(`^\s*label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$`)

// promQueries returns every Prometheus expression of the dashboards with
// the variables substituted: panel queries, and the selectors of
// label_values() variables.
func promQueries(t *testing.T) []query {
	t.Helper()
	var out []query
	for _, q := range loadQueries(t) {
		if q.ds != dsPrometheus.Type {
			continue
		}
		if q.expr == "" {
			t.Errorf("%s: Prometheus target without expr", q.where)
			continue
		}
		expr := q.expr
		if m := labelValues.FindStringSubmatch(expr); m != nil {
			expr = m[1]
		}
		e, err := promExpr(expr)
		if err != nil {
			t.Errorf("%s: %v", q.where, err)
			continue
		}
		q.expr = e
		out = append(out, q)
	}
	if len(out) == 0 {
		t.Fatal("no Prometheus queries in the dashboards")
	}
	return out
}

// alertExprs returns the expressions of the alerting rules.
func alertExprs(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Record      string            `yaml:"record"`
				Expr        string            `yaml:"expr"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			name := r.Alert
			if name == "" {
				name = "record " + r.Record
			} else {
				if s := r.Labels["severity"]; s != "critical" && s != "warning" {
					t.Errorf("alert %s: severity %q, want critical or warning", name, s)
				}
				if r.Labels["team"] == "" {
					t.Errorf("alert %s: no team label", name)
				}
				for _, a := range []string{"summary", "description", "dashboard"} {
					if r.Annotations[a] == "" {
						t.Errorf("alert %s: no %s annotation", name, a)
					}
				}
			}
			out[name] = r.Expr
		}
	}
	if len(out) == 0 {
		t.Fatal("no rules in " + rulesFile)
	}
	return out
}

// promKeywords are words in PromQL that are not metric names when they are
// not followed by a parenthesis.
var promKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "start": true, "end": true,
	"inf": true, "nan": true, "Inf": true, "NaN": true,
}

// promAggregations take "by (...)" or "without (...)" between their name and
// their argument, so they are followed by a word rather than a parenthesis.
var promAggregations = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true, "limitk": true, "limit_ratio": true,
}

// promGrouping are followed by a list of label names.
var promGrouping = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true}

// promMetricNames returns the metric names a PromQL expression selects. It
// is a small lexer: label matchers, ranges and strings are skipped, a word
// followed by a parenthesis is a function, and grouping label lists are
// skipped.
func promMetricNames(expr string) []string {
	var names []string
	isWordStart := func(c byte) bool { return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	isWord := func(c byte) bool { return isWordStart(c) || c >= '0' && c <= '9' }
	skipString := func(i int) int { // i at the opening quote; returns the index after the closing one
		q := expr[i]
		for i++; i < len(expr); i++ {
			if expr[i] == '\\' && q != '`' {
				i++
				continue
			}
			if expr[i] == q {
				return i + 1
			}
		}
		return i
	}
	skipTo := func(i int, closing byte) int { // i at the opening bracket
		for i++; i < len(expr); {
			switch c := expr[i]; {
			case c == '"' || c == '\'' || c == '`':
				i = skipString(i)
			case c == closing:
				return i + 1
			default:
				i++
			}
		}
		return i
	}
	nextNonSpace := func(i int) int {
		for i < len(expr) && (expr[i] == ' ' || expr[i] == '\t' || expr[i] == '\n' || expr[i] == '\r') {
			i++
		}
		return i
	}
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = skipString(i)
		case c == '{':
			i = skipTo(i, '}')
		case c == '[':
			i = skipTo(i, ']')
		case c == '#': // comment to end of line
			for i < len(expr) && expr[i] != '\n' {
				i++
			}
		case c >= '0' && c <= '9' || c == '.':
			for i < len(expr) && (isWord(expr[i]) || expr[i] == '.') {
				i++
			}
		case isWordStart(c):
			j := i
			for j < len(expr) && isWord(expr[j]) {
				j++
			}
			word := expr[i:j]
			k := nextNonSpace(j)
			switch {
			case promGrouping[word] && k < len(expr) && expr[k] == '(':
				j = skipTo(k, ')')
			case k < len(expr) && expr[k] == '(', promAggregations[word], promKeywords[word], promGrouping[word]:
			default:
				names = append(names, word)
			}
			i = j
		default:
			i++
		}
	}
	return names
}

func TestDashboardPromMetricNames(t *testing.T) {
	for _, tc := range []struct {
		name, expr string
		want       []string
	}{
		{"selector", `up{job="x"} == 0`, []string{"up"}},
		{"aggregation", `sum by (job, instance) (rate(a_total{x="{not}"}[5m])) / sum without (le) (b)`, []string{"a_total", "b"}},
		{"histogram", `histogram_quantile(0.99, sum by (le) (rate(h_bucket[1m])))`, []string{"h_bucket"}},
		{"set operators", `a > 0 and on (instance) b unless ignoring(x) c`, []string{"a", "b", "c"}},
		{"numbers and time", `time() - max(x > 0) > 30 * 86400 offset 5m`, []string{"x"}},
		{"label_values selector", `sharewatch_scoring_model_info{job=~"$job"}`, []string{"sharewatch_scoring_model_info"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := promMetricNames(tc.expr); !slices.Equal(got, tc.want) {
				t.Errorf("promMetricNames(%q) = %q, want %q", tc.expr, got, tc.want)
			}
		})
	}
}

// TestDashboardStructure checks what Grafana relies on: unique UIDs and
// panel IDs, panels inside the 24-column grid, and datasources that the
// provisioning file defines with the same type.
func TestDashboardStructure(t *testing.T) {
	provisioned := map[string]string{} // uid -> type
	b, err := os.ReadFile(dsProvisioning)
	if err != nil {
		t.Fatal(err)
	}
	var prov struct {
		Datasources []struct {
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(b, &prov); err != nil {
		t.Fatal(err)
	}
	for _, d := range prov.Datasources {
		provisioned[d.UID] = d.Type
	}
	if provisioned[dsClickHouse.UID] != "grafana-clickhouse-datasource" || provisioned[dsPrometheus.UID] != "prometheus" {
		t.Fatalf("%s: want datasources %v and %v, have %v", dsProvisioning, dsPrometheus, dsClickHouse, provisioned)
	}

	uids := map[string]string{}
	files, _ := filepath.Glob("*.json")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		uid, _ := d["uid"].(string)
		if uid == "" || uids[uid] != "" {
			t.Errorf("%s: uid %q missing or also used by %s", file, uid, uids[uid])
		}
		uids[uid] = file
		ids := map[float64]bool{}
		var walk func(panels []any)
		walk = func(panels []any) {
			for _, p := range panels {
				p := p.(map[string]any)
				title, _ := p["title"].(string)
				id, _ := p["id"].(float64)
				if ids[id] {
					t.Errorf("%s / %s: panel id %v used twice", file, title, id)
				}
				ids[id] = true
				g, _ := p["gridPos"].(map[string]any)
				if x, w := g["x"].(float64), g["w"].(float64); w <= 0 || x+w > 24 {
					t.Errorf("%s / %s: gridPos x=%v w=%v outside the 24-column grid", file, title, x, w)
				}
				var sources []any
				sources = append(sources, p["datasource"])
				targets, _ := p["targets"].([]any)
				for _, tg := range targets {
					sources = append(sources, tg.(map[string]any)["datasource"])
				}
				for _, s := range sources {
					s, ok := s.(map[string]any)
					if !ok {
						continue
					}
					uid, _ := s["uid"].(string)
					typ, _ := s["type"].(string)
					if provisioned[uid] != typ {
						t.Errorf("%s / %s: datasource %s (%s) is not provisioned with that type in %s", file, title, uid, typ, dsProvisioning)
					}
				}
				if sub, ok := p["panels"].([]any); ok {
					walk(sub)
				}
			}
		}
		panels, _ := d["panels"].([]any)
		walk(panels)
	}
}

// TestDashboardPromQLParses runs every dashboard expression through
// promtool, as recording rules, so that a typo fails here rather than in
// front of an operator.
func TestDashboardPromQLParses(t *testing.T) {
	promtool := requireTool(t, "promtool")
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	for i, q := range promQueries(t) {
		rules = append(rules, rule{Record: fmt.Sprintf("dashboard:query_%d:check", i), Expr: q.expr})
	}
	b, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboards", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dashboards.rules.yml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules on the dashboard expressions: %v\n%s\n%s", err, out, b)
	}
}

// TestAlertRules validates the rule file with promtool, runs its unit tests,
// and requires every alert to be exercised by them.
func TestAlertRules(t *testing.T) {
	alerts := alertExprs(t)
	out := run(t, ".", "promtool", "check", "rules", rulesFile)
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool check rules: %s", out)
	}
	tests, err := filepath.Glob("../alerts/*.test.yml")
	if err != nil || len(tests) == 0 {
		t.Fatalf("no rule unit tests in ../alerts: %v", err)
	}
	var names []string
	var all strings.Builder
	for _, f := range tests {
		names = append(names, filepath.Base(f))
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	run(t, "../alerts", "promtool", append([]string{"test", "rules"}, names...)...)
	for name := range alerts {
		if strings.HasPrefix(name, "record ") {
			continue
		}
		if !strings.Contains(all.String(), `"`+name+`"`) {
			t.Errorf("alert %s has no unit test in ../alerts/*.test.yml", name)
		}
	}
}

// binary is the sharewatch binary, built once per test run.
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func sharewatchBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = "/usr/local/go/bin/go"
		}
		binary.dir, binary.err = os.MkdirTemp("", "sharewatch-bin-")
		if binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "sharewatch")
		cmd := exec.Command(goTool, "build", "-o", binary.path, "./cmd/sharewatch")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build ./cmd/sharewatch: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// demoMetrics runs `sharewatch demo --linger` writing to a real ClickHouse
// (so that the ClickHouse metrics are registered too), waits for its
// summary and returns its /metrics page.
func demoMetrics(t *testing.T) string {
	t.Helper()
	bin := sharewatchBinary(t)
	dsn := testch.Start(t)
	addr := testproc.FreeAddr(t)
	var out testproc.Buffer
	cmd := exec.Command(bin, "demo", "--accounts", "50", "--days", "3", "--listen", addr, "--linger",
		"--dir", t.TempDir(), "--clickhouse", dsn)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("sharewatch demo did not stop within 20s of SIGINT; killed")
		}
	})
	deadline := time.Now().Add(3 * time.Minute)
	for !strings.Contains(out.String(), "still serving") {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("sharewatch demo exited early (%v):\n%s", err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("sharewatch demo printed no summary within 3 minutes:\n%s", out.String())
		}
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

// metricFamilies returns name -> type from the "# TYPE" lines of a text
// exposition.
func metricFamilies(page string) map[string]string {
	fams := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(page))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			fams[f[2]] = f[3]
		}
	}
	return fams
}

// prometheusSeries are series Prometheus makes itself, not the target.
var prometheusSeries = map[string]bool{
	"up": true, "scrape_duration_seconds": true, "scrape_samples_scraped": true,
	"scrape_samples_post_metric_relabeling": true, "scrape_series_added": true, "ALERTS": true, "ALERTS_FOR_STATE": true,
}

// exported reports whether name is a series a scrape of fams yields.
func exported(fams map[string]string, name string) bool {
	if prometheusSeries[name] || fams[name] != "" {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok {
			continue
		}
		if typ := fams[base]; typ == "histogram" || typ == "summary" && suffix != "_bucket" {
			return true
		}
	}
	return false
}

func TestDashboardExported(t *testing.T) {
	fams := metricFamilies(`# HELP a_seconds x
# TYPE a_seconds histogram
a_seconds_bucket{le="1"} 0
# TYPE b_total counter
# TYPE c summary
# TYPE d gauge
`)
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"a_seconds", true}, {"a_seconds_bucket", true}, {"a_seconds_count", true}, {"a_seconds_sum", true},
		{"b_total", true}, {"b_total_count", false}, {"c_count", true}, {"c_bucket", false},
		{"d", true}, {"d_bucket", false}, {"up", true}, {"e", false},
	} {
		if got := exported(fams, tc.name); got != tc.want {
			t.Errorf("exported(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestDashboardAndAlertMetricsExported is the first check: every
// metric a dashboard or an alert rule uses is exported by a running
// sharewatch (the demo, which opens tickets and dead-letters events).
func TestDashboardAndAlertMetricsExported(t *testing.T) {
	used := map[string][]string{} // metric -> where
	for _, q := range promQueries(t) {
		for _, n := range promMetricNames(q.expr) {
			used[n] = append(used[n], q.where)
		}
	}
	for name, expr := range alertExprs(t) {
		for _, n := range promMetricNames(expr) {
			used[n] = append(used[n], "alert "+name)
		}
	}
	fams := metricFamilies(demoMetrics(t))
	if len(fams) == 0 {
		t.Fatal("the demo exported no metrics")
	}
	var missing []string
	for n, where := range used {
		if !exported(fams, n) {
			missing = append(missing, fmt.Sprintf("%s (used by %s)", n, strings.Join(where, "; ")))
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("not exported by sharewatch: %s", m)
	}
	var unused []string
	for n := range fams {
		if len(used[n]) == 0 && len(used[n+"_bucket"]) == 0 && len(used[n+"_count"]) == 0 && len(used[n+"_sum"]) == 0 {
			unused = append(unused, n)
		}
	}
	sort.Strings(unused)
	t.Logf("%d metrics used by dashboards and alerts; exported but unused: %v", len(used), unused)
}

var (
	macroTimeFilter   = regexp.MustCompile(`\$__timeFilter\(([^()]*)\)`)
	macroDateFilter   = regexp.MustCompile(`\$__dateFilter\(([^()]*)\)`)
	macroTimeInterval = regexp.MustCompile(`\$__timeInterval\(([^()]*)\)`)
	macroMillis       = regexp.MustCompile(`\$__\w+_ms\b`)
	databasePrefix    = regexp.MustCompile(`\bsharewatch\.`)
)

// clickhouseSQL expands the grafana-clickhouse-datasource macros as the
// plugin does (pkg/macros/macros.go), for a range [from, to] and an
// interval, and points the query at database db. The millisecond macros
// need DateTime64, which ClickHouse 18.16 lacks, so they are refused.
func clickhouseSQL(sql, db string, from, to time.Time, interval time.Duration) (string, error) {
	if m := macroMillis.FindString(sql); m != "" {
		return "", fmt.Errorf("%s expands to DateTime64, which ClickHouse 18.16 does not have", m)
	}
	dt := func(t time.Time) string { return fmt.Sprintf("toDateTime(%d)", t.Unix()) }
	date := func(t time.Time) string { return fmt.Sprintf("toDate('%s')", t.UTC().Format("2006-01-02")) }
	secs := strconv.Itoa(max(int(interval.Seconds()), 1))
	sql = macroTimeFilter.ReplaceAllStringFunc(sql, func(m string) string {
		col := strings.TrimSpace(macroTimeFilter.FindStringSubmatch(m)[1])
		return col + " >= " + dt(from) + " AND " + col + " <= " + dt(to)
	})
	sql = macroDateFilter.ReplaceAllStringFunc(sql, func(m string) string {
		col := strings.TrimSpace(macroDateFilter.FindStringSubmatch(m)[1])
		return col + " >= " + date(from) + " AND " + col + " <= " + date(to)
	})
	sql = macroTimeInterval.ReplaceAllStringFunc(sql, func(m string) string {
		col := strings.TrimSpace(macroTimeInterval.FindStringSubmatch(m)[1])
		return "toStartOfInterval(toDateTime(" + col + "), INTERVAL " + secs + " second)"
	})
	sql = strings.NewReplacer("$__fromTime", dt(from), "$__toTime", dt(to), "$__interval_s", secs).Replace(sql)
	if i := strings.IndexByte(sql, '$'); i >= 0 {
		return "", fmt.Errorf("unsupported macro or variable at %q", sql[i:])
	}
	return databasePrefix.ReplaceAllString(sql, db+"."), nil
}

// seed writes a small history to the store: verdicts of every label over
// the last hours, and tickets, holds (one suppressed by the brake), a
// release and decisions both ways in the actions table.
func seed(t *testing.T, store *verdictstore.ClickHouse) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	labels := []scoring.Label{scoring.LabelOK, scoring.LabelTravel, scoring.LabelSuspectedSharing, scoring.LabelSharing}
	reasons := [][]string{{"single_household"}, {"travel_known_device"}, {"second_household"}, {"concurrent_households", "second_household"}}
	var vs []scoring.Verdict
	for a := 0; a < 4; a++ {
		for e := 0; e < 5; e++ {
			l := min(e, a) // account a climbs to label a
			vs = append(vs, scoring.Verdict{
				EventID: fmt.Sprintf("e-%d-%d", a, e), Type: "login", Time: now.Add(time.Duration(e-6) * time.Hour),
				AccountID: fmt.Sprintf("acc-%d", a), SessionID: "s", DeviceID: fmt.Sprintf("d-%d", e), IP: "81.228.0.10",
				Country: []string{"SE", "US"}[e%2], City: "Stockholm", Lat: 59.33, Lon: 18.07, AccuracyKM: 20, ASN: 3301,
				Score: float64(l) / 4, Verdict: labels[l], Reasons: reasons[l], Explanation: "test", Action: "none",
				ModelVersion: "test-model",
			})
		}
	}
	// acc-3, held, later came home: its devices streamed at the home.
	vs = append(vs, scoring.Verdict{
		EventID: "e-3-home", Type: "login", Time: now.Add(-30 * time.Minute), AccountID: "acc-3", SessionID: "s", DeviceID: "d-4",
		IP: "81.228.0.10", Country: "SE", City: "Stockholm", Lat: 59.33, Lon: 18.07, AccuracyKM: 20, ASN: 3301,
		Score: 0.02, Verdict: scoring.LabelOK, Reasons: []string{"single_household", "flagged_came_home"}, Explanation: "test", Action: "none",
		ModelVersion: "test-model",
	})
	if err := store.Write(ctx, vs); err != nil {
		t.Fatal(err)
	}
	at := func(h int) time.Time { return now.Add(time.Duration(h) * time.Hour) }
	actions := []verdictstore.ActionRecord{
		{AccountID: "acc-2", Time: at(-30), Action: verdictstore.ActionTicket, Actor: "sharewatch", Reason: "ticket opened (high priority): test", TicketRef: "file:1", Verdict: scoring.LabelSuspectedSharing, Score: 0.5},
		{AccountID: "acc-3", Time: at(-5), Action: verdictstore.ActionTicket, Actor: "sharewatch", Reason: "ticket opened (high priority): test", TicketRef: "file:2", Verdict: scoring.LabelSharing, Score: 0.75},
		{AccountID: "acc-1", Time: at(-4), Action: verdictstore.ActionTicket, Actor: "sharewatch", Reason: "ticket opened (normal priority): test", TicketRef: "file:3", Verdict: scoring.LabelSuspectedSharing, Score: 0.4},
		{AccountID: "acc-3", Time: at(-4), Action: verdictstore.ActionHold, Actor: "sharewatch", Reason: "sharing", TicketRef: "file:2", Verdict: scoring.LabelSharing, Score: 0.75},
		{AccountID: "acc-2", Time: at(-4), Action: verdictstore.ActionHold, Actor: "sharewatch", Reason: "hold suppressed, blast-radius brake engaged: test", Verdict: scoring.LabelSharing, Score: 0.9, DryRun: true},
		{AccountID: "acc-2", Time: at(-3), Action: verdictstore.ActionDecision, Actor: "analyst", Reason: "not_sharing: family member travelling", TicketRef: "file:1"},
		{AccountID: "acc-3", Time: at(-2), Action: verdictstore.ActionDecision, Actor: "analyst", Reason: "sharing: reseller", TicketRef: "file:2", Verdict: scoring.LabelSharing},
		{AccountID: "acc-3", Time: at(-2), Action: verdictstore.ActionComment, Actor: "sharewatch", Reason: "escalation: test", TicketRef: "file:2"},
		{AccountID: "acc-2", Time: at(-1), Action: verdictstore.ActionRelease, Actor: "analyst", Reason: "not_sharing", TicketRef: "file:1"},
	}
	if err := store.WriteActions(ctx, actions); err != nil {
		t.Fatal(err)
	}
}

// TestDashboardClickHouseQueries is the second check: every
// ClickHouse query of the dashboards, with the plugin's macros expanded,
// runs against the real schema (the migrations, on Debian's ClickHouse
// 18.16) and returns rows for a seeded history.
func TestDashboardClickHouseQueries(t *testing.T) {
	dsn := testch.Start(t)
	store, err := verdictstore.NewClickHouse(verdictstore.ClickHouseOptions{Config: verdictstore.Config{DSN: dsn}})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	seed(t, store)
	db := store.Config().Database

	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	to := time.Now().Add(time.Minute)
	from := to.Add(-24 * time.Hour)
	n := 0
	for _, q := range loadQueries(t) {
		if q.ds != dsClickHouse.Type {
			continue
		}
		n++
		t.Run(q.where, func(t *testing.T) {
			if strings.TrimSpace(q.sql) == "" {
				t.Fatal("ClickHouse target without rawSql")
			}
			sql, err := clickhouseSQL(q.sql, db, from, to, 10*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := conn.Query(ctx, sql)
			if err != nil {
				t.Fatalf("%v\n%s", err, sql)
			}
			defer rows.Close()
			count := 0
			for rows.Next() {
				count++
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("%v\n%s", err, sql)
			}
			if count == 0 {
				t.Errorf("no rows for the seeded history:\n%s", sql)
			}
		})
	}
	if n == 0 {
		t.Fatal("no ClickHouse queries in the dashboards")
	}
}

func TestDashboardClickHouseMacros(t *testing.T) {
	from, to := time.Unix(1415792726, 0), time.Unix(1447328726, 0)
	for _, tc := range []struct{ name, in, want, err string }{
		{"timeFilter", "WHERE $__timeFilter(time)", "WHERE time >= toDateTime(1415792726) AND time <= toDateTime(1447328726)", ""},
		{"timeFilter qualified", "$__timeFilter(a.time)", "a.time >= toDateTime(1415792726) AND a.time <= toDateTime(1447328726)", ""},
		{"timeInterval", "$__timeInterval(time)", "toStartOfInterval(toDateTime(time), INTERVAL 20 second)", ""},
		{"from to interval", "$__fromTime $__toTime $__interval_s", "toDateTime(1415792726) toDateTime(1447328726) 20", ""},
		{"database", "FROM sharewatch.verdicts", "FROM db1.verdicts", ""},
		{"millis refused", "$__timeFilter_ms(time)", "", "DateTime64"},
		{"variable refused", "WHERE account_id = '$account'", "", "unsupported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := clickhouseSQL(tc.in, "db1", from, to, 20*time.Second)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %q, %v; want error containing %q", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestComposeConfig validates docker-compose.yml with Debian's
// docker-compose (no engine needed) and checks that the files it mounts
// agree with each other: the sharewatch config loads and listens where
// Prometheus scrapes, the Prometheus config passes promtool, and Grafana's
// dashboard provider reads the directory the dashboards are mounted in.
func TestComposeConfig(t *testing.T) {
	run(t, repoRoot, "docker-compose", "-f", "docker-compose.yml", "config", "--quiet")

	b, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Build       any               `yaml:"build"`
			Command     []string          `yaml:"command"`
			Entrypoint  []string          `yaml:"entrypoint"`
			Environment map[string]string `yaml:"environment"`
			Volumes     []string          `yaml:"volumes"`
			DependsOn   map[string]struct {
				Condition string `yaml:"condition"`
			} `yaml:"depends_on"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatalf("%s: %v (services need map-form environment and depends_on for this test)", composeFile, err)
	}
	for _, name := range []string{"kafka", "kafka-topics", "clickhouse", "sharewatch", "prometheus", "grafana"} {
		if _, ok := compose.Services[name]; !ok {
			t.Errorf("docker-compose.yml: no service %s", name)
		}
	}
	mounts := map[string]map[string]string{} // service -> container path -> host path
	for name, s := range compose.Services {
		if s.Build == nil {
			if _, tag, ok := strings.Cut(s.Image, ":"); !ok || tag == "" || tag == "latest" {
				t.Errorf("service %s: image %q is not pinned to a version", name, s.Image)
			}
		}
		mounts[name] = map[string]string{}
		for _, v := range s.Volumes {
			parts := strings.Split(v, ":")
			if len(parts) < 2 {
				continue
			}
			mounts[name][parts[1]] = parts[0]
			if !strings.HasPrefix(parts[0], ".") {
				continue // a named volume
			}
			host := filepath.Join(repoRoot, parts[0])
			if _, err := os.Stat(host); err != nil && parts[0] != "./geoip" {
				t.Errorf("service %s mounts %s, which does not exist: %v", name, parts[0], err)
			}
		}
	}

	sw := compose.Services["sharewatch"]
	if want := []string{"run", "--config", "/etc/sharewatch/sharewatch.yml"}; !slices.Equal(sw.Command, want) {
		t.Errorf("sharewatch command %q, want %q", sw.Command, want)
	}
	if mounts["sharewatch"]["/etc/sharewatch/sharewatch.yml"] != "./deploy/sharewatch.yml" {
		t.Errorf("sharewatch does not mount ./deploy/sharewatch.yml at /etc/sharewatch/sharewatch.yml: %v", mounts["sharewatch"])
	}
	if sw.DependsOn["kafka-topics"].Condition != "service_completed_successfully" || sw.DependsOn["clickhouse"].Condition != "service_healthy" {
		t.Errorf("sharewatch must wait for the topics and a healthy ClickHouse: %+v", sw.DependsOn)
	}
	if !strings.Contains(compose.Services["grafana"].Environment["GF_INSTALL_PLUGINS"], "grafana-clickhouse-datasource") {
		t.Error("grafana: GF_INSTALL_PLUGINS does not install grafana-clickhouse-datasource")
	}

	cfg, err := config.Load(sharewatchYAML)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Listen != "0.0.0.0:9464" {
		t.Errorf("%s: server.listen %q, want 0.0.0.0:9464 so that Prometheus can scrape the container", sharewatchYAML, cfg.Server.Listen)
	}
	for _, p := range []string{cfg.GeoIP.City, cfg.GeoIP.ASN} {
		if p != "" && !strings.HasPrefix(p, "/geoip/") {
			t.Errorf("%s: GeoIP file %s is not in the mounted /geoip", sharewatchYAML, p)
		}
	}
	script, err := os.ReadFile(filepath.Join(repoRoot, mounts["kafka-topics"]["/create-topics.sh"]))
	if err != nil {
		t.Fatalf("kafka-topics script: %v", err)
	}
	for _, topic := range []string{cfg.Kafka.Topic, cfg.Kafka.DLQTopic, cfg.Holds.Topic} {
		if !strings.Contains(string(script), " "+topic+":") {
			t.Errorf("the topic-creation script does not create %q", topic)
		}
	}

	// Prometheus scrapes sharewatch on its listen port and loads the rules;
	// promtool checks the config with the rule path pointed at ../alerts.
	prom, err := os.ReadFile(promConfig)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(cfg.Server.Listen)
	if !strings.Contains(string(prom), `"sharewatch:`+port+`"`) {
		t.Errorf("%s does not scrape sharewatch:%s", promConfig, port)
	}
	if mounts["prometheus"]["/etc/prometheus/rules"] != "./alerts" || mounts["prometheus"]["/etc/prometheus/prometheus.yml"] != "./deploy/prometheus/prometheus.yml" {
		t.Errorf("prometheus mounts %v, want ./alerts and ./deploy/prometheus/prometheus.yml", mounts["prometheus"])
	}
	abs, err := filepath.Abs(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	local := strings.Replace(string(prom), "/etc/prometheus/rules/*.rules.yml", abs, 1)
	if local == string(prom) {
		t.Fatalf("%s: rule_files no longer /etc/prometheus/rules/*.rules.yml", promConfig)
	}
	path := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(path, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, ".", "promtool", "check", "config", path)

	// Grafana reads the dashboards where compose mounts them.
	b, err = os.ReadFile(dbProvisioning)
	if err != nil {
		t.Fatal(err)
	}
	var provider struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	if err := yaml.Unmarshal(b, &provider); err != nil || len(provider.Providers) != 1 {
		t.Fatalf("%s: %v", dbProvisioning, err)
	}
	if dir := provider.Providers[0].Options.Path; mounts["grafana"][dir] != "./dashboards" {
		t.Errorf("Grafana's dashboard provider reads %s, but compose mounts ./dashboards elsewhere: %v", dir, mounts["grafana"])
	}
	if mounts["grafana"]["/etc/grafana/provisioning"] != "./deploy/grafana/provisioning" {
		t.Errorf("grafana does not mount ./deploy/grafana/provisioning: %v", mounts["grafana"])
	}
	if home := compose.Services["grafana"].Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]; home != "" {
		if _, err := os.Stat(filepath.Join(".", filepath.Base(home))); err != nil {
			t.Errorf("grafana home dashboard %s: %v", home, err)
		}
	}
}
