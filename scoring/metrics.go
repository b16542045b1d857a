package scoring

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	scored     [4]prometheus.Counter
	duplicates prometheus.Counter
	accounts   prometheus.Gauge
	bytes      prometheus.Gauge
	evictions  prometheus.Counter
	taught     prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, version string) *metrics {
	verdicts := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sharewatch_scoring_verdicts_total",
		Help: "Events scored, by verdict.",
	}, []string{"verdict"})
	m := &metrics{
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sharewatch_scoring_duplicate_events_total",
			Help: "Events skipped because the account had just seen the same event_id.",
		}),
		accounts: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sharewatch_scoring_state_accounts",
			Help: "Accounts held in scoring state.",
		}),
		bytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sharewatch_scoring_state_bytes",
			Help: "Estimated bytes of per-account scoring state, updated hourly (event time).",
		}),
		taught: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sharewatch_scoring_analyst_clearances_total",
			Help: "Analysts' not-sharing decisions applied to account state.",
		}),
		evictions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sharewatch_scoring_state_evictions_total",
			Help: "Accounts evicted from scoring state after inactivity or to stay within max_accounts.",
		}),
	}
	for l := LabelOK; l <= LabelSharing; l++ {
		m.scored[l] = verdicts.WithLabelValues(l.String())
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "sharewatch_scoring_model_info",
		Help:        "The model in use; always 1.",
		ConstLabels: prometheus.Labels{"version": version},
	})
	info.Set(1)
	if reg != nil {
		reg.MustRegister(verdicts, m.duplicates, m.accounts, m.bytes, m.evictions, m.taught, info)
	}
	return m
}
