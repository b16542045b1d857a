//go:build tools

package tools

import (
	_ "github.com/ClickHouse/clickhouse-go/v2"
	_ "github.com/maxmind/mmdbwriter"
	_ "github.com/oschwald/geoip2-golang/v2"
	_ "github.com/oschwald/maxminddb-golang/v2"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/segmentio/kafka-go"
	_ "github.com/twmb/franz-go/pkg/kfake"
	_ "go.uber.org/goleak"
	_ "golang.org/x/sync/errgroup"
	_ "gonum.org/v1/gonum/optimize"
	_ "gopkg.in/yaml.v3"
)
