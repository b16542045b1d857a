// Package dashboards holds sharewatch's Grafana dashboards as checked
// artefacts: pipeline.json (pipeline health, Prometheus), abuse.json (abuse
// overview, ClickHouse) and review.json (review queue and SLA, Prometheus
// and ClickHouse).
//
// The JSON files are generated from the definitions in definitions_test.go;
// edit those and run
//
//	go test ./dashboards -run TestDashboardsGenerated -update
//
// The package's tests check that the committed JSON matches the definitions,
// that every metric a dashboard or alert rule uses is exported by a running
// `sharewatch demo`, that every PromQL expression parses (promtool), that
// every ClickHouse query runs against the real schema, that the alert rules
// in ../alerts pass `promtool check rules` and their unit tests, and that
// ../docker-compose.yml passes `docker-compose config`.
package dashboards
