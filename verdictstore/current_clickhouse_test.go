package verdictstore

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sharewatch/sharewatch/internal/readmesql"
	"github.com/sharewatch/sharewatch/internal/testchdb"
)

// TestCurrentClickHouse runs the schema and the store's SQL on a current
// ClickHouse release (chDB; see internal/testchdb), since the other tests
// run on Debian's 18.16 only and docker-compose runs a current one. It
// applies the embedded migrations twice, inserts rows covering every column
// with the writer's column lists, reads them back with FINAL, and runs the
// queries of read.go, flags.go, retention.go and the README. Each step is a
// new process on the same data directory, so tables are also reloaded from
// disk between steps.
func TestCurrentClickHouse(t *testing.T) {
	ch := testchdb.New(t)
	// The README's name, so its queries run as written.
	const db = "sharewatch"

	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var ddl []string
	for _, m := range ms {
		for _, st := range m.Statements {
			ddl = append(ddl, strings.ReplaceAll(st, "${db}", db))
		}
	}
	// First run as Migrate does it: bootstrap, each migration, its record.
	first := append([]string{"SELECT version() AS v"}, bootstrapSQL(db)...)
	for _, m := range ms {
		for _, st := range m.Statements {
			first = append(first, strings.ReplaceAll(st, "${db}", db))
		}
		first = append(first, insertSQL(db, "schema_migrations", []string{"version", "applied_at"})+
			fmt.Sprintf(" VALUES (%d, now())", m.Version))
	}
	version := rows(t, ch.MustRun(t, first...)[0])
	t.Logf("ClickHouse (chDB) version %v", version[0]["v"])

	t.Run("migrations are idempotent", func(t *testing.T) {
		// A run cut short before its record repeats every statement.
		ch.MustRun(t, append(bootstrapSQL(db), ddl...)...)
		got := rows(t, ch.MustRun(t, "SELECT DISTINCT version FROM "+db+".schema_migrations ORDER BY version")[0])
		var want, have []string
		for i, m := range ms {
			want = append(want, fmt.Sprint(m.Version))
			if i < len(got) {
				have = append(have, fmt.Sprint(got[i]["version"]))
			}
		}
		if len(got) != len(ms) || !slices.Equal(have, want) {
			t.Errorf("schema_migrations holds %v, want %v", got, want)
		}
	})

	t.Run("tables have the writer's columns", func(t *testing.T) {
		for table, cols := range map[string][]string{
			TableVerdicts: verdictColumns, TableAccountVerdicts: accountColumns, TableActions: actionColumns,
		} {
			got := rows(t, ch.MustRun(t, "SELECT name FROM system.columns WHERE database = '"+db+
				"' AND table = '"+table+"' ORDER BY position")[0])
			var names []string
			for _, r := range got {
				names = append(names, r["name"].(string))
			}
			if !slices.Equal(names, cols) {
				t.Errorf("%s columns are %v, the writer inserts %v", table, names, cols)
			}
		}
	})

	now := time.Now().UTC().Truncate(time.Second)
	day := now.Format(time.DateOnly)
	ts := func(t time.Time) string { return t.Format(time.DateTime) }
	old := time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC)
	verdict := map[string]any{
		"event_id": "e-1", "time": ts(now), "time_ms": 123, "account_id": "acc-00002",
		"session_id": "s-1", "device_id": "d-1", "type": "login", "ip": "192.0.2.1",
		"country": "DE", "city": "Berlin", "lat": 52.5, "lon": 13.25, "accuracy_km": 20,
		"asn": 64500, "score": 0.5, "verdict": "suspected_sharing", "reasons": []string{"far_apart", "new_device"},
		"explanation": "two cities in one hour", "action": "ticket", "model_version": "m-1",
		"ingested_at": ts(now.Add(-time.Minute)),
	}
	// The same event redelivered later: it must win after FINAL.
	redelivered := with(verdict, map[string]any{"score": 0.75, "verdict": "sharing", "ingested_at": ts(now)})
	oldVerdict := with(verdict, map[string]any{"event_id": "e-0", "time": ts(old), "verdict": "ok", "reasons": []string{}})
	account := map[string]any{
		"account_id": "acc-00002", "updated_at": ts(now), "version": now.UnixMilli(), "verdict": "suspected_sharing",
		"score": 0.5, "reasons": []string{"far_apart"}, "explanation": "two cities in one hour",
		"first_flagged": ts(now), "last_event_id": "e-1", "last_event_time": ts(now), "last_event_time_ms": 123,
		"action": "ticket", "model_version": "m-1",
	}
	accountLater := with(account, map[string]any{"version": now.UnixMilli() + 1, "verdict": "sharing", "score": 0.75})
	unflagged := with(account, map[string]any{"account_id": "acc-00003", "verdict": "ok", "first_flagged": nil})
	action := map[string]any{
		"account_id": "acc-00002", "time": ts(now), "time_ms": 7, "action": string(ActionDecision),
		"actor": "analyst@example.com", "reason": "not_sharing: family travel", "ticket_ref": "rt:1",
		"event_id": "e-1", "verdict": "sharing", "score": 0.75, "dry_run": 1,
	}
	oldAction := with(action, map[string]any{"time": ts(old), "action": string(ActionComment), "dry_run": 0})

	// One INSERT per row, so each is its own part, as separate batches are.
	var inserts []string
	for _, r := range []struct {
		table string
		cols  []string
		row   map[string]any
	}{
		{TableVerdicts, verdictColumns, verdict},
		{TableVerdicts, verdictColumns, redelivered},
		{TableVerdicts, verdictColumns, oldVerdict},
		{TableAccountVerdicts, accountColumns, account},
		{TableAccountVerdicts, accountColumns, accountLater},
		{TableAccountVerdicts, accountColumns, unflagged},
		{TableActions, actionColumns, action},
		{TableActions, actionColumns, oldAction},
	} {
		var keys []string
		for k := range r.row {
			keys = append(keys, k)
		}
		if !slices.Equal(slices.Sorted(slices.Values(keys)), slices.Sorted(slices.Values(r.cols))) {
			t.Fatalf("test row for %s has columns %v, want %v", r.table, slices.Sorted(slices.Values(keys)), r.cols)
		}
		line, err := json.Marshal(r.row)
		if err != nil {
			t.Fatal(err)
		}
		inserts = append(inserts, insertSQL(db, r.table, r.cols)+" FORMAT JSONEachRow\n"+string(line))
	}
	ch.MustRun(t, inserts...)

	t.Run("read back with FINAL", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			query string
			want  []map[string]any
		}{
			{
				// AccountHistory in read.go, with every column.
				name: "verdicts",
				query: "SELECT " + strings.Join(verdictColumns, ", ") + " FROM " + db + ".verdicts FINAL " +
					"WHERE account_id = 'acc-00002' ORDER BY time DESC, time_ms DESC, event_id DESC LIMIT 10",
				want: []map[string]any{redelivered, oldVerdict},
			},
			{
				// AccountState in read.go.
				name: "account_verdicts",
				query: "SELECT " + strings.Join(accountColumns, ", ") + " FROM " + db + ".account_verdicts FINAL " +
					"WHERE account_id = 'acc-00002'",
				want: []map[string]any{accountLater},
			},
			{
				// AccountActions in read.go.
				name: "actions",
				query: "SELECT " + strings.Join(actionColumns, ", ") + " FROM " + db + ".actions " +
					"WHERE account_id = 'acc-00002' ORDER BY time, time_ms",
				want: []map[string]any{oldAction, action},
			},
			{
				// refreshFlags in flags.go.
				name: "first_flagged",
				query: "SELECT account_id, toUInt32(min(assumeNotNull(first_flagged))) AS first FROM " + db +
					".account_verdicts WHERE first_flagged IS NOT NULL AND updated_at >= toDateTime(" +
					fmt.Sprint(now.Add(-time.Hour).Unix()) + ") GROUP BY account_id",
				want: []map[string]any{{"account_id": "acc-00002", "first": now.Unix()}},
			},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := normalize(t, rows(t, ch.MustRun(t, tc.query)[0]))
				if want := normalize(t, tc.want); !reflect.DeepEqual(got, want) {
					t.Errorf("got  %v\nwant %v", got, want)
				}
			})
		}
	})

	t.Run("README queries", func(t *testing.T) {
		queries, err := readmesql.Queries("../README.md")
		if err != nil {
			t.Fatal(err)
		}
		if len(queries) < 4 {
			t.Fatalf("README has %d queries, want at least 4", len(queries))
		}
		for i, r := range ch.MustRun(t, queries...) {
			// "Flagged today" finds nothing if the UTC day turned meanwhile.
			if n := len(rows(t, r)); n == 0 && time.Now().UTC().Format(time.DateOnly) == day {
				t.Errorf("README query returned no rows:\n%s", queries[i])
			}
		}
	})

	t.Run("retention drops old partitions", func(t *testing.T) {
		partsSQL := "SELECT DISTINCT table, partition FROM system.parts WHERE database = '" + db +
			"' AND table IN ('verdicts', 'actions') AND active ORDER BY table, partition"
		month := now.Format("200601")
		parts := func(rs []map[string]any) []string {
			var out []string
			for _, r := range rs {
				out = append(out, fmt.Sprintf("%s/%s", r["table"], r["partition"]))
			}
			return out
		}
		before := parts(rows(t, ch.MustRun(t, partsSQL)[0]))
		if want := []string{"actions/202401", "actions/" + month, "verdicts/202401", "verdicts/" + month}; !slices.Equal(before, want) {
			t.Fatalf("partitions %v, want %v", before, want)
		}
		res := ch.MustRun(t,
			// The statements ApplyRetention in retention.go issues.
			fmt.Sprintf("ALTER TABLE %s.%s DROP PARTITION %d", db, TableActions, 202401),
			fmt.Sprintf("ALTER TABLE %s.%s DROP PARTITION %d", db, TableVerdicts, 202401),
			partsSQL)
		if after, want := parts(rows(t, res[2])), []string{"actions/" + month, "verdicts/" + month}; !slices.Equal(after, want) {
			t.Errorf("after dropping 202401, partitions %v, want %v", after, want)
		}
	})
}

func rows(t *testing.T, r testchdb.Result) []map[string]any {
	t.Helper()
	rs, err := r.Rows()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// with returns a copy of row with changes applied.
func with(row, changes map[string]any) map[string]any {
	out := make(map[string]any, len(row))
	for k, v := range row {
		out[k] = v
	}
	for k, v := range changes {
		out[k] = v
	}
	return out
}

// normalize makes rows comparable whether they came from Go values or from
// ClickHouse's JSON: through JSON, with every number a float64 and integers
// kept exact as strings.
func normalize(t *testing.T, rs []map[string]any) []map[string]any {
	t.Helper()
	b, err := json.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	var out []map[string]any
	if err := d.Decode(&out); err != nil {
		t.Fatal(err)
	}
	for _, r := range out {
		for k, v := range r {
			r[k] = normalizeValue(v)
		}
	}
	return out
}

func normalizeValue(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return fmt.Sprint(i)
		}
		if f, err := v.Float64(); err == nil {
			return f
		}
		return v.String()
	case []any:
		for i := range v {
			v[i] = normalizeValue(v[i])
		}
	}
	return v
}
