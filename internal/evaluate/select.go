package evaluate

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// Labels that change selection.
const (
	LabelControlPlane = "node-role.kubernetes.io/control-plane"
	LabelMaster       = "node-role.kubernetes.io/master"
	LabelExclude      = v1.ExcludeLabel
)

// Selector decides which nodes a rule watches.
type Selector struct {
	key       string
	labels    labels.Selector
	names     map[string]bool
	namesCP   bool // the selector names a control-plane label explicitly
	hasFilter bool
}

// NewSelector compiles a rule's nodeSelector.
func NewSelector(ns *v1.NodeSelector) (*Selector, error) {
	s := &Selector{labels: labels.Everything()}
	if ns == nil {
		return s, nil
	}
	var reqs []labels.Requirement
	keys := make([]string, 0, len(ns.MatchLabels))
	for k := range ns.MatchLabels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		r, err := labels.NewRequirement(k, selection.Equals, []string{ns.MatchLabels[k]})
		if err != nil {
			return nil, fmt.Errorf("nodeSelector.matchLabels[%s]: %w", k, err)
		}
		reqs = append(reqs, *r)
		s.namesCP = s.namesCP || isControlPlaneKey(k)
	}
	for i, e := range ns.MatchExpressions {
		r, err := labels.NewRequirement(e.Key, selectionOp(e.Operator), e.Values)
		if err != nil {
			return nil, fmt.Errorf("nodeSelector.matchExpressions[%d]: %w", i, err)
		}
		reqs = append(reqs, *r)
		s.namesCP = s.namesCP || (isControlPlaneKey(e.Key) && e.Operator != "DoesNotExist" && e.Operator != "NotIn")
	}
	if len(reqs) > 0 {
		s.labels = labels.NewSelector().Add(reqs...)
	}
	if len(ns.NodeNames) > 0 {
		s.names = make(map[string]bool, len(ns.NodeNames))
		for _, n := range ns.NodeNames {
			s.names[n] = true
		}
	}
	s.hasFilter = len(reqs) > 0 || s.names != nil
	names := append([]string(nil), ns.NodeNames...)
	slices.Sort(names)
	s.key = fmt.Sprintf("%s|%v|%s", s.labels.String(), s.namesCP, strings.Join(names, ","))
	return s, nil
}

// Key identifies what the selector selects: equal keys select equal nodes.
func (s *Selector) Key() string { return s.key }

func isControlPlaneKey(k string) bool { return k == LabelControlPlane || k == LabelMaster }

func selectionOp(op string) selection.Operator {
	switch op {
	case "In":
		return selection.In
	case "NotIn":
		return selection.NotIn
	case "Exists":
		return selection.Exists
	case "DoesNotExist":
		return selection.DoesNotExist
	case "Gt":
		return selection.GreaterThan
	case "Lt":
		return selection.LessThan
	}
	return selection.Operator(strings.ToLower(op))
}

// Match reports whether the rule watches node; when it does not because of an exclusion
// (not merely because the selector does not match), reason says why.
func (s *Selector) Match(node *corev1.Node) (ok bool, reason string) {
	l := node.Labels
	if l[LabelExclude] == "true" {
		if s.matches(node) {
			return false, LabelExclude + "=true"
		}
		return false, ""
	}
	if !s.matches(node) {
		return false, ""
	}
	if _, cp := l[LabelControlPlane]; cp || hasKey(l, LabelMaster) {
		if !s.namesCP && !s.names[node.Name] {
			return false, "control-plane node (name it explicitly to include it)"
		}
	}
	return true, ""
}

func (s *Selector) matches(node *corev1.Node) bool {
	if s.names != nil && !s.names[node.Name] {
		return false
	}
	return s.labels.Matches(labels.Set(node.Labels))
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}
