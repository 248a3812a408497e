// Package plan computes what NodeGuardian would change on a fleet — verdicts, current node
// state and ownership ledgers in, a Plan out — and renders plans as text, JSON and
// Markdown. Computing is pure (no I/O, time injected); rendering is separate from it.
package plan

import "time"

// FormatVersion is the version of the plan's JSON form. The form is closed: any change
// to it — a field added, removed or changing meaning — is a new version, and readers
// refuse a plan of another version or with a field they do not know (ReadJSON), because
// a saved plan is applied only as the version that computed it understood it.
// Version 2 added reason codes (Change.Code, Deferred.Code, Warning.Code),
// Deferred.Until and Plan.NextEvaluation. Version 3 made the ID cover alert text (see
// ID) and inputs.source, which says only "snapshot" or "cluster".
const FormatVersion = "3"

// Plan is everything one reconciliation would do, with why. Its JSON form is closed:
// unknown fields are refused (so are a field name in another case and a field given
// twice), and any change to the form is a new formatVersion.
type Plan struct {
	FormatVersion string    `json:"formatVersion"`
	ID            string    `json:"id"` // SHA-256 of the plan's JSON form but the id, alert text included (see ID)
	CreatedAt     time.Time `json:"createdAt"`
	ExpiresAt     time.Time `json:"expiresAt"`
	Inputs        Inputs    `json:"inputs"`
	Summary       Summary   `json:"summary"`
	// Nodes with at least one change (dry-run changes included), by node name.
	Nodes    []NodePlan   `json:"nodes"`
	Deferred []Deferred   `json:"deferred"`
	Warnings []Warning    `json:"warnings"`
	Rules    []RuleStatus `json:"rules"`
	// NextEvaluation is the earliest instant after CreatedAt at which time alone may
	// change what the rules do: a pending condition's duration completes (trigger or
	// recovery), a cooldown that defers a firing ends, or a notification repeat is due.
	// Absent when nothing is time-bound. A controller evaluates again no later than this.
	NextEvaluation *time.Time `json:"nextEvaluation,omitempty"`
	// NextEvaluationReason says what happens at NextEvaluation, e.g. "pending duration
	// of rule high-load on node worker-2 completes".
	NextEvaluationReason string `json:"nextEvaluationReason,omitempty"`
}

// Inputs identify what the plan was computed from, so that a saved plan can be refused
// when they change.
type Inputs struct {
	RulesHash string `json:"rulesHash"` // hash of the rules and templates
	FleetHash string `json:"fleetHash"` // hash of nodes, pods, PDBs and metric samples
	// NodeVersions are the resourceVersions of the planned nodes (live clusters).
	NodeVersions map[string]string `json:"nodeVersions,omitempty"`
	// Source is what the fleet was read from: "snapshot" (inputs.fleetHash says which
	// content) or "cluster".
	Source string `json:"source"`
	// SourcePath is where the snapshot was read, as given on the command line. It is shown
	// in text and Markdown but is not part of the JSON form, so neither of the ID: how a
	// path is spelled (s.yaml, ./s.yaml) does not make another plan.
	SourcePath string `json:"-"`
}

// SourceText is what the plan was computed from, for people: "snapshot
// examples/fleet/demo.yaml", "cluster".
func (in Inputs) SourceText() string {
	if in.SourcePath == "" {
		return in.Source
	}
	return in.Source + " " + in.SourcePath
}

// Summary counts what the plan does. Dry-run changes are not counted.
type Summary struct {
	NodesToChange int `json:"nodesToChange"`
	Adds          int `json:"adds"`
	Changes       int `json:"changes"`
	Removes       int `json:"removes"`
	Evictions     int `json:"evictions"`
	Alerts        int `json:"alerts"`
	Deferred      int `json:"deferred"`
	Warnings      int `json:"warnings"`
	DryRun        int `json:"dryRun"` // changes shown but never applied
}

// NodePlan is the ordered changes to one node.
type NodePlan struct {
	Node            string   `json:"node"`
	ResourceVersion string   `json:"resourceVersion,omitempty"`
	Changes         []Change `json:"changes"`
}

// Op is what a change does.
type Op string

// Change operations.
const (
	OpAdd    Op = "add"
	OpChange Op = "change"
	OpRemove Op = "remove"
)

// Kind is what a change touches.
type Kind string

// Change kinds, in the order they are applied on a node.
const (
	KindTaint      Kind = "taint"
	KindLabel      Kind = "label"
	KindAnnotation Kind = "annotation"
	KindCordon     Kind = "cordon" // Op add: cordon; Op remove: uncordon
	KindLedger     Kind = "ledger" // the ownership ledger annotation
	KindEvict      Kind = "evict"  // one-shot: evict Pods
	KindAlert      Kind = "alert"  // one-shot: send Alert
	KindState      Kind = "state"  // a rule's state on the node changes (Healthy → Firing, ...)
)

