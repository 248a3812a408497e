// Package ledger reads and writes the ownership ledger: one annotation per node recording,
// per rule, its state and exactly what NodeGuardian applied. The ledger is the engine's
// only state; nothing it does not list is ever removed or overwritten.
package ledger

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Annotation is the node annotation that holds the ledger.
const Annotation = "nodeguardian.k8s.io/ledger"

// Version is the ledger format version.
const Version = 1

// State of a rule on a node.
type State string

// Rule states kept in the ledger. Healthy entries remain to remember lastFired (cooldown).
const (
	Healthy State = "Healthy"
	Firing  State = "Firing"
)

// Ledger is the decoded annotation.
type Ledger struct {
	Version int               `json:"version"`
	Rules   map[string]*Entry `json:"rules,omitempty"`
}

// Entry is one rule's record on one node.
type Entry struct {
	State     State      `json:"state"`
	Since     time.Time  `json:"since"`               // when the current state began
	LastFired *time.Time `json:"lastFired,omitempty"` // last transition to Firing
	// What the rule applied and owns.
	Taints      []corev1.Taint    `json:"taints,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Cordon      bool              `json:"cordon,omitempty"`
}

// Read decodes the ledger of a node. A node without the annotation has an empty ledger.
// A ledger that cannot be decoded, or holds an entry the engine could not act on (null,
// an unknown state or taint effect), is an error naming the node and annotation: the
// caller must then treat nothing as owned.
func Read(node *corev1.Node) (*Ledger, error) {
	l := &Ledger{Version: Version, Rules: map[string]*Entry{}}
	raw, ok := node.Annotations[Annotation]
	if !ok || raw == "" {
		return l, nil
	}
	if err := json.Unmarshal([]byte(raw), l); err != nil {
		return &Ledger{Version: Version, Rules: map[string]*Entry{}}, fmt.Errorf("node %s: annotation %s: %w", node.Name, Annotation, err)
	}
	if l.Version != Version {
		return &Ledger{Version: Version, Rules: map[string]*Entry{}}, fmt.Errorf("node %s: annotation %s: unsupported version %d", node.Name, Annotation, l.Version)
	}
	if err := l.check(); err != nil {
		return &Ledger{Version: Version, Rules: map[string]*Entry{}}, fmt.Errorf("node %s: annotation %s: %w", node.Name, Annotation, err)
	}
	if l.Rules == nil {
		l.Rules = map[string]*Entry{}
	}
	return l, nil
}

// check reports an entry the engine could not act on: null, in a state other than
// Healthy or Firing, or owning a taint whose effect Kubernetes does not know.
func (l *Ledger) check() error {
	for _, name := range l.sortedRules() {
		e := l.Rules[name]
		switch {
		case e == nil:
			return fmt.Errorf("rules.%s: null entry", name)
		case e.State != Healthy && e.State != Firing:
			return fmt.Errorf("rules.%s.state: %q is not %s or %s", name, e.State, Healthy, Firing)
		}
		for i, t := range e.Taints {
			switch t.Effect {
			case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
			default:
				return fmt.Errorf("rules.%s.taints[%d].effect: %q is not NoSchedule, PreferNoSchedule or NoExecute", name, i, t.Effect)
			}
		}
	}
	return nil
}

// Encode returns the canonical JSON of the ledger ("" when it records nothing), so that
// equal ledgers give equal annotations.
func (l *Ledger) Encode() string {
	if l == nil || len(l.Rules) == 0 {
		return ""
	}
	for _, e := range l.Rules {
		sort.Slice(e.Taints, func(i, j int) bool {
			if e.Taints[i].Key != e.Taints[j].Key {
				return e.Taints[i].Key < e.Taints[j].Key
			}
			return e.Taints[i].Effect < e.Taints[j].Effect
		})
		for i := range e.Taints {
			e.Taints[i].TimeAdded = nil
		}
	}
	b, err := json.Marshal(l) // map keys are sorted by encoding/json
	if err != nil {
		panic(fmt.Sprintf("ledger: encode: %v", err)) // only plain types: cannot happen
	}
	return string(b)
}

// Clone returns a deep copy.
func (l *Ledger) Clone() *Ledger {
	out := &Ledger{Version: l.Version, Rules: make(map[string]*Entry, len(l.Rules))}
	for name, e := range l.Rules {
		c := *e
		c.Taints = append([]corev1.Taint(nil), e.Taints...)
		c.Labels = cloneMap(e.Labels)
		c.Annotations = cloneMap(e.Annotations)
		if e.LastFired != nil {
			t := *e.LastFired
			c.LastFired = &t
		}
		out.Rules[name] = &c
	}
	return out
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// OwnsTaint reports whether any rule in the ledger applied a taint with key and effect.
func (l *Ledger) OwnsTaint(key string, effect corev1.TaintEffect) (rule string, ok bool) {
	for _, name := range l.sortedRules() {
		for _, t := range l.Rules[name].Taints {
			if t.Key == key && t.Effect == effect {
				return name, true
			}
		}
	}
	return "", false
}

// OwnsLabel reports whether any rule in the ledger applied label key.
func (l *Ledger) OwnsLabel(key string) (rule string, ok bool) {
	for _, name := range l.sortedRules() {
		if _, ok := l.Rules[name].Labels[key]; ok {
			return name, true
		}
	}
	return "", false
}

// OwnsAnnotation reports whether any rule in the ledger applied annotation key.
func (l *Ledger) OwnsAnnotation(key string) (rule string, ok bool) {
	for _, name := range l.sortedRules() {
		if _, ok := l.Rules[name].Annotations[key]; ok {
			return name, true
		}
	}
	return "", false
}

// OwnsCordon reports whether any rule in the ledger cordoned the node.
func (l *Ledger) OwnsCordon() bool {
	for _, e := range l.Rules {
		if e.Cordon {
			return true
		}
	}
	return false
}

func (l *Ledger) sortedRules() []string {
	names := make([]string, 0, len(l.Rules))
	for n := range l.Rules {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
