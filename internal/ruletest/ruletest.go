// Package ruletest runs rule unit tests, in the spirit of `promtool test rules`: a test
// file names rule files, describes a small fleet (nodes, pods, PodDisruptionBudgets) and
// the metric series of its nodes, and states what NodeGuardian must have done at given
// times. Run steps the one engine (internal/engine) through time over an in-memory fleet,
// applying every plan as the controller would, and compares the outcome with the
// expectations. The format is documented in docs/testing-rules.md.
package ruletest

import (
	"regexp"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/nodeguardian/nodeguardian/internal/series"
)

// Epoch returns t0, 2026-01-01T00:00:00Z: the instant of every test's first sample and
// first evaluation.
func Epoch() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// DefaultInterval is the sample and evaluation spacing when a file does not set one.
const DefaultInterval = time.Minute

// DefaultNamespace is the namespace of pods, budgets and evictions that name none.
const DefaultNamespace = "default"

// MaxSteps bounds how many evaluations one test may take (last `at` / interval + 1).
const MaxSteps = 20000

// MaxFileSamples bounds the series values of all the tests of one file: a million, ten
// times what a test of MaxSteps steps on a few nodes needs.
const MaxFileSamples = 1_000_000

// File is a loaded test file.
type File struct {
	// Path is the file as given to Load.
	Path string
	// RuleFiles are the rule files and directories, relative to the working directory
	// (Load resolves them against the test file's directory).
	RuleFiles []string
	// Tests run in file order.
	Tests []Test
}

// Test is one test case: a fleet, its series and what must happen to it.
type Test struct {
	Name string
	// Line is where the test starts in the file.
	Line int
	// Interval spaces both the samples and the evaluations.
	Interval time.Duration
	Nodes    []Node
	Pods     []Pod
	PDBs     []PDB
	// Series holds each node's metrics: node → metric → values, value i at
	// Epoch + i×Interval.
	Series map[string]map[string][]series.Value
	// Expect is in strictly increasing order of At.
	Expect []Expectation
}

// Node is a node of the test fleet.
type Node struct {
	Name          string
	Labels        map[string]string
	Annotations   map[string]string
	Taints        []corev1.Taint
	Unschedulable bool
}

// Pod is a running pod of the test fleet.
type Pod struct {
	Name, Namespace, Node string
	Priority              int32
	Labels                map[string]string
	Annotations           map[string]string
	// DaemonSet makes the pod controlled by a DaemonSet.
	DaemonSet bool
}

// PDB is a PodDisruptionBudget of the test fleet.
type PDB struct {
	Name, Namespace    string
	MatchLabels        map[string]string
	DisruptionsAllowed int32
}

// State is a rule's state on one node, as the plan's rule status reports it.
type State string

// Rule states an expectation can name.
const (
	Healthy  State = "Healthy"  // selected (or not selected) and none of the others
	Pending  State = "Pending"  // conditions met, waiting for their duration
	Firing   State = "Firing"   // the rule fires on the node
	Unknown  State = "Unknown"  // metrics missing or stale
	Deferred State = "Deferred" // would fire but may not now (maxUnhealthy, max-disruptive, cooldown)
	Excluded State = "Excluded" // selected but excluded (control plane, exclude label)
)

// States lists the valid states.
func States() []State { return []State{Healthy, Pending, Firing, Unknown, Deferred, Excluded} }

// Expectation is what must hold at one instant, and what must have happened since the
// previous expectation (or since the start).
type Expectation struct {
	// At is the offset from Epoch; a multiple of the test's interval.
	At time.Duration
	// Line is where the expectation starts in the file.
	Line int
	// Rules: rule → node → state. Nodes not listed are not checked.
	Rules map[string]map[string]State
	// Nodes: node → what must hold on it. Nodes not listed are not checked.
	Nodes map[string]NodeExpectation
	// Alerts, when not nil, are exactly the alerts sent in (previous At, At], in any
	// order; an empty non-nil slice means none.
	Alerts []AlertExpectation
	// Evictions, when not nil, are exactly the pods ("namespace/name") evicted in
	// (previous At, At], in any order; an empty non-nil slice means none.
	Evictions []string
}

// NodeExpectation is what must hold on one node. Nil and empty fields are not checked,
// except Taints: a non-nil Taints is the exact set of taints.
type NodeExpectation struct {
	// Taints, when not nil, are exactly the node's taints, as "key=value:Effect".
	Taints []string
	// Labels and Annotations must have these values; other keys are not checked.
	Labels      map[string]string
	Annotations map[string]string
	// AbsentLabels and AbsentAnnotations must not be set.
	AbsentLabels      []string
	AbsentAnnotations []string
	// Unschedulable, when not nil, is whether the node must be cordoned.
	Unschedulable *bool
}

// AlertExpectation is one alert NodeGuardian must have sent.
type AlertExpectation struct {
	Rule, Node string
	// Event is "firing" or "recovered" (a test file may say "resolved", as templates and
	// Alertmanager do: it is read as "recovered").
	Event string
	// Template is the alert template's name ("" for an alert without one).
	Template string
	// Subject, when not nil, must match the rendered subject (a regexp, unanchored).
	// Sent alerts carry their subject in SentSubject.
	Subject *regexp.Regexp
	// SentSubject is the subject of an alert that was sent (not set in expectations).
	SentSubject string
	// Channels, when not nil, are exactly the channels the alert goes to, in any order.
	// Sent alerts carry theirs in SentChannels.
	Channels []string
	// SentChannels are the channels of an alert that was sent (not set in expectations).
	SentChannels []string
}

// Alert events.
const (
	EventFiring    = "firing"
	EventRecovered = "recovered"
	// EventResolved is accepted in test files for EventRecovered.
	EventResolved = "resolved"
)
