package controller

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// collectors are the controller's nodeguardian_* metrics. They live in one struct,
// registered once per manager; a collector already registered with the same name (a
// second manager in the process) is shared.
type collectors struct {
	evaluations   *prometheus.CounterVec // result
	evalDuration  prometheus.Histogram   // seconds
	applyDuration prometheus.Histogram   // seconds
	actions       *prometheus.CounterVec // type, result
	firing        *prometheus.GaugeVec   // rule
	deferred      *prometheus.GaugeVec   // rule, reason
	sourceErrors  prometheus.Counter     // failed metric reads
	alertSends    *prometheus.CounterVec // channel, result
	reconciles    *prometheus.CounterVec // trigger-independent count, result
	statusWrites  prometheus.Counter     // status patches
	lastEval      prometheus.Gauge       // unix seconds of the last evaluation of the rules
}

// newCollectors creates and registers the collectors with reg.
func newCollectors(reg prometheus.Registerer) (*collectors, error) {
	c := &collectors{
		evaluations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nodeguardian_evaluations_total",
			Help: "Fleet evaluations (plans), by result: success, incomplete (a metric read failed), error."}, []string{"result"}),
		evalDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "nodeguardian_evaluation_duration_seconds",
			Help: "Time to read the fleet and metrics and compute the plan.", Buckets: prometheus.DefBuckets}),
		applyDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "nodeguardian_apply_duration_seconds",
			Help: "Time to apply a plan with changes (patches, evictions, alerts).", Buckets: prometheus.ExponentialBuckets(0.01, 3, 10)}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nodeguardian_actions_total",
			Help: "Planned node changes, by type (taint, label, annotation, cordon, evict) and result (applied, failed, dryrun)."}, []string{"type", "result"}),
		firing: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "nodeguardian_firing_nodes",
			Help: "Nodes a rule fires on."}, []string{"rule"}),
		deferred: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "nodeguardian_deferred_actions",
			Help: "Actions a rule wants but may not take now, by reason (budget, cooldown, pdb, other)."}, []string{"rule", "reason"}),
		sourceErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "nodeguardian_metric_source_errors_total",
			Help: "Metric reads that failed (their conditions are Unknown)."}),
		alertSends: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nodeguardian_alert_sends_total",
			Help: "Alert deliveries, by channel and result (success, failure)."}, []string{"channel", "result"}),
		reconciles: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nodeguardian_reconciles_total",
			Help: "Fleet reconciles, by result."}, []string{"result"}),
		statusWrites: prometheus.NewCounter(prometheus.CounterOpts{Name: "nodeguardian_status_writes_total",
			Help: "Rule status patches (written only when something changed)."}),
		lastEval: prometheus.NewGauge(prometheus.GaugeOpts{Name: "nodeguardian_last_evaluation_timestamp_seconds",
			Help: "When the rules were last evaluated (a plan computed), in Unix seconds: the controller's liveness, which rule status does not show (status is written only when it changes)."}),
	}
	var err error
	c.evaluations, err = register(reg, c.evaluations, err)
	c.evalDuration, err = register(reg, c.evalDuration, err)
	c.applyDuration, err = register(reg, c.applyDuration, err)
	c.actions, err = register(reg, c.actions, err)
	c.firing, err = register(reg, c.firing, err)
	c.deferred, err = register(reg, c.deferred, err)
	c.sourceErrors, err = register(reg, c.sourceErrors, err)
	c.alertSends, err = register(reg, c.alertSends, err)
	c.reconciles, err = register(reg, c.reconciles, err)
	c.statusWrites, err = register(reg, c.statusWrites, err)
	c.lastEval, err = register(reg, c.lastEval, err)
	return c, err
}

// register registers col with reg unless an earlier registration failed; a collector
// of that name already there is returned in its place.
func register[C prometheus.Collector](reg prometheus.Registerer, col C, prev error) (C, error) {
	if prev != nil {
		return col, prev
	}
	err := reg.Register(col)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return col, err
}
