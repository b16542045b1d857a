package verdictstore

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	batchDuration prometheus.Histogram
	rows          map[string]prometheus.Counter
	failures      map[string]prometheus.Counter
	retries       prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	batchDuration := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "sharewatch_clickhouse_batch_duration_seconds",
		Help:    "Time for one ClickHouse write call to be acknowledged, retries included.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 10), // 1ms .. ~4.4min
	})
	rows := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sharewatch_clickhouse_rows_written_total",
		Help: "Rows acknowledged by ClickHouse, per table.",
	}, []string{"table"})
	failures := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sharewatch_clickhouse_write_failures_total",
		Help: "Failed ClickHouse insert attempts, per table.",
	}, []string{"table"})
	retries := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sharewatch_clickhouse_retries_total",
		Help: "ClickHouse attempts retried after a failure.",
	})
	m := &metrics{
		batchDuration: batchDuration,
		rows:          map[string]prometheus.Counter{},
		failures:      map[string]prometheus.Counter{},
		retries:       retries,
	}
	for _, t := range []string{TableVerdicts, TableAccountVerdicts, TableActions} {
		m.rows[t] = rows.WithLabelValues(t)
		m.failures[t] = failures.WithLabelValues(t)
	}
	if reg != nil {
		var errs []error
		for _, c := range []prometheus.Collector{batchDuration, rows, failures, retries} {
			errs = append(errs, reg.Register(c))
		}
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	return m, nil
}
