package holds

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	placed        prometheus.Counter
	released      prometheus.Counter
	suppressed    prometheus.Counter
	brake         prometheus.Gauge
	publishErrors prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, h *Holder) (*metrics, error) {
	m := &metrics{
		placed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sharewatch_holds_placed_total",
			Help: "Automatic holds published.",
		}),
		released: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sharewatch_holds_released_total",
			Help: "Holds released (analyst decision or operator).",
		}),
		suppressed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sharewatch_holds_suppressed_total",
			Help: "Accounts whose automatic hold the blast-radius brake stopped (they get a review ticket only).",
		}),
		brake: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sharewatch_holds_brake_engaged",
			Help: "1 while the blast-radius brake stops automatic holds; an operator must reset it. Alert on it.",
		}),
		publishErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sharewatch_holds_publish_errors_total",
			Help: "Failed attempts to publish hold commands to a sink; each is retried.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	held := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sharewatch_holds_held",
		Help: "Accounts currently held.",
	}, func() float64 { return float64(h.HeldCount()) })
	for _, c := range []prometheus.Collector{m.placed, m.released, m.suppressed, m.brake, m.publishErrors, held} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
