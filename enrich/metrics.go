package enrich

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	lookups        [len(kindNames)]prometheus.Counter // indexed by Kind
	cacheHits      prometheus.Counter
	cacheMisses    prometheus.Counter
	lookupErrors   prometheus.Counter
	reloadSuccess  prometheus.Counter
	reloadFailure  prometheus.Counter
	cityBuildEpoch prometheus.Gauge
	asnBuildEpoch  prometheus.Gauge
}

// newMetrics builds the metrics and registers them with reg unless it is nil.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	lookups := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sharewatch_geoip_lookups_total",
		Help: "GeoIP lookups by result: public, unknown, private or invalid.",
	}, []string{"result"})
	cacheHits := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sharewatch_geoip_cache_hits_total",
		Help: "GeoIP lookups answered from the cache.",
	})
	cacheMisses := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sharewatch_geoip_cache_misses_total",
		Help: "GeoIP lookups that had to read the databases.",
	})
	lookupErrors := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sharewatch_geoip_lookup_errors_total",
		Help: "GeoIP database records that could not be decoded; the address is reported as unknown.",
	})
	reloads := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sharewatch_geoip_reloads_total",
		Help: "GeoIP database reloads by result: success or failure. A failure keeps the previous databases.",
	}, []string{"result"})
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "sharewatch_geoip_database_build_timestamp_seconds",
		Help: "Build time of the GeoIP database in use, as Unix seconds; 0 when no such database is loaded.",
	}, []string{"db"})

	m := &metrics{
		cacheHits:      cacheHits,
		cacheMisses:    cacheMisses,
		lookupErrors:   lookupErrors,
		reloadSuccess:  reloads.WithLabelValues("success"),
		reloadFailure:  reloads.WithLabelValues("failure"),
		cityBuildEpoch: build.WithLabelValues("city"),
		asnBuildEpoch:  build.WithLabelValues("asn"),
	}
	for k := range m.lookups {
		m.lookups[k] = lookups.WithLabelValues(Kind(k).String())
	}
	if reg == nil {
		return m, nil
	}
	var registered []prometheus.Collector
	for _, c := range []prometheus.Collector{lookups, cacheHits, cacheMisses, lookupErrors, reloads, build} {
		if err := reg.Register(c); err != nil {
			// Leave the registry as it was, so that a caller can retry.
			for _, r := range registered {
				reg.Unregister(r)
			}
			return nil, fmt.Errorf("registering geoip metrics: %w", err)
		}
		registered = append(registered, c)
	}
	return m, nil
}
