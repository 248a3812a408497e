package controller

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/fluxcd/pkg/runtime/predicates"
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/cluster"
	"github.com/nodeguardian/nodeguardian/internal/live"
	"github.com/nodeguardian/nodeguardian/internal/notify"
)

// New builds the controller's manager: caches for rules, alert templates and lean nodes
// (pods are never cached), leader election on a Lease, /metrics, /healthz and /readyz,
// and the fleet reconciler. Start it with its Start method (or use Run).
func New(cfg *rest.Config, o Options) (manager.Manager, error) {
	mgr, _, err := build(cfg, o)
	return mgr, err
}

// Run builds the manager and runs it until ctx is done (SIGTERM in `ngctl controller`),
// then shuts down gracefully: the reconcile in flight finishes, the Lease is released.
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	mgr, err := New(cfg, o)
	if err != nil {
		return err
	}
	return mgr.Start(ctx)
}

// build is New, also returning the reconciler (tests read its plans).
func build(cfg *rest.Config, o Options) (manager.Manager, *Reconciler, error) {
	o = o.withDefaults()
	if o.LeaderElection.Enable && o.LeaderElectionNamespace == "" {
		return nil, nil, fmt.Errorf("leader election needs a namespace: set $RUNTIME_NAMESPACE or --leader-election-namespace")
	}
	scheme, err := newScheme()
	if err != nil {
		return nil, nil, err
	}
	// Watches are long requests: the manager's client has no request timeout; the direct
	// client (apply, pods, PDBs) keeps cfg's, as `ngctl apply --request-timeout` does.
	mcfg := rest.CopyConfig(cfg)
	mcfg.Timeout = 0
	mgr, err := ctrl.NewManager(mcfg, managerOptions(o, scheme))
	if err != nil {
		return nil, nil, fmt.Errorf("controller manager: %w", err)
	}
	r, err := newReconciler(mgr, cfg, o)
	if err != nil {
		return nil, nil, err
	}
	if err := r.setup(mgr); err != nil {
		return nil, nil, err
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, nil, err
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return nil, nil, err
	}
	return mgr, r, nil
}

func newScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := v1.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}

// managerOptions are the manager's options: Flux-style leader election, the metrics and
// probe addresses, and a node cache that keeps lean nodes only.
func managerOptions(o Options, scheme *runtime.Scheme) ctrl.Options {
	le := o.LeaderElection
	return ctrl.Options{
		Scheme:                        scheme,
		Logger:                        o.Logger,
		LeaderElection:                le.Enable,
		LeaderElectionID:              LeaderElectionID,
		LeaderElectionNamespace:       o.LeaderElectionNamespace,
		LeaderElectionReleaseOnCancel: le.ReleaseOnCancel,
		LeaseDuration:                 durationOrNil(le.LeaseDuration),
		RenewDeadline:                 durationOrNil(le.RenewDeadline),
		RetryPeriod:                   durationOrNil(le.RetryPeriod),
		Metrics:                       metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:        o.HealthAddr,
		GracefulShutdownTimeout:       ptr.To(o.ApplyTimeout),
		Cache: cache.Options{
			DefaultTransform: cache.TransformStripManagedFields(),
			ByObject:         map[client.Object]cache.ByObject{&corev1.Node{}: {Transform: nodeTransform}},
		},
		// Several managers may run in one process (tests, failover drills).
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	}
}

func durationOrNil[T comparable](d T) *T {
	var zero T
	if d == zero {
		return nil
	}
	return &d
}

// newReconciler wires the reconciler: the direct cluster client (apply, pods, PDBs,
// eviction simulation), the cache reader, the metric source, the alert channels, the
// event recorder and the metrics.
func newReconciler(mgr manager.Manager, cfg *rest.Config, o Options) (*Reconciler, error) {
	direct, err := cluster.New(cfg)
	if err != nil {
		return nil, err
	}
	src, mcfg, err := metricSource(o, cmp.Or(o.metricsServer, cfg))
	if err != nil {
		return nil, err
	}
	ncfg, err := notify.LoadConfig(o.AlertConfig, os.Getenv)
	if err != nil {
		return nil, err
	}
	d, err := notify.New(ncfg, notify.Options{Now: o.Now})
	if err != nil {
		return nil, err
	}
	logResolveTimeoutWarnings(mgr.GetLogger(), ncfg, o.RepeatInterval)
	reg := o.Registerer
	if reg == nil {
		reg = ctrlmetrics.Registry
	}
	m, err := newCollectors(reg)
	if err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	return &Reconciler{
		client:   mgr.GetClient(),
		src:      live.Sources{Cluster: direct, Reader: cacheReader{cache: mgr.GetClient(), direct: direct}, Metrics: src, Config: mcfg},
		opts:     o,
		events:   mgr.GetEventRecorder(Name),
		m:        m,
		notifier: d,
		channels: ncfg.Channels(),
		log:      mgr.GetLogger().WithName("fleet"),
		seen:     map[string]bool{},
	}, nil
}

// logResolveTimeoutWarnings logs, at start, that Alertmanager's resolveTimeout does not
// outlast the repeat interval (repeat; negative: never), as ngctl apply warns: a firing
// alert would be resolved by Alertmanager between two posts.
func logResolveTimeoutWarnings(log logr.Logger, cfg notify.Config, repeat time.Duration) {
	for _, w := range cfg.ResolveTimeoutWarnings(max(repeat, 0), nil) {
		log.Info("warning: " + w)
	}
}

// setup registers the one fleet controller and its triggers: rule creation, deletion,
// spec change and reconcile requests; alert template changes; node changes that matter.
func (r *Reconciler) setup(mgr manager.Manager) error {
	toFleet := handler.EnqueueRequestsFromMapFunc(fleetRequest)
	specOrRequest := predicate.Or[client.Object](predicate.GenerationChangedPredicate{}, predicates.ReconcileRequestedPredicate{})
	return ctrl.NewControllerManagedBy(mgr).
		Named("fleet").
		WithOptions(controllerOptions()).
		Watches(&v1.NodeGuardianRule{}, toFleet, builder.WithPredicates(specOrRequest)).
		Watches(&v1.AlertTemplate{}, toFleet, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&corev1.Node{}, toFleet, builder.WithPredicates(NodeChangedPredicate{})).
		Complete(r)
}

// controllerOptions: one worker (one key anyway).
func controllerOptions() controller.Options {
	return controller.Options{MaxConcurrentReconciles: 1}
}