// Change is one planned change to one node.
type Change struct {
	Op   Op   `json:"op"`
	Kind Kind `json:"kind"`
	// Key is the taint key, label key or annotation key.
	Key string `json:"key,omitempty"`
	// Value is the new value (add, change); Old the value replaced or removed.
	Value  string `json:"value,omitempty"`
	Old    string `json:"old,omitempty"`
	Effect string `json:"effect,omitempty"` // taints
	Rule   string `json:"rule,omitempty"`   // the rule that wants the change ("" for the ledger)
	// Code says why in one word (Fired, Recovered, Drift, ...); Reason says it with the
	// values seen: "cpuLoadRatio 1.9 > 1.5 for 3m (min 1.7)".
	Code   ReasonCode `json:"code"`
	Reason string     `json:"reason"`
	// Drift marks a change that puts back what someone removed while the rule fires.
	Drift  bool `json:"drift,omitempty"`
	DryRun bool `json:"dryRun,omitempty"`
	// From and To are rule states (KindState).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Pods are the pods an eviction would evict (KindEvict), in order.
	Pods []PodEviction `json:"pods,omitempty"`
	// GracePeriodSeconds is the termination grace period the rule's evict or drain action
	// gives the pods (KindEvict); absent, each pod's own.
	GracePeriodSeconds *int64 `json:"gracePeriodSeconds,omitempty"`
	// TimeoutSeconds bounds the eviction of each pod of a drain (KindEvict, the drain
	// action's timeout); absent, the apply's own eviction timeout.
	TimeoutSeconds int64 `json:"timeoutSeconds,omitempty"`
	// Alert is the alert to send (KindAlert).
	Alert *Alert `json:"alert,omitempty"`
}

// PodEviction is one pod an evict or drain would evict.
type PodEviction struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Priority  int32  `json:"priority"`
	// BlockedBy names the PodDisruptionBudget that allows no disruption now ("" = evictable).
	BlockedBy string `json:"blockedBy,omitempty"`
}

// Alert is an alert the plan would send.
type Alert struct {
	Event    string   `json:"event"` // "firing" or "recovered"
	Template string   `json:"template,omitempty"`
	Channels []string `json:"channels"`
	Subject  string   `json:"subject"`
	Body     string   `json:"body,omitempty"`
	// Since is when the rule made the transition the alert reports on the node (the
	// ledger entry's start: this plan's time for a new transition, the recorded one for a
	// retry or a repeat). Notifications take their idempotency key and Alertmanager's
	// startsAt from it.
	Since time.Time `json:"since,omitzero"`
	// Fired is when the rule last fired on the node: Since for a firing alert, the
	// firing a recovered alert ends (zero when unknown).
	Fired time.Time `json:"fired,omitzero"`
	// Values are the latest values of the event's conditions that had data (finite ones),
	// with their thresholds: what made the rule fire (its trigger conditions) or recover
	// (its recovery conditions, else its false trigger conditions, negated).
	Values []AlertValue `json:"values,omitempty"`
}

// AlertValue is one condition of an alert: its metric's latest value and threshold.
type AlertValue struct {
	Metric    string  `json:"metric"`
	Value     float64 `json:"value"`
	Operator  string  `json:"operator"`
	Threshold float64 `json:"threshold"`
}

// Deferred is something a rule wants but may not do now, with why.
type Deferred struct {
	Rule   string     `json:"rule"`
	Node   string     `json:"node"`
	Code   ReasonCode `json:"code"`   // CooldownActive, RuleBudget, GlobalBudget, PDBBlocked, Conflict, ...
	Reason string     `json:"reason"` // "maxUnhealthy 20% (2 of 10 nodes) reached", "cooldown until ...", ...
	// Until is when the deferral ends by itself (the end of a cooldown); absent when no
	// time ends it (a budget, a PodDisruptionBudget, a conflict).
	Until *time.Time `json:"until,omitempty"`
}

// Warning is something a person should know: Unknown metrics, unmanaged conflicts, ...
type Warning struct {
	Rule    string     `json:"rule,omitempty"`
	Node    string     `json:"node,omitempty"`
	Code    ReasonCode `json:"code"` // MetricMissing, MetricStale, RenderFailed, ...
	Message string     `json:"message"`
}

// RuleStatus is one rule's view of the fleet after the plan.
type RuleStatus struct {
	Name     string   `json:"name"`
	Active   bool     `json:"active"`
	Inactive string   `json:"inactive,omitempty"` // "disabled" or "suspended"
	DryRun   bool     `json:"dryRun,omitempty"`
	Priority int32    `json:"priority"`
	Matched  int      `json:"matched"`
	Firing   []string `json:"firing"`
	Pending  []string `json:"pending"`
	Unknown  []string `json:"unknown"`
	Excluded []string `json:"excluded,omitempty"` // matched but excluded (control plane, exclude label)
}

// HasChanges reports whether applying the plan would change anything (dry-run changes
// do not count).
func (p *Plan) HasChanges() bool {
	for _, n := range p.Nodes {
		for _, c := range n.Changes {
			if !c.DryRun {
				return true
			}
		}
	}
	return false
}
