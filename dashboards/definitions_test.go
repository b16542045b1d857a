package dashboards

import "strings"

// sel selects the instances chosen in the job and instance variables.
const sel = `job=~"$job", instance=~"$instance"`

// q expands {S} in a PromQL template to the instance selector.
func q(expr string) string { return strings.ReplaceAll(expr, "{S}", sel) }

// rate is the per-second rate of a counter summed over the instances.
func rate(metric string) string {
	return q("sum(rate(" + metric + "{{S}}[$__rate_interval]))")
}

// rateBy is rate split by label.
func rateBy(label, metric string) string {
	return q("sum by (" + label + ") (rate(" + metric + "{{S}}[$__rate_interval]))")
}

// quantile is the q-quantile of a histogram over the rate interval.
func quantile(phi, metric string) string {
	return q("histogram_quantile(" + phi + ", sum by (le) (rate(" + metric + "_bucket{{S}}[$__rate_interval])))")
}

func prom(expr, legend string) target { return target{expr: expr, legend: legend} }

func instant(expr, legend string) target { return target{expr: expr, legend: legend, instant: true} }

func sqlTable(sql string) target { return target{sql: strings.TrimSpace(sql)} }

func sqlSeries(sql string) target { return target{sql: strings.TrimSpace(sql), series: true} }

func stat(title, desc, unit string, st []step, t ...target) panel {
	return panel{kind: "stat", title: title, desc: desc, w: 4, h: 4, unit: unit, ds: dsPrometheus, targets: t, steps: st}
}

func series(title, desc, unit string, w int, t ...target) panel {
	return panel{kind: "timeseries", title: title, desc: desc, w: w, h: 8, unit: unit, ds: dsPrometheus, targets: t}
}

func (p panel) on(ds datasource) panel { p.ds = ds; return p }

func (p panel) stacked() panel { p.stack = true; return p }

func (p panel) size(w, h int) panel { p.w, p.h = w, h; return p }

func (p panel) thresholdLine(st []step) panel { p.steps, p.lineAt = st, true; return p }

func (p panel) text(mode string) panel { p.textMode = mode; return p }

func (p panel) withMappings(m ...any) panel { p.mappings = m; return p }

func (p panel) withOverrides(o ...any) panel { p.overrides = o; return p }

func (p panel) ranged(min, max float64) panel { p.min, p.max = f(min), f(max); return p }

func table(title, desc string, w, h int, t target) panel {
	return panel{kind: "table", title: title, desc: desc, w: w, h: h, ds: dsClickHouse, targets: []target{t}}
}

// valueText maps a value to a text and colour.
func valueText(value, text, color string) any {
	return obj{"type": "value", "options": obj{value: obj{"text": text, "color": color, "index": 0}}}
}

// colourAbove colours a table column's cells red at or above limit.
func colourAbove(column string, limit float64) any {
	return obj{
		"matcher": obj{"id": "byName", "options": column},
		"properties": []any{
			obj{"id": "custom.cellOptions", "value": obj{"type": "color-text"}},
			obj{"id": "thresholds", "value": obj{"mode": "absolute", "steps": []any{
				obj{"color": "green", "value": nil}, obj{"color": "red", "value": limit},
			}}},
		},
	}
}

const flagged = "('suspected_sharing', 'sharing')"

// bucket groups rows by the panel's interval. The plugin's $__timeInterval
// expands to toStartOfInterval, which ClickHouse 18.16 lacks; this runs on
// 18.16 and on current releases alike.
const bucket = "toDateTime(intDiv(toUInt32(time), $__interval_s) * $__interval_s)"

func definitions() []dashboard {
	return []dashboard{pipelineHealth(), abuseOverview(), reviewQueue()}
}

