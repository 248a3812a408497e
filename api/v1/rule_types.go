package v1

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// NodeGuardianRule says: on the nodes its selector matches, when its conditions hold for
// their duration, apply its actions; when its recovery conditions hold, undo them.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=ngr,categories=nodeguardian
// +kubebuilder:subresource:status
// +kubebuilder:metadata:annotations="api-approved.kubernetes.io=unapproved, experimental-only"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Firing",type=integer,JSONPath=`.status.firingCount`
// +kubebuilder:printcolumn:name="Matched",type=integer,JSONPath=`.status.matchedNodes`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type NodeGuardianRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   NodeGuardianRuleSpec   `json:"spec"`
	Status NodeGuardianRuleStatus `json:"status,omitempty"`
}

// NodeGuardianRuleList is a list of NodeGuardianRule.
//
// +kubebuilder:object:root=true
type NodeGuardianRuleList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []NodeGuardianRule `json:"items"`
}

// NodeGuardianRuleSpec is the desired behaviour of a rule.
type NodeGuardianRuleSpec struct {
	// Conditions that trigger the rule.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	Conditions []Condition `json:"conditions"`

	// ConditionLogic combines the conditions: AND (all hold) or OR (any holds).
	// +kubebuilder:default=AND
	// +optional
	ConditionLogic Logic `json:"conditionLogic,omitempty"`

	// NodeSelector picks the nodes the rule watches. Empty selects every node
	// (control-plane nodes only when named explicitly).
	// +optional
	NodeSelector *NodeSelector `json:"nodeSelector,omitempty"`

	// Actions taken when the rule fires.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	Actions []Action `json:"actions"`

	// RecoveryConditions end the firing state. Without them the rule recovers when
	// its trigger conditions are false.
	// +kubebuilder:validation:MaxItems=32
	// +optional
	RecoveryConditions []Condition `json:"recoveryConditions,omitempty"`

	// RecoveryConditionLogic combines the recovery conditions.
	// +kubebuilder:default=AND
	// +optional
	RecoveryConditionLogic Logic `json:"recoveryConditionLogic,omitempty"`

	// RecoveryActions run on recovery, after what the rule applied has been removed.
	// +kubebuilder:validation:MaxItems=32
	// +optional
	RecoveryActions []RecoveryAction `json:"recoveryActions,omitempty"`

	// Monitoring sets how often the rule is checked and how long it rests after firing.
	// +kubebuilder:default={}
	// +optional
	Monitoring Monitoring `json:"monitoring,omitempty"`

	// Metadata holds the rule's priority, switch and description.
	// +kubebuilder:default={}
	// +optional
	Metadata RuleMetadata `json:"metadata,omitempty"`

	// MaxUnhealthy is how many of the rule's selected nodes it may hold under disruptive
	// actions (NoSchedule/NoExecute taints, cordon, evict, drain) at once: a count or a
	// percentage such as "20%".
	// +kubebuilder:default="20%"
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^0*(100|[1-9]?[0-9])%$')",message="must be a non-negative integer or a percentage from 0% to 100% such as \"20%\""
	// +optional
	MaxUnhealthy *intstr.IntOrString `json:"maxUnhealthy,omitempty"`

	// DryRun rules are planned and shown but never applied.
	// +optional
	DryRun bool `json:"dryRun,omitempty"`

	// Suspend stops the rule, as in Flux. metadata.enabled: false means the same.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// Logic combines several conditions.
// +kubebuilder:validation:Enum=AND;OR
type Logic string

// Condition logics.
const (
	LogicAnd Logic = "AND"
	LogicOr  Logic = "OR"
)

// Operator compares a metric value with a threshold.
// +kubebuilder:validation:Enum=GreaterThan;LessThan;EqualTo;NotEqualTo;GreaterThanOrEqual;LessThanOrEqual
type Operator string

// Comparison operators.
const (
	OpGreaterThan        Operator = "GreaterThan"
	OpLessThan           Operator = "LessThan"
	OpEqualTo            Operator = "EqualTo"
	OpNotEqualTo         Operator = "NotEqualTo"
	OpGreaterThanOrEqual Operator = "GreaterThanOrEqual"
	OpLessThanOrEqual    Operator = "LessThanOrEqual"
)

// Built-in metric names. Any other metric is custom and needs a query.
const (
	MetricCPUUtilization    = "cpuUtilizationPercent"
	MetricMemoryUtilization = "memoryUtilizationPercent"
	MetricDiskUtilization   = "diskUtilizationPercent"
	MetricCPULoadRatio      = "cpuLoadRatio"
)

// BuiltinMetrics lists the metrics that need no query.
func BuiltinMetrics() []string {
	return []string{MetricCPUUtilization, MetricMemoryUtilization, MetricDiskUtilization, MetricCPULoadRatio}
}

// IsBuiltinMetric reports whether name is a built-in metric.
func IsBuiltinMetric(name string) bool {
	return slices.Contains(BuiltinMetrics(), name)
}

// Condition compares one metric with a threshold over a window.
//
// +kubebuilder:validation:XValidation:rule="self.metric in ['cpuUtilizationPercent', 'memoryUtilizationPercent', 'diskUtilizationPercent', 'cpuLoadRatio'] || (has(self.query) && size(self.query) > 0)",message="a custom metric needs a query",fieldPath=".query"
type Condition struct {
	// Metric is a built-in metric name or the name of a custom metric.
	// +kubebuilder:validation:Pattern=`^[a-zA-Z_][a-zA-Z0-9_]*$`
	// +kubebuilder:validation:MaxLength=128
	Metric string `json:"metric"`

	// Operator compares the metric with value.
	Operator Operator `json:"operator"`

	// Value is the threshold.
	Value float64 `json:"value"`

	// Duration is how long the condition must hold: every sample in the window must
	// satisfy it. Absent or "" means the default, 5m (the prototype's); 0s uses the
	// latest sample only.
	// +kubebuilder:default="5m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^(([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)?$`
	// +optional
	Duration *metav1.Duration `json:"duration,omitempty"`

	// Query is the PromQL expression of a custom metric, returning one series per node.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Query string `json:"query,omitempty"`

	// Description is free text.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Description string `json:"description,omitempty"`
}

// NodeSelector picks nodes by labels or by name.
type NodeSelector struct {
	// MatchLabels requires each label to have the value given.
	// +optional
	MatchLabels map[string]string `json:"matchLabels,omitempty"`

	// MatchExpressions are label requirements, all of which must hold.
	// +kubebuilder:validation:MaxItems=32
	// +optional
	MatchExpressions []NodeSelectorRequirement `json:"matchExpressions,omitempty"`

	// NodeNames selects nodes by name.
	// +kubebuilder:validation:MaxItems=10000
	// +optional
	NodeNames []string `json:"nodeNames,omitempty"`
}

// NodeSelectorRequirement is one label requirement.
type NodeSelectorRequirement struct {
	// Key is the label key.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=317
	Key string `json:"key"`

	// Operator is In, NotIn, Exists, DoesNotExist, Gt or Lt.
	// +kubebuilder:validation:Enum=In;NotIn;Exists;DoesNotExist;Gt;Lt
	Operator string `json:"operator"`

	// Values for In and NotIn (one or more) and Gt and Lt (exactly one integer).
	// +kubebuilder:validation:MaxItems=256
	// +optional
	Values []string `json:"values,omitempty"`
}

// Monitoring sets the rule's rhythm.
type Monitoring struct {
	// CheckInterval is how often the rule is evaluated, at least 1s. Absent or "" means
	// the default, 60s.
	// +kubebuilder:default="60s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^(([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)?$`
	// +kubebuilder:validation:XValidation:rule="self == '' || duration(self) >= duration('1s')",message="must be at least 1s"
	// +optional
	CheckInterval metav1.Duration `json:"checkInterval,omitzero"`
	// CooldownPeriod is how long after firing on a node the rule may not fire there again;
	// 0s means no cooldown. Absent or "" means the default, 5m.
	// +kubebuilder:default="5m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^(([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)?$`
	// +optional
	CooldownPeriod *metav1.Duration `json:"cooldownPeriod,omitempty"`
	// MetricsSource overrides where the rule's metrics come from.
	// +optional
	MetricsSource *MetricsSource `json:"metricsSource,omitempty"`
}

// MetricsSource overrides the metric source of one rule.
type MetricsSource struct {
	// PrometheusURL is the Prometheus to query for this rule: an http(s) URL with a host
	// and, if it has a port, a port 1–65535.
	// Credentials in it (http://user:password@host) are never shown in messages.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self == '' || (isURL(self) && url(self).getScheme() in ['http', 'https'] && url(self).getHostname() != '' && (url(self).getPort() == '' || (size(url(self).getPort()) <= 5 && int(url(self).getPort()) >= 1 && int(url(self).getPort()) <= 65535)))",message="must be an http(s) URL with a host and a port 1-65535 if any, such as http://prometheus:9090"
	// +optional
	PrometheusURL string `json:"prometheusURL,omitempty"`
	// UseMetricsServer reads cpu and memory from metrics-server.
	// +optional
	UseMetricsServer bool `json:"useMetricsServer,omitempty"`
}

// RuleMetadata is the rule's priority, switch and description.
type RuleMetadata struct {
	// Priority orders rules: a LOWER number is a HIGHER priority.
	// +kubebuilder:default=100
	// +optional
	Priority *int32 `json:"priority,omitempty"`
	// Enabled switches the rule off when false.
	// +kubebuilder:default=true
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
	// Description is free text.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Description string `json:"description,omitempty"`
	// Tags are free-form labels for people.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Tags []string `json:"tags,omitempty"`
}

// NodeGuardianRuleStatus is the observed state of a rule.
type NodeGuardianRuleStatus struct {
	// ObservedGeneration is the generation last evaluated.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions: Ready, Reconciling, Stalled.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// LastEvaluationTime is the time of the evaluation that produced this status: it is
	// written with the changes of the status it belongs to, never alone, so it stays put
	// while nothing changes (a steady fleet writes no status). The controller's liveness
	// is its metric nodeguardian_last_evaluation_timestamp_seconds.
	// +optional
	LastEvaluationTime *metav1.Time `json:"lastEvaluationTime,omitempty"`
	// MatchedNodes is how many nodes the selector matched.
	// +optional
	MatchedNodes int32 `json:"matchedNodes,omitempty"`
	// FiringCount is the number of nodes the rule fires on.
	// +optional
	FiringCount int32 `json:"firingCount,omitempty"`
	// FiringNodes are the nodes the rule fires on, and since when: at most 50
	// (MaxStatusNodes), by name; firingCount is the total.
	// +kubebuilder:validation:MaxItems=50
	// +optional
	FiringNodes []FiringNode `json:"firingNodes,omitempty"`
	// PendingNodes is how many nodes meet the conditions but not yet for their duration.
	// +optional
	PendingNodes int32 `json:"pendingNodes,omitempty"`
	// UnknownNodes is how many nodes have Unknown conditions (missing or stale metrics).
	// +optional
	UnknownNodes int32 `json:"unknownNodes,omitempty"`
	// LastTriggered is when the rule last fired on any node.
	// +optional
	LastTriggered *metav1.Time `json:"lastTriggered,omitempty"`
	// LastError is the last evaluation error, if any.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	LastError string `json:"lastError,omitempty"`
	// LastHandledReconcileAt is the last reconcile.fluxcd.io/requestedAt annotation value
	// the controller acted on (Flux's ReconcileRequestStatus convention).
	// +optional
	LastHandledReconcileAt string `json:"lastHandledReconcileAt,omitempty"`
}

// MaxStatusNodes is how many nodes status.firingNodes lists at most: status stays small
// on large fleets; firingCount holds the total.
const MaxStatusNodes = 50

// GetConditions returns the rule's status conditions (fluxcd/pkg/runtime/conditions).
func (r *NodeGuardianRule) GetConditions() []metav1.Condition { return r.Status.Conditions }

// SetConditions sets the rule's status conditions (fluxcd/pkg/runtime/conditions).
func (r *NodeGuardianRule) SetConditions(c []metav1.Condition) { r.Status.Conditions = c }

// GetLastHandledReconcileRequest returns the last reconcile request handled (Flux's
// meta.ObjectWithReconcileRequestStatus).
func (r *NodeGuardianRule) GetLastHandledReconcileRequest() string {
	return r.Status.LastHandledReconcileAt
}

// SetLastHandledReconcileRequest records the reconcile request handled.
func (r *NodeGuardianRule) SetLastHandledReconcileRequest(v string) {
	r.Status.LastHandledReconcileAt = v
}

// FiringNode is a node a rule fires on.
type FiringNode struct {
	// Name of the node.
	Name string `json:"name"`
	// Since is when the rule started firing there.
	Since metav1.Time `json:"since"`
}
