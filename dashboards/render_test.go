package dashboards

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the dashboard JSON files from definitions_test.go")

// Datasources, with the UIDs deploy/grafana/provisioning/datasources gives them.
var (
	dsPrometheus = datasource{Type: "prometheus", UID: "prometheus"}
	dsClickHouse = datasource{Type: "grafana-clickhouse-datasource", UID: "clickhouse"}
)

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type dashboard struct {
	file        string // name of the JSON file in this directory
	uid, title  string
	description string
	from        string // default time range start, e.g. now-6h
	promVars    bool   // job and instance variables for the Prometheus panels
	rows        []row
}

type row struct {
	title  string
	panels []panel
}

type panel struct {
	kind        string // stat, timeseries, table, piechart
	title, desc string
	w, h        int
	unit        string
	ds          datasource
	targets     []target
	steps       []step // thresholds; nil: green only
	mappings    []any
	stack       bool
	lineAt      bool   // timeseries: draw the thresholds as lines
	textMode    string // stat: auto (default), name, value
	min, max    *float64
	overrides   []any
}

// target is a Prometheus query (expr) or a ClickHouse query (sql).
type target struct {
	expr, legend string
	instant      bool
	sql          string
	series       bool // ClickHouse: time series format instead of table
}

type step struct {
	color string
	value *float64 // nil: base
}

func f(v float64) *float64 { return &v }

func green() []step { return []step{{color: "green"}} }

func steps(base string, more ...any) []step {
	s := []step{{color: base}}
	for i := 0; i+1 < len(more); i += 2 {
		s = append(s, step{value: f(toFloat(more[i])), color: more[i+1].(string)})
	}
	return s
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	panic("threshold value must be int or float64")
}

type obj = map[string]any