func pipelineHealth() dashboard {
	return dashboard{
		file: "pipeline.json", uid: "sharewatch-pipeline", title: "sharewatch / Pipeline health", from: "now-6h", promVars: true,
		description: "Is the pipeline up, keeping up, and writing its outputs? Throughput, consumer lag, latency, errors and dead letters, from Prometheus.",
		rows: []row{
			{title: "Overview", panels: []panel{
				stat("Instances up", "Scrape targets of the job that answer. 0 means the pipeline is down or unreachable.", "none",
					steps("red", 1, "green"), instant(`sum(up{`+sel+`})`, "up")),
				stat("Events consumed", "Messages fetched from the logins topic per second, valid or not.", "ops", nil,
					instant(rate("sharewatch_ingest_messages_consumed_total"), "events/s")),
				stat("Consumer lag", "Messages behind the end of the logins topic, all partitions, as of the last fetch.", "short",
					steps("green", 10000, "orange", 100000, "red"), instant(q(`sum(sharewatch_ingest_consumer_lag_messages{{S}})`), "lag")),
				stat("Event to verdict, p99", "99th percentile of the time from the Kafka message timestamp to its verdict.", "s",
					steps("green", 60, "orange", 300, "red"), instant(quantile("0.99", "sharewatch_pipeline_event_to_verdict_seconds"), "p99")),
				stat("Dead-lettered", "Share of consumed messages that failed the event contract and went to logins.dlq.", "percentunit",
					steps("green", 0.001, "orange", 0.01, "red"),
					instant(rate("sharewatch_ingest_dead_letters_total")+" / "+rate("sharewatch_ingest_messages_consumed_total"), "dead letters")),
				stat("Model", "Version of the scoring model in use (stamped on every verdict).", "none", steps("blue"),
					instant(q(`count by (version) (sharewatch_scoring_model_info{{S}})`), "{{version}}")).text("name"),
			}},
			{title: "Throughput", panels: []panel{
				series("Messages consumed, decoded, dead-lettered", "Per second. Decoded events are split by type; the difference to consumed is dead letters.", "ops", 8,
					prom(rate("sharewatch_ingest_messages_consumed_total"), "consumed"),
					prom(rateBy("type", "sharewatch_ingest_events_decoded_total"), "decoded {{type}}"),
					prom(rate("sharewatch_ingest_dead_letters_total"), "dead-lettered")),
				series("Verdicts by label", "Events scored per second, by verdict: ok, travel, suspected_sharing, sharing.", "ops", 8,
					prom(rateBy("verdict", "sharewatch_scoring_verdicts_total"), "{{verdict}}")).stacked(),
				series("Policy actions", "Verdicts per second by the action the policy decided, dry-run rule matches (logged only), and backfill verdicts (before --act-from: written, never actioned).", "ops", 8,
					prom(rateBy("action", "sharewatch_rules_actions_total"), "{{action}}"),
					prom(rate("sharewatch_rules_dry_run_matches_total"), "dry-run matches"),
					prom(rate("sharewatch_pipeline_backfill_verdicts_total"), "backfill (not actioned)")),
			}},
			{title: "Lag and latency", panels: []panel{
				series("Consumer lag per partition", "Messages after the last processed one, per partition, as of that message's fetch. Growing lag: the pipeline does not keep up.", "short", 12,
					prom(q(`max by (partition) (sharewatch_ingest_consumer_lag_messages{{S}})`), "partition {{partition}}")),
				series("Event to verdict latency", "Time from the Kafka message timestamp to its verdict.", "s", 12,
					prom(quantile("0.5", "sharewatch_pipeline_event_to_verdict_seconds"), "p50"),
					prom(quantile("0.9", "sharewatch_pipeline_event_to_verdict_seconds"), "p90"),
					prom(quantile("0.99", "sharewatch_pipeline_event_to_verdict_seconds"), "p99")),
				series("Batch made durable", "Time the processor takes to make one batch durable (scored, written, tickets and holds queued).", "s", 8,
					prom(quantile("0.5", "sharewatch_ingest_process_duration_seconds"), "p50"),
					prom(quantile("0.99", "sharewatch_ingest_process_duration_seconds"), "p99")),
				series("Batch size", "Average events handed to the processor per batch.", "short", 8,
					prom(rate("sharewatch_ingest_batch_size_sum")+" / "+rate("sharewatch_ingest_batch_size_count"), "events per batch")),
				series("Offset commits", "Successful and failed offset commits per second. Offsets are committed only after outputs are durable.", "ops", 8,
					prom(rate("sharewatch_ingest_commits_total"), "commits"),
					prom(rate("sharewatch_ingest_commit_errors_total"), "commit errors")),
			}},
			{title: "Errors and dead letters", panels: []panel{
				series("Dead letters by reason", "Messages per second written to logins.dlq, by decode reason.", "ops", 12,
					prom(rateBy("reason", "sharewatch_ingest_dead_letters_total"), "{{reason}}")).stacked(),
				series("Errors by source", "Errors per second. Every one is retried; a steady rate means an output is unhealthy.", "ops", 12,
					prom(rate("sharewatch_ingest_fetch_errors_total"), "kafka fetch"),
					prom(rate("sharewatch_ingest_commit_errors_total"), "offset commit"),
					prom(rate("sharewatch_ingest_dead_letter_write_errors_total"), "dead-letter write"),
					prom(rateBy("table", "sharewatch_clickhouse_write_failures_total"), "clickhouse {{table}}"),
					prom(rateBy("kind", "sharewatch_tickets_helpdesk_errors_total"), "helpdesk {{kind}}"),
					prom(rate("sharewatch_holds_publish_errors_total"), "hold publish"),
					prom(rate("sharewatch_geoip_lookup_errors_total"), "geoip decode")),
				series("Oddities", "Per second: dead letters truncated to fit logins.dlq, events whose key is not their account_id, redelivered events skipped.", "ops", 12,
					prom(rate("sharewatch_ingest_dead_letters_truncated_total"), "dead letters truncated"),
					prom(rate("sharewatch_ingest_key_mismatch_total"), "key != account_id"),
					prom(rate("sharewatch_scoring_duplicate_events_total"), "duplicates skipped")),
			}},
			{title: "ClickHouse", panels: []panel{
				series("Rows written", "Rows per second acknowledged by ClickHouse, by table.", "ops", 8,
					prom(rateBy("table", "sharewatch_clickhouse_rows_written_total"), "{{table}}")),
				series("Write failures and retries", "Failed insert attempts per second by table, and retries. Writes are retried until they succeed; offsets wait.", "ops", 8,
					prom(rateBy("table", "sharewatch_clickhouse_write_failures_total"), "failures {{table}}"),
					prom(rate("sharewatch_clickhouse_retries_total"), "retries")),
				series("Write latency", "Time for one ClickHouse write call to be acknowledged, retries included.", "s", 8,
					prom(quantile("0.5", "sharewatch_clickhouse_batch_duration_seconds"), "p50"),
					prom(quantile("0.99", "sharewatch_clickhouse_batch_duration_seconds"), "p99")),
			}},
			{title: "Enrichment and state", panels: []panel{
				series("GeoIP lookups by result", "Lookups per second: public, unknown, private or invalid addresses.", "ops", 6,
					prom(rateBy("result", "sharewatch_geoip_lookups_total"), "{{result}}")).stacked(),
				series("GeoIP cache hit ratio", "Share of lookups answered from the cache.", "percentunit", 6,
					prom(rate("sharewatch_geoip_cache_hits_total")+" / ("+rate("sharewatch_geoip_cache_hits_total")+" + "+rate("sharewatch_geoip_cache_misses_total")+")", "hit ratio")).ranged(0, 1),
				series("GeoIP database age", "Time since the build of the GeoIP database in use. GeoLite2 is rebuilt twice a week; old data misplaces users. Reload failures keep the old database.", "s", 6,
					prom(q(`time() - max by (db) (sharewatch_geoip_database_build_timestamp_seconds{{S}} > 0)`), "{{db}}"),
					prom(q(`sum by (result) (increase(sharewatch_geoip_reloads_total{{S}}[1h]))`), "reloads last hour: {{result}}")),
				series("Scoring state", "Accounts held in memory, and evictions per second (inactivity or the max_accounts bound).", "short", 6,
					prom(q(`sum(sharewatch_scoring_state_accounts{{S}})`), "accounts"),
					prom(rate("sharewatch_scoring_state_evictions_total"), "evictions/s")),
			}},
		},
	}
}

