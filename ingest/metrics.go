package ingest

import (
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	consumed         prometheus.Counter
	decoded          [len(typeNames)]prometheus.Counter // by Type
	deadLetters      *prometheus.CounterVec
	dlqWriteErrors   prometheus.Counter
	dlqTruncated     prometheus.Counter
	keyMismatch      prometheus.Counter
	fetchErrors      prometheus.Counter
	commits          prometheus.Counter
	commitErrors     prometheus.Counter
	batchSize        prometheus.Histogram
	processDuration  prometheus.Histogram
	lag              *prometheus.GaugeVec
	lagChildren      map[int]prometheus.Gauge // used by the process goroutine only
	lagSeen          map[int]time.Time        // last update per partition; process goroutine only
	deadLetterReason map[string]prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	const ns, sub = "sharewatch", "ingest"
	m := &metrics{
		consumed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "messages_consumed_total",
			Help: "Messages fetched from the input topic, valid or not.",
		}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "dead_letters_total",
			Help: "Messages that failed to decode and were written to the dead-letter topic, by reason.",
		}, []string{"reason"}),
		dlqWriteErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "dead_letter_write_errors_total",
			Help: "Failed writes to the dead-letter topic; each is retried until it succeeds.",
		}),
		dlqTruncated: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "dead_letters_truncated_total",
			Help: "Dead letters whose value was too large for the dead-letter topic and was truncated.",
		}),
		keyMismatch: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "key_mismatch_total",
			Help: "Valid events whose message key is not their account_id; they are processed anyway.",
		}),
		fetchErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "fetch_errors_total",
			Help: "Errors returned by the Kafka reader while fetching.",
		}),
		commits: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "commits_total",
			Help: "Successful offset commits.",
		}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "commit_errors_total",
			Help: "Failed offset commits; the offsets are committed again on the next interval.",
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "batch_size",
			Help:    "Events handed to the processor per batch.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 7), // 1 .. 4096
		}),
		processDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "process_duration_seconds",
			Help:    "Time the processor took to make a batch durable.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 9), // 0.5ms .. 33s
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "consumer_lag_messages",
			Help: "Messages in the partition after the last processed one, as of that message's fetch.",
		}, []string{"partition"}),
		lagChildren:      make(map[int]prometheus.Gauge),
		lagSeen:          make(map[int]time.Time),
		deadLetterReason: make(map[string]prometheus.Counter),
	}
	decoded := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Subsystem: sub, Name: "events_decoded_total",
		Help: "Valid events decoded, by type.",
	}, []string{"type"})
	for t := TypeLogin; int(t) < len(typeNames); t++ {
		m.decoded[t] = decoded.WithLabelValues(t.String())
	}
	for _, r := range DecodeReasons() {
		m.deadLetterReason[r] = m.deadLetters.WithLabelValues(r)
	}
	for _, c := range []prometheus.Collector{
		m.consumed, decoded, m.deadLetters, m.dlqWriteErrors, m.dlqTruncated, m.keyMismatch,
		m.fetchErrors, m.commits, m.commitErrors, m.batchSize, m.processDuration, m.lag,
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering ingest metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) deadLetter(reason string) prometheus.Counter {
	if c, ok := m.deadLetterReason[reason]; ok {
		return c
	}
	// Decode only returns reasons from DecodeReasons; anything else is a bug
	// and is counted under one bounded label.
	return m.deadLetters.WithLabelValues("other")
}

func (m *metrics) setLag(partition int, lag int64, now time.Time) {
	g, ok := m.lagChildren[partition]
	if !ok {
		g = m.lag.WithLabelValues(strconv.Itoa(partition))
		m.lagChildren[partition] = g
	}
	g.Set(float64(max(lag, 0)))
	m.lagSeen[partition] = now
}

// lagStale is how long a partition's lag gauge may go without an update
// while other partitions are being processed before it is dropped: kafka-go
// does not say when a rebalance takes a partition away, and a frozen value
// for a partition another instance now owns would hide a real stall.
const lagStale = 2 * time.Minute

// expireLag drops the lag gauges of partitions this consumer has not
// processed for lagStale. It runs after each processed batch, so a stalled
// consumer keeps its last values (the consumed-rate alert catches that).
func (m *metrics) expireLag(now time.Time) {
	for p, seen := range m.lagSeen {
		if now.Sub(seen) > lagStale {
			m.lag.DeleteLabelValues(strconv.Itoa(p))
			delete(m.lagChildren, p)
			delete(m.lagSeen, p)
		}
	}
}
