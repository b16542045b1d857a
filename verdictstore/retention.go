package verdictstore

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// ApplyRetention drops the monthly partitions of verdicts and actions that
// hold only data older than RetentionMonths before now, and returns them as
// "table/YYYYMM". With the default 13 and now in November 2026, October 2025
// is kept and September 2025 and older are dropped. account_verdicts keeps
// one row per account and is not touched.
func (s *ClickHouse) ApplyRetention(ctx context.Context, now time.Time) ([]string, error) {
	cutoff := now.UTC().AddDate(0, -s.cfg.RetentionMonths, 0)
	keepFrom := uint64(cutoff.Year()*100 + int(cutoff.Month()))
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT table, partition FROM system.parts "+
		"WHERE database = ? AND table IN (?, ?) AND active ORDER BY table, partition",
		s.cfg.Database, TableVerdicts, TableActions)
	if err != nil {
		return nil, fmt.Errorf("listing partitions: %w", err)
	}
	type part struct {
		table string
		month uint64
	}
	var old []part
	for rows.Next() {
		var table, partition string
		if err := rows.Scan(&table, &partition); err != nil {
			rows.Close()
			return nil, fmt.Errorf("listing partitions: %w", err)
		}
		month, err := strconv.ParseUint(partition, 10, 32)
		if err != nil {
			s.logger.Warn("skipping partition that is not YYYYMM", "table", table, "partition", partition)
			continue
		}
		if month < keepFrom {
			old = append(old, part{table, month})
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("listing partitions: %w", err)
	}
	var dropped []string
	for _, p := range old {
		// month is a parsed integer, safe to format into the statement.
		q := fmt.Sprintf("ALTER TABLE %s.%s DROP PARTITION %d", s.cfg.Database, p.table, p.month)
		if err := s.conn.Exec(ctx, q); err != nil {
			return dropped, fmt.Errorf("dropping partition %d of %s: %w", p.month, p.table, err)
		}
		s.logger.Info("dropped partition past retention", "table", p.table, "partition", p.month)
		dropped = append(dropped, fmt.Sprintf("%s/%d", p.table, p.month))
	}
	return dropped, nil
}