func abuseOverview() dashboard {
	ch := func(p panel) panel { return p.on(dsClickHouse) }
	chStat := func(title, desc, unit string, sql string) panel {
		return ch(panel{kind: "stat", title: title, desc: desc, w: 6, h: 4, unit: unit, targets: []target{sqlTable(sql)}, steps: steps("blue")})
	}
	return dashboard{
		file: "abuse.json", uid: "sharewatch-abuse", title: "sharewatch / Abuse overview", from: "now-7d",
		description: "How much account sharing does sharewatch find, where, and how often are analysts overturning it? From the verdicts, account_verdicts and actions tables in ClickHouse.",
		rows: []row{
			{title: "Now", panels: []panel{
				chStat("Accounts flagged now", "Accounts whose latest verdict is suspected_sharing or sharing.", "short", `
SELECT count() AS accounts
FROM sharewatch.account_verdicts FINAL
WHERE verdict IN `+flagged),
				chStat("Newly flagged in range", "Accounts first flagged (suspected_sharing or worse) in the time range.", "short", `
SELECT count() AS accounts
FROM sharewatch.account_verdicts FINAL
WHERE first_flagged IS NOT NULL AND $__timeFilter(first_flagged)`),
				chStat("Events scored in range", "Verdicts written in the time range (event time). Counted before merges, so a redelivered event may count twice until ClickHouse merges it away.", "short", `
SELECT count() AS events
FROM sharewatch.verdicts
WHERE $__timeFilter(time)`),
				chStat("Flagged share of events", "Share of events in the time range whose verdict is suspected_sharing or sharing.", "percentunit", `
SELECT countIf(verdict IN `+flagged+`) / greatest(count(), 1) AS flagged
FROM sharewatch.verdicts
WHERE $__timeFilter(time)`),
			}},
			{title: "Verdicts over time", panels: []panel{
				ch(series("Verdicts over time", "Events per interval by verdict (event time).", "short", 12, sqlSeries(`
SELECT `+bucket+` AS t, verdict, count() AS events
FROM sharewatch.verdicts
WHERE $__timeFilter(time)
GROUP BY t, verdict
ORDER BY t`))).stacked(),
				ch(series("Travel versus sharing", "Accounts per interval with a travel verdict (the owner away, explained by their own devices) beside accounts suspected of or found sharing.", "short", 12, sqlSeries(`
SELECT `+bucket+` AS t, verdict, uniqExact(account_id) AS accounts
FROM sharewatch.verdicts
WHERE $__timeFilter(time) AND verdict IN ('travel', 'suspected_sharing', 'sharing')
GROUP BY t, verdict
ORDER BY t`))),
				ch(panel{kind: "piechart", title: "Accounts by latest verdict", desc: "Every account's latest verdict (account_verdicts), whatever the time range.", w: 8, h: 8,
					targets: []target{sqlTable(`
SELECT verdict, count() AS accounts
FROM sharewatch.account_verdicts FINAL
GROUP BY verdict
ORDER BY verdict`)}}),
				ch(series("Newly flagged accounts per day", "Accounts by the day they were first flagged.", "short", 16, sqlSeries(`
SELECT toStartOfDay(assumeNotNull(first_flagged)) AS t, count() AS accounts
FROM sharewatch.account_verdicts FINAL
WHERE first_flagged IS NOT NULL AND $__timeFilter(first_flagged)
GROUP BY t
ORDER BY t`))),
			}},
			{title: "Where and who", panels: []panel{
				table("Verdicts by country", "Events and flagged accounts per country (GeoIP of the login address) in the time range. An empty country is an address GeoIP does not place.", 12, 10, sqlTable(`
SELECT country,
       count() AS events,
       countIf(verdict = 'travel') AS travel,
       countIf(verdict = 'suspected_sharing') AS suspected_sharing,
       countIf(verdict = 'sharing') AS sharing,
       uniqExactIf(account_id, verdict IN `+flagged+`) AS flagged_accounts
FROM sharewatch.verdicts
WHERE $__timeFilter(time)
GROUP BY country
ORDER BY flagged_accounts DESC, events DESC
LIMIT 50`)),
				table("Reasons behind flagged verdicts", "Reason codes on suspected_sharing and sharing verdicts in the time range (scoring/explain.go).", 12, 10, sqlTable(`
SELECT reason, count() AS events, uniqExact(account_id) AS accounts
FROM sharewatch.verdicts
ARRAY JOIN reasons AS reason
WHERE $__timeFilter(time) AND verdict IN `+flagged+`
GROUP BY reason
ORDER BY accounts DESC, events DESC
LIMIT 20`)),
				table("Top flagged accounts", "Accounts whose latest verdict is flagged, highest score first, with the explanation an analyst or customer reads. `sharewatch explain ACCOUNT` prints the full history.", 24, 10, sqlTable(`
SELECT account_id, verdict, round(score, 3) AS score, first_flagged, updated_at, action, explanation
FROM sharewatch.account_verdicts FINAL
WHERE verdict IN `+flagged+`
ORDER BY score DESC, account_id
LIMIT 50`)),
			}},
			{title: "Analyst decisions", panels: []panel{
				ch(panel{kind: "stat", title: "Decisions in range", desc: "Analyst decisions read back from the helpdesk: confirmed sharing, and overturned (not_sharing: a false positive).", w: 8, h: 8,
					targets: []target{sqlTable(`
SELECT countIf(startsWith(reason, 'sharing')) AS confirmed,
       countIf(startsWith(reason, 'not_sharing')) AS overturned,
       countIf(startsWith(reason, 'not_sharing')) / greatest(count(), 1) AS overturned_share
FROM sharewatch.actions
WHERE action = 'decision' AND $__timeFilter(time)`)}, steps: steps("blue")}).withOverrides(obj{
					"matcher":    obj{"id": "byName", "options": "overturned_share"},
					"properties": []any{obj{"id": "unit", "value": "percentunit"}},
				}),
				table("Overturned decisions (false positives)", "Decisions not_sharing in the time range, with the analyst's written reason and the account's latest score and explanation.", 16, 8, sqlTable(`
SELECT a.time AS decided, a.account_id AS account_id, a.actor AS analyst, a.ticket_ref AS ticket, a.reason AS reason,
       v.score AS latest_score, v.explanation AS explanation
FROM sharewatch.actions AS a
ANY LEFT JOIN (SELECT account_id, score, explanation FROM sharewatch.account_verdicts FINAL) AS v USING account_id
WHERE a.action = 'decision' AND startsWith(a.reason, 'not_sharing') AND $__timeFilter(a.time)
ORDER BY a.time DESC
LIMIT 100`)),
				table("Flags undone: devices came home", "Accounts whose later verdicts say that the devices they were flagged for have since streamed on the household's own networks (reason flagged_came_home): a long stay that ended, not a friend. Held accounts first: a customer held on the old evidence may be held wrongly, and the ticket should be decided soon.", 24, 8, sqlTable(`
SELECT account_id, last_time, account_id IN (SELECT account_id FROM sharewatch.actions WHERE action = 'hold' AND dry_run = 0) AS held,
       account_id IN (SELECT account_id FROM sharewatch.actions WHERE action = 'release') AS released, explanation
FROM (
    SELECT account_id, max(time) AS last_time, argMax(explanation, time) AS explanation
    FROM sharewatch.verdicts
    WHERE has(reasons, 'flagged_came_home') AND $__timeFilter(time)
    GROUP BY account_id
)
ORDER BY held DESC, released ASC, last_time DESC
LIMIT 50`)),
				table("Model versions", "Which model scored the events in the time range.", 24, 5, sqlTable(`
SELECT model_version, count() AS events, min(time) AS first_event, max(time) AS last_event
FROM sharewatch.verdicts
WHERE $__timeFilter(time)
GROUP BY model_version
ORDER BY last_event DESC`)),
			}},
		},
	}
}

