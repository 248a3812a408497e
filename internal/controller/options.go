// Package controller runs NodeGuardian in the cluster: a controller-runtime manager whose
// one reconcile plans the whole fleet with the same engine and apply path as `ngctl plan`
// and `ngctl apply` (internal/live), writes each rule's status, emits Events and exports
// Prometheus metrics. See docs/controller.md.
package controller

import (
	"os"
	"strings"
	"time"

	"github.com/fluxcd/pkg/runtime/leaderelection"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"

	"github.com/nodeguardian/nodeguardian/internal/metrics"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// Defaults of Options.
const (
	// LeaderElectionID names the Lease the replicas compete for.
	LeaderElectionID = "nodeguardian-controller.nodeguardian.k8s.io"
	// DefaultMetricsAddr serves /metrics.
	DefaultMetricsAddr = ":8080"
	// DefaultHealthAddr serves /healthz and /readyz.
	DefaultHealthAddr = ":9440"
	// Name is the controller's name: its field manager, event reporter and log name.
	Name = "nodeguardian-controller"
	// FleetKey is the one work-queue key: every trigger reconciles the whole fleet.
	FleetKey = "nodeguardian/fleet"
	// MinRequeue is the shortest pause between two timed reconciles.
	MinRequeue = time.Second
	// DefaultStaleness: a metric whose latest sample is older is Unknown.
	DefaultStaleness = 5 * time.Minute
)

// FeatureNodeEvents is the feature gate (--feature-gates=NodeEvents=false) that
// records decisions as Events on nodes as well as on rules; on by default.
const FeatureNodeEvents = "NodeEvents"

// Features are the controller's feature gates and their defaults, for Flux's
// --feature-gates flag.
func Features() map[string]bool { return map[string]bool{FeatureNodeEvents: true} }

// Options configure the controller. The zero value of each field is its default.
type Options struct {
	// MetricsAddr serves /metrics (DefaultMetricsAddr; "0" disables it).
	MetricsAddr string
	// HealthAddr serves /healthz and /readyz (DefaultHealthAddr; "0" disables it).
	HealthAddr string
	// LeaderElection is Flux's leader election options (--enable-leader-election, ...).
	LeaderElection leaderelection.Options
	// LeaderElectionNamespace holds the Lease: default $RUNTIME_NAMESPACE, else the
	// service account's namespace.
	LeaderElectionNamespace string
	// DryRun plans, reports in status, Events and the log, and changes nothing.
	DryRun bool
	// ReturnMemory returns the memory the garbage collector freed to the operating system
	// after each reconcile (runtime/debug.FreeOSMemory: one collection, a few ms at
	// 5,000 nodes): the controller idles between reconciles, so its RSS then stays near
	// its live heap instead of keeping the headroom of the initial sync. ngctl controller
	// sets it.
	ReturnMemory bool
	// DisableNodeEvents records decisions as Events on their rules only, not also on
	// their nodes (feature gate NodeEvents=false: less Event traffic on large fleets).
	DisableNodeEvents bool
	// AlertConfig is the alert channels file (docs/alerts.md); the environment completes it.
	AlertConfig string
	// MetricsSource is the default metric source: metrics.SourcePrometheus or
	// metrics.SourceMetricsServer ("": Prometheus when Prometheus.URL is set, else
	// metrics-server). Rules asking for another source are routed to it.
	MetricsSource string
	// Prometheus is the default Prometheus and the options of every Prometheus read.
	Prometheus metrics.PrometheusOptions
	// MetricsConfig is the node label and query overrides (metrics.DefaultConfig when zero).
	MetricsConfig *metrics.Config
	// Staleness: a metric whose latest sample is older is Unknown (default 5m).
	Staleness time.Duration
	// MaxDisruptive caps the nodes under disruptive effects at once (default 30%).
	MaxDisruptive *intstr.IntOrString
	// RepeatInterval repeats a firing rule's alert (default plan.DefaultRepeatInterval;
	// negative: never).
	RepeatInterval time.Duration
	// ApplyTimeout bounds one apply (default 15m).
	ApplyTimeout time.Duration
	// Now is the clock (time.Now when nil): tests inject one.
	Now func() time.Time
	// Logger is the controller's logger (controller-runtime's when zero).
	Logger logr.Logger
	// Registerer registers the nodeguardian_* collectors (controller-runtime's
	// metrics.Registry, which /metrics serves, when nil). A collector already registered
	// there is shared.
	Registerer prometheus.Registerer

	// metricsServer is the client configuration metrics-server (metrics.k8s.io and the
	// node list it divides by) is read with; nil: the cluster's. Tests set it: envtest
	// has no aggregation layer to serve metrics.k8s.io.
	metricsServer *rest.Config
}

func (o Options) withDefaults() Options {
	if o.MetricsAddr == "" {
		o.MetricsAddr = DefaultMetricsAddr
	}
	if o.HealthAddr == "" {
		o.HealthAddr = DefaultHealthAddr
	}
	if o.LeaderElectionNamespace == "" {
		o.LeaderElectionNamespace = defaultNamespace()
	}
	if o.Staleness <= 0 {
		o.Staleness = DefaultStaleness
	}
	if o.MaxDisruptive == nil {
		v := intstr.FromString("30%")
		o.MaxDisruptive = &v
	}
	if o.RepeatInterval == 0 {
		o.RepeatInterval = plan.DefaultRepeatInterval
	}
	if o.ApplyTimeout <= 0 {
		o.ApplyTimeout = 15 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Prometheus.MinRange <= 0 {
		o.Prometheus.MinRange = o.Staleness
	}
	return o
}

// serviceAccountNamespace is where a pod finds its namespace.
const serviceAccountNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// defaultNamespace is $RUNTIME_NAMESPACE (Flux's convention), else the service
// account's namespace, else "" (then leader election needs the namespace given).
func defaultNamespace() string { return namespaceFrom(os.Getenv, serviceAccountNamespace) }

// namespaceFrom is defaultNamespace with the environment and the service account's
// namespace file given.
func namespaceFrom(getenv func(string) string, saFile string) string {
	if ns := getenv("RUNTIME_NAMESPACE"); ns != "" {
		return ns
	}
	if b, err := os.ReadFile(saFile); err == nil {
		return strings.TrimSpace(string(b))
	}
	return ""
}
