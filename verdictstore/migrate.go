package verdictstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migration is one versioned schema change, from migrations/NNNN_name.sql.
type Migration struct {
	Version uint32
	Name    string
	// Statements are the SQL statements with ${db} still in place.
	Statements []string
}

// Migrations returns the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, f := range files {
		base := path.Base(f)
		num, name, ok := strings.Cut(strings.TrimSuffix(base, ".sql"), "_")
		v, err := strconv.ParseUint(num, 10, 32)
		if !ok || err != nil || v == 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", base)
		}
		b, err := migrationFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: uint32(v), Name: name, Statements: splitSQL(string(b))})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return int(a.Version) - int(b.Version) })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", ms[i-1].Name, ms[i].Name, ms[i].Version)
		}
	}
	return ms, nil
}

// splitSQL drops -- comment lines and splits on semicolons at line ends.
func splitSQL(s string) []string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "--") {
			continue
		}
		lines = append(lines, l)
	}
	var out []string
	for _, st := range strings.Split(strings.Join(lines, "\n"), ";\n") {
		st = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(st), ";"))
		if st != "" {
			out = append(out, st)
		}
	}
	return out
}

// Migrate creates the database and the schema_migrations table if missing,
// then applies the migrations not yet recorded there, in order. It is
// idempotent, and its DDL uses IF NOT EXISTS so a run cut short between a
// statement and its record is safe to repeat. Connection errors are retried
// until ctx is done; a server exception is returned at once.
func (s *ClickHouse) Migrate(ctx context.Context) error {
	ms, err := Migrations()
	if err != nil {
		return err
	}
	b := newBackoff(s.cfg.MaxRetryBackoff)
	for {
		err := s.migrate(ctx, ms)
		var exc *clickhouse.Exception
		if err == nil || errors.As(err, &exc) || ctx.Err() != nil {
			return err
		}
		s.logger.Warn("migrating ClickHouse schema failed; retrying", "err", err)
		if werr := b.wait(ctx); werr != nil {
			return joinCtx(werr, err)
		}
	}
}

func (s *ClickHouse) migrate(ctx context.Context, ms []Migration) error {
	db := s.cfg.Database
	for _, q := range bootstrapSQL(db) {
		if err := s.conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("migrate: %s: %w", firstWords(q), err)
		}
	}
	applied, err := s.AppliedMigrations(ctx)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if slices.Contains(applied, m.Version) {
			continue
		}
		for _, st := range m.Statements {
			if err := s.conn.Exec(ctx, strings.ReplaceAll(st, "${db}", db)); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
			}
		}
		batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+db+".schema_migrations (version, applied_at)")
		if err != nil {
			return fmt.Errorf("recording migration %d: %w", m.Version, err)
		}
		if err := batch.Append(m.Version, time.Now()); err != nil {
			_ = batch.Abort()
			return fmt.Errorf("recording migration %d: %w", m.Version, err)
		}
		if err := batch.Send(); err != nil {
			return fmt.Errorf("recording migration %d: %w", m.Version, err)
		}
		s.logger.Info("applied ClickHouse migration", "version", m.Version, "name", m.Name, "database", db)
	}
	return nil
}

// bootstrapSQL creates the database and the schema_migrations table, which
// Migrate runs before any migration.
func bootstrapSQL(db string) []string {
	return []string{
		"CREATE DATABASE IF NOT EXISTS " + db,
		"CREATE TABLE IF NOT EXISTS " + db + ".schema_migrations (version UInt32, applied_at DateTime) ENGINE = MergeTree() ORDER BY version",
	}
}

// AppliedMigrations returns the versions recorded in schema_migrations, in
// order. The table must exist.
func (s *ClickHouse) AppliedMigrations(ctx context.Context) ([]uint32, error) {
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT version FROM "+s.cfg.Database+".schema_migrations ORDER BY version")
	if err != nil {
		return nil, fmt.Errorf("reading schema_migrations: %w", err)
	}
	defer rows.Close()
	var vs []uint32
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("reading schema_migrations: %w", err)
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

func firstWords(q string) string {
	f := strings.Fields(q)
	return strings.Join(f[:min(len(f), 6)], " ")
}