func reviewQueue() dashboard {
	sla := steps("green", 72000, "orange", 86400, "red")
	within24h := q(`sum(increase(sharewatch_tickets_open_age_seconds_bucket{{S}, le=~"86400(.0)?"}[$__range])) / sum(increase(sharewatch_tickets_open_age_seconds_count{{S}}[$__range]))`)
	late24h := q(`1 - sum(increase(sharewatch_tickets_open_age_seconds_bucket{{S}, le=~"86400(.0)?"}[1d])) / sum(increase(sharewatch_tickets_open_age_seconds_count{{S}}[1d]))`)
	decisionQuantile := func(phi string) string {
		return q(`histogram_quantile(` + phi + `, sum by (le) (increase(sharewatch_tickets_open_age_seconds_bucket{{S}}[1d])))`)
	}
	perHour := func(expr string) string { return expr + " * 3600" }
	return dashboard{
		file: "review.json", uid: "sharewatch-review", title: "sharewatch / Review queue and SLA", from: "now-2d", promVars: true,
		description: "Does the helpdesk keep the 24 h promise, and what are holds and the blast-radius brake doing? Prometheus for the live queue, ClickHouse (actions) for the audit trail.",
		rows: []row{
			{title: "Queue now", panels: []panel{
				stat("Open tickets", "Tickets created on the helpdesk and not yet decided.", "short", steps("green"),
					instant(q(`sum(sharewatch_tickets_open{{S}})`), "open")),
				stat("Oldest open ticket", "Age of the oldest open ticket. The promise is a decision within 24 h; orange from 20 h.", "s", sla,
					instant(q(`max(sharewatch_tickets_oldest_open_age_seconds{{S}})`), "oldest")),
				stat("Decided within 24 h", "Share of decisions in the time range that came within 24 h of the ticket opening (target 95%).", "percentunit",
					steps("red", 0.95, "green"), instant(within24h, "within 24h")),
				stat("Blast-radius brake", "ENGAGED: automatic holds are stopped (flagged accounts get review tickets only) until an operator resets the brake.", "none",
					steps("green", 1, "red"), instant(q(`max(sharewatch_holds_brake_engaged{{S}})`), "brake")).
					withMappings(valueText("0", "off", "green"), valueText("1", "ENGAGED", "red")),
				stat("Accounts held", "Accounts currently on hold.", "short", steps("blue"),
					instant(q(`sum(sharewatch_holds_held{{S}})`), "held")),
				stat("Outbox pending", "Ticket intents in the durable outbox not yet carried out on the helpdesk. Growing: the helpdesk is failing or rate-limiting.", "short",
					steps("green", 100, "orange", 1000, "red"), instant(q(`sum(sharewatch_tickets_outbox_pending{{S}})`), "pending")),
			}},
			{title: "SLA", panels: []panel{
				series("Oldest open ticket against the 24 h SLA", "The dashed lines are 20 h and the 24 h promise.", "s", 12,
					prom(q(`max(sharewatch_tickets_oldest_open_age_seconds{{S}})`), "oldest open ticket")).thresholdLine(sla),
				series("Decisions answered late (rolling 24 h)", "Share of decisions in the last 24 h that came more than 24 h after the ticket opened. Above 5% breaks the SLA.", "percentunit", 12,
					prom(late24h, "late")).thresholdLine(steps("green", 0.05, "red")).ranged(0, 1),
				series("Time to decision (rolling 24 h)", "How long tickets were open when their decision was read back, over the last 24 h.", "s", 8,
					prom(decisionQuantile("0.5"), "p50"),
					prom(decisionQuantile("0.95"), "p95")).thresholdLine(steps("green", 86400, "red")),
				series("Open tickets", "Tickets open on the helpdesk, and intents still waiting in the outbox.", "short", 8,
					prom(q(`sum(sharewatch_tickets_open{{S}})`), "open"),
					prom(q(`sum(sharewatch_tickets_outbox_pending{{S}})`), "outbox pending")),
				series("Tickets per hour", "Tickets opened, updated (an escalation, or a case that came undone: a comment, a priority change or both), and decisions by outcome.", "short", 8,
					prom(perHour(rate("sharewatch_tickets_opened_total")), "opened"),
					prom(perHour(rate("sharewatch_tickets_updated_total")), "updated"),
					prom(perHour(rateBy("outcome", "sharewatch_tickets_decisions_total")), "decided {{outcome}}")),
				series("Helpdesk errors", "Failed helpdesk requests per second by kind: rate_limited (429), server (5xx), client (other 4xx), network. All are retried.", "ops", 24,
					prom(rateBy("kind", "sharewatch_tickets_helpdesk_errors_total"), "{{kind}}")).size(24, 6),
			}},
			{title: "Holds and the brake", panels: []panel{
				series("Holds per hour", "Automatic holds placed, holds released (analyst or operator), and holds the brake suppressed (those accounts got a ticket only).", "short", 12,
					prom(perHour(rate("sharewatch_holds_placed_total")), "placed"),
					prom(perHour(rate("sharewatch_holds_released_total")), "released"),
					prom(perHour(rate("sharewatch_holds_suppressed_total")), "suppressed by brake")),
				series("Brake and accounts held", "Brake 1 = engaged. Publish errors are failed attempts to send hold commands (retried).", "short", 12,
					prom(q(`max(sharewatch_holds_brake_engaged{{S}})`), "brake engaged"),
					prom(q(`sum(sharewatch_holds_held{{S}})`), "accounts held"),
					prom(rate("sharewatch_holds_publish_errors_total"), "publish errors/s")),
			}},
			{title: "Audit log (ClickHouse)", panels: []panel{
				series("Actions over time", "Tickets, escalation comments, holds, releases and decisions written to the actions table. Dry run: recorded, not carried out (e.g. holds the brake suppressed).", "short", 24, sqlSeries(`
SELECT `+bucket+` AS t, if(dry_run = 1, concat(action, ' (dry run)'), action) AS kind, count() AS actions
FROM sharewatch.actions
WHERE $__timeFilter(time)
GROUP BY t, kind
ORDER BY t`)).on(dsClickHouse).stacked().size(24, 7),
				table("Open tickets, oldest first", "Tickets in the audit log with no decision yet, whatever the time range. Age in hours; red from 24.", 12, 10, sqlTable(`
SELECT ticket_ref AS ticket, any(account_id) AS account_id, min(time) AS opened,
       round((toUInt32(now()) - toUInt32(min(time))) / 3600, 1) AS age_hours,
       max(score) AS score, any(verdict) AS verdict
FROM sharewatch.actions
WHERE action = 'ticket' AND dry_run = 0 AND ticket_ref != ''
  AND ticket_ref NOT IN (SELECT ticket_ref FROM sharewatch.actions WHERE action = 'decision')
GROUP BY ticket_ref
ORDER BY opened
LIMIT 100`)).withOverrides(colourAbove("age_hours", 24)),
				table("Decisions and time to decision", "Decisions in the time range, with the hours since the ticket's first audit-log entry (empty when the opening is not in the log). Red from 24.", 12, 10, sqlTable(`
SELECT d.time AS decided, d.ticket_ref AS ticket, d.account_id AS account_id, d.actor AS analyst, d.reason AS decision,
       if(toUInt32(o.opened) = 0, NULL, round((toUInt32(d.time) - toUInt32(o.opened)) / 3600, 1)) AS hours_open
FROM (
    SELECT time, ticket_ref, account_id, actor, reason
    FROM sharewatch.actions
    WHERE action = 'decision' AND $__timeFilter(time)
) AS d
ANY LEFT JOIN (
    SELECT ticket_ref, min(time) AS opened
    FROM sharewatch.actions
    WHERE action = 'ticket' AND dry_run = 0
    GROUP BY ticket_ref
) AS o USING ticket_ref
ORDER BY decided DESC
LIMIT 100`)).withOverrides(colourAbove("hours_open", 24)),
				table("Holds and releases", "Hold and release commands in the time range. Suppressed: the brake stopped the hold and the account got a review ticket only.", 24, 10, sqlTable(`
SELECT time, account_id, action, if(dry_run = 1, 'suppressed by brake', 'applied') AS state, actor, ticket_ref,
       verdict, round(score, 3) AS score, reason
FROM sharewatch.actions
WHERE action IN ('hold', 'release') AND $__timeFilter(time)
ORDER BY time DESC
LIMIT 200`)),
			}},
		},
	}
}
