package tickets

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	opened   prometheus.Counter
	updated  prometheus.Counter
	errors   map[string]prometheus.Counter
	ageOnEnd prometheus.Histogram
	decided  map[Outcome]prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, ob *outbox, now func() time.Time) (*metrics, error) {
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sharewatch_tickets_helpdesk_errors_total",
		Help: "Failed helpdesk requests by kind: rate_limited (429), server (5xx), client (other 4xx) or network. Every failure is retried.",
	}, []string{"kind"})
	decided := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sharewatch_tickets_decisions_total",
		Help: "Analyst decisions read back from the helpdesk, by outcome.",
	}, []string{"outcome"})
	m := &metrics{
		opened: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sharewatch_tickets_opened_total",
			Help: "Tickets created on the helpdesk.",
		}),
		updated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sharewatch_tickets_updated_total",
			Help: "Updates applied to open tickets (escalations, and cases that came undone): a comment, a priority change, or both.",
		}),
		ageOnEnd: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sharewatch_tickets_open_age_seconds",
			Help: "How long tickets were open when their decision was read back (SLA: 95% within 24h = 86400s).",
			Buckets: []float64{
				900, 3600, 4 * 3600, 8 * 3600, 12 * 3600, 86400, 2 * 86400, 3 * 86400, 7 * 86400, 30 * 86400,
			},
		}),
		errors:  map[string]prometheus.Counter{},
		decided: map[Outcome]prometheus.Counter{},
	}
	for _, k := range errorKinds {
		m.errors[k] = errs.WithLabelValues(k)
	}
	for _, o := range []Outcome{OutcomeSharing, OutcomeNotSharing} {
		m.decided[o] = decided.WithLabelValues(string(o))
	}
	if reg == nil {
		return m, nil
	}
	open := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sharewatch_tickets_open",
		Help: "Tickets sharewatch knows to be open (created and not yet decided).",
	}, func() float64 { n, _ := ob.openStats(now()); return float64(n) })
	oldest := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sharewatch_tickets_oldest_open_age_seconds",
		Help: "Age of the oldest open ticket; alert above 86400 (24h SLA).",
	}, func() float64 { _, d := ob.openStats(now()); return d.Seconds() })
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sharewatch_tickets_outbox_pending",
		Help: "Ticket intents in the durable outbox not yet carried out on the helpdesk.",
	}, func() float64 { return float64(ob.pendingCount()) })
	for _, c := range []prometheus.Collector{m.opened, m.updated, errs, m.ageOnEnd, decided, open, oldest, pending} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