func (d dashboard) render() ([]byte, error) {
	id := 0
	nextID := func() int { id++; return id }
	var panels []any
	y := 0
	for _, r := range d.rows {
		panels = append(panels, obj{
			"type": "row", "id": nextID(), "title": r.title, "collapsed": false, "panels": []any{},
			"gridPos": obj{"h": 1, "w": 24, "x": 0, "y": y},
		})
		y++
		x, rowH := 0, 0
		for _, p := range r.panels {
			if x+p.w > 24 {
				x, y, rowH = 0, y+rowH, 0
			}
			panels = append(panels, p.render(nextID(), x, y, d))
			x += p.w
			rowH = max(rowH, p.h)
		}
		y += rowH
	}
	var vars []any
	if d.promVars {
		vars = []any{
			obj{
				"name": "job", "label": "job", "type": "query", "datasource": dsPrometheus,
				"definition": "label_values(sharewatch_scoring_model_info, job)",
				"query":      obj{"query": "label_values(sharewatch_scoring_model_info, job)", "refId": "job"},
				"refresh":    1, "sort": 1, "includeAll": false, "multi": false,
				"current": obj{"text": "sharewatch", "value": "sharewatch"},
			},
			obj{
				"name": "instance", "label": "instance", "type": "query", "datasource": dsPrometheus,
				"definition": `label_values(sharewatch_scoring_model_info{job=~"$job"}, instance)`,
				"query":      obj{"query": `label_values(sharewatch_scoring_model_info{job=~"$job"}, instance)`, "refId": "instance"},
				"refresh":    2, "sort": 1, "includeAll": true, "allValue": ".*", "multi": true,
				"current": obj{"text": []string{"All"}, "value": []string{"$__all"}},
			},
		}
	}
	out := obj{
		"uid": d.uid, "title": d.title, "description": d.description,
		"tags":          []string{"sharewatch"},
		"editable":      true,
		"graphTooltip":  1,
		"schemaVersion": 39,
		"version":       1,
		"timezone":      "utc",
		"refresh":       "1m",
		"time":          obj{"from": d.from, "to": "now"},
		"templating":    obj{"list": nonNil(vars)},
		"annotations": obj{"list": []any{obj{
			"builtIn": 1, "datasource": obj{"type": "grafana", "uid": "-- Grafana --"}, "enable": true, "hide": true,
			"iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard",
		}}},
		"links": []any{obj{
			"type": "dashboards", "tags": []string{"sharewatch"}, "asDropdown": false, "title": "sharewatch",
			"includeVars": false, "keepTime": true, "icon": "external link", "targetBlank": false, "tooltip": "", "url": "",
		}},
		"panels": panels,
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func nonNil(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func (p panel) render(id, x, y int, d dashboard) obj {
	var targets []any
	for i, t := range p.targets {
		ref := string(rune('A' + i))
		if p.ds == dsClickHouse {
			queryType, format := "table", 1
			if t.series {
				queryType, format = "timeSeries", 0
			}
			targets = append(targets, obj{
				"refId": ref, "datasource": p.ds, "editorType": "sql", "queryType": queryType, "format": format,
				"rawSql": t.sql,
			})
			continue
		}
		targets = append(targets, obj{
			"refId": ref, "datasource": p.ds, "editorMode": "code", "expr": t.expr,
			"legendFormat": orDefault(t.legend, "__auto"), "instant": t.instant, "range": !t.instant,
		})
	}
	st := p.steps
	if st == nil {
		st = green()
	}
	var stepsJSON []any
	for _, s := range st {
		var v any
		if s.value != nil {
			v = *s.value
		}
		stepsJSON = append(stepsJSON, obj{"color": s.color, "value": v})
	}
	defaults := obj{
		"unit":       orDefault(p.unit, "short"),
		"thresholds": obj{"mode": "absolute", "steps": stepsJSON},
		"mappings":   nonNil(p.mappings),
		"color":      obj{"mode": "thresholds"},
	}
	if p.min != nil {
		defaults["min"] = *p.min
	}
	if p.max != nil {
		defaults["max"] = *p.max
	}
	var options obj
	switch p.kind {
	case "timeseries":
		stacking, thr := "none", "off"
		if p.stack {
			stacking = "normal"
		}
		if p.lineAt {
			thr = "dashed"
		}
		defaults["color"] = obj{"mode": "palette-classic"}
		defaults["custom"] = obj{
			"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never", "spanNulls": false,
			"stacking": obj{"mode": stacking, "group": "A"}, "thresholdsStyle": obj{"mode": thr},
		}
		options = obj{
			"legend":  obj{"displayMode": "list", "placement": "bottom", "showLegend": true},
			"tooltip": obj{"mode": "multi", "sort": "desc"},
		}
	case "stat":
		options = obj{
			"reduceOptions": obj{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
			"colorMode":     "value", "graphMode": "none", "justifyMode": "auto", "orientation": "auto",
			"textMode": orDefault(p.textMode, "auto"), "wideLayout": true,
		}
	case "table":
		defaults["custom"] = obj{"align": "auto", "cellOptions": obj{"type": "auto"}, "inspect": true}
		options = obj{"showHeader": true, "cellHeight": "sm", "footer": obj{"show": false, "reducer": []string{"sum"}, "fields": ""}}
	case "piechart":
		defaults["color"] = obj{"mode": "palette-classic"}
		options = obj{
			"reduceOptions": obj{"calcs": []string{"lastNotNull"}, "fields": "", "values": true},
			"pieType":       "pie",
			"legend":        obj{"displayMode": "table", "placement": "right", "showLegend": true, "values": []string{"value", "percent"}},
			"tooltip":       obj{"mode": "single", "sort": "none"},
		}
	}
	return obj{
		"id": id, "type": p.kind, "title": p.title, "description": p.desc,
		"gridPos":     obj{"h": p.h, "w": p.w, "x": x, "y": y},
		"datasource":  p.ds,
		"targets":     targets,
		"fieldConfig": obj{"defaults": defaults, "overrides": nonNil(p.overrides)},
		"options":     options,
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TestDashboardsGenerated fails when a committed dashboard differs from its
// definition, like Loki's mixin check; -update rewrites the files.
func TestDashboardsGenerated(t *testing.T) {
	var files []string
	for _, d := range definitions() {
		files = append(files, d.file)
		want, err := d.render()
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(d.file, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(d.file)
		if err != nil {
			t.Fatalf("%v (run: go test ./dashboards -run TestDashboardsGenerated -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from its definition in definitions_test.go; run: go test ./dashboards -run TestDashboardsGenerated -update", d.file)
		}
	}
	committed, err := filepath.Glob("*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range committed {
		if !slices.Contains(files, c) {
			t.Errorf("%s has no definition in definitions_test.go; Grafana would provision it unchecked", c)
		}
	}
}
