// Package source chooses where a live plan reads its metrics, for every caller alike
// (ngctl plan/apply/snapshot, the controller, a differ): Prometheus and metrics-server
// behind one metrics.Router, so that each rule reads the source it asks for
// (monitoring.metricsSource.useMetricsServer, prometheusURL) and the others the default.
package source

import (
	"errors"
	"fmt"

	"k8s.io/client-go/rest"

	"github.com/nodeguardian/nodeguardian/internal/metrics"
)

// Options say which metric sources a run reaches.
type Options struct {
	// Default serves the rules without a source of their own: metrics.SourcePrometheus
	// or metrics.SourceMetricsServer.
	Default string
	// Prometheus: URL is the default Prometheus ("" = none, only rules' prometheusURL
	// are read; then Default must be metrics.SourceMetricsServer); auth, timeout, range
	// and size bound apply to every Prometheus, rules' prometheusURL included.
	Prometheus metrics.PrometheusOptions
	// MetricsServer is the client configuration metrics-server is read with; nil: none
	// (rules asking for it have Unknown metrics, with a warning).
	MetricsServer *rest.Config
	// MetricsServerOptions tune metrics-server. With Window, AssumeSustained is ignored.
	MetricsServerOptions metrics.MetricsServerOptions
	// Window keeps a bounded in-memory window of metrics-server's samples across
	// fetches (metrics.Window), for a long-running caller such as the controller, which
	// must then keep the returned Source for as long as it runs: a new one starts empty,
	// and conditions with a duration are Unknown until its window has filled. Without
	// it (the CLI) metrics-server has no history (see AssumeSustained).
	Window bool
	// Config is the node label and built-in query overrides (metrics.LoadConfig).
	Config metrics.Config
}

// New builds the metric source of a run: a *metrics.Router over the default
// Prometheus (when a URL is set), the Prometheus servers rules name, and metrics-server
// (when MetricsServer is set; wrapped in a metrics.Window with Window). It checks the
// options — the Prometheus URL, that secret and CA files can be read — and queries
// nothing yet.
func New(opts Options) (metrics.Source, error) {
	switch opts.Default {
	case metrics.SourcePrometheus:
		if opts.Prometheus.URL == "" {
			return nil, errors.New("metric source prometheus: no Prometheus URL")
		}
	case metrics.SourceMetricsServer:
		if opts.MetricsServer == nil {
			return nil, errors.New("metric source metrics-server: no cluster configuration")
		}
	default:
		return nil, fmt.Errorf("unknown metric source %q (want %s or %s)", opts.Default, metrics.SourcePrometheus, metrics.SourceMetricsServer)
	}
	ropts := metrics.RouterOptions{Default: opts.Default, Prometheus: opts.Prometheus, Config: opts.Config}
	if opts.MetricsServer != nil {
		msOpts := opts.MetricsServerOptions
		if opts.Window {
			msOpts.AssumeSustained = false
		}
		ms, err := metrics.NewMetricsServer(opts.MetricsServer, msOpts)
		if err != nil {
			return nil, err
		}
		ropts.MetricsServer = ms
		if opts.Window {
			ropts.MetricsServer = metrics.NewWindow(ms)
		}
	}
	r, err := metrics.NewRouter(ropts)
	if err != nil {
		return nil, err
	}
	return r, nil
}
