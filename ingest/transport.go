package ingest

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
)

const dialTimeout = 10 * time.Second

// security is the TLS and SASL part of a connection to the brokers.
type security struct {
	tls  *tls.Config
	sasl sasl.Mechanism
}

func newSecurity(c Config) (security, error) {
	var s security
	if c.TLS.Enabled {
		s.tls = &tls.Config{MinVersion: tls.VersionTLS12}
		if c.TLS.CAFile != "" {
			pem, err := os.ReadFile(c.TLS.CAFile)
			if err != nil {
				return s, fmt.Errorf("kafka.tls.ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return s, fmt.Errorf("kafka.tls.ca_file: no PEM certificates in %s", c.TLS.CAFile)
			}
			s.tls.RootCAs = pool
		}
	}
	user, pass := c.SASL.Username, string(c.SASL.Password)
	switch c.SASL.Mechanism {
	case "":
	case SASLPlain:
		s.sasl = plain.Mechanism{Username: user, Password: pass}
	case SASLScramSHA256:
		s.sasl = newScram(scramSHA256, user, pass)
	case SASLScramSHA512:
		s.sasl = newScram(scramSHA512, user, pass)
	default:
		return s, fmt.Errorf("kafka.sasl.mechanism: %w: %q", ErrInvalidSASLMechanism, c.SASL.Mechanism)
	}
	return s, nil
}

func (s security) dialer() *kafka.Dialer {
	return &kafka.Dialer{
		ClientID:      "sharewatch",
		Timeout:       dialTimeout,
		DualStack:     true,
		TLS:           s.tls,
		SASLMechanism: s.sasl,
	}
}

// transport is owned by one writer: kafka.DefaultTransport would keep idle
// connections (and their goroutines) alive after the writer is closed.
func (s security) transport() *kafka.Transport {
	return &kafka.Transport{
		ClientID:    "sharewatch",
		DialTimeout: dialTimeout,
		IdleTimeout: 30 * time.Second,
		// kafka-go caches metadata, including "no such topic", for 6s by
		// default; a DLQ topic created after start is seen sooner this way.
		MetadataTTL: 2 * time.Second,
		TLS:         s.tls,
		SASL:        s.sasl,
	}
}
