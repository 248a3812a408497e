// Package ledger reads and writes the ownership ledger: one annotation per node recording,
// per rule, its state and exactly what NodeGuardian applied. The ledger is the engine's
// only state; nothing it does not list is ever removed or overwritten.
package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/strictjson"
)

// Annotation is the node annotation that holds the ledger.
const Annotation = v1.LedgerAnnotation

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
	// Corrupt are the entries Read could not trust (an unknown state, an impossible
	// value, a claim on a reserved key), by rule, kept verbatim: they are never acted on
	// and Encode writes them back unchanged until a person fixes or deletes them.
	Corrupt map[string]json.RawMessage `json:"-"`
	// Problems say why each corrupt entry is corrupt, sorted by rule.
	Problems []Problem `json:"-"`
}

// Problem is one corrupt ledger entry and why.
type Problem struct {
	Rule    string
	Message string
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
	// Notified is the notification of the entry's current state: set, with no channel, on
	// the transition that calls for one; the channels are added as they receive it. An
	// entry without it (written before alerts were delivered) has nothing pending.
	Notified *Notified `json:"notified,omitempty"`
	// Evictions are the pods the rule's eviction has not evicted yet (blocked by a
	// PodDisruptionBudget, refused, failed): every later plan tries them again while the
	// rule fires, until they are gone from the node.
	Evictions []PendingEviction `json:"evictions,omitempty"`
}

// PendingEviction is a pod an eviction still has to evict.
type PendingEviction struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Attempts  int    `json:"attempts"`            // evictions tried so far
	BlockedBy string `json:"blockedBy,omitempty"` // the PodDisruptionBudget that refused the last one
}

// Events of notifications.
const (
	EventFiring   = "firing"
	EventResolved = "resolved"
)

// Notified records one notification: its event, when it was last delivered and the
// channels that have it.
type Notified struct {
	Event    string     `json:"event"`
	At       *time.Time `json:"at,omitempty"`       // last delivery; nil: none yet
	Channels []string   `json:"channels,omitempty"` // sorted
}

// Clone returns a deep copy (nil for nil).
func (n *Notified) Clone() *Notified {
	if n == nil {
		return nil
	}
	c := &Notified{Event: n.Event, Channels: slices.Clone(n.Channels)}
	if n.At != nil {
		t := *n.At
		c.At = &t
	}
	return c
}

// Missing lists the channels of want that do not have the notification yet.
func (n *Notified) Missing(want []string) []string {
	var out []string
	for _, ch := range want {
		if !slices.Contains(n.Channels, ch) && !slices.Contains(out, ch) {
			out = append(out, ch)
		}
	}
	return out
}

// Record notes that channels received the rule's notification of event at t: the first
// send of a transition, or a retry of one to the channels that missed it. At is set by
// the first delivery and kept by retries, so that repeats keep their cadence. It does
// nothing when the rule has no entry, or its entry awaits another event (the state
// changed since): the caller then leaves the ledger as it is. It reports whether the
// entry changed.
func (l *Ledger) Record(rule, event string, channels []string, t time.Time) bool {
	e := l.Rules[rule]
	if e == nil || e.Notified == nil || e.Notified.Event != event || len(channels) == 0 {
		return false
	}
	n := e.Notified
	before := n.Clone()
	for _, ch := range channels {
		if !slices.Contains(n.Channels, ch) {
			n.Channels = append(n.Channels, ch)
		}
	}
	slices.Sort(n.Channels)
	if n.At == nil {
		at := t.UTC()
		n.At = &at
	}
	return !slices.Equal(before.Channels, n.Channels) || before.At == nil
}

// RecordRepeat notes a repeat of the rule's notification of event at t, sent to the
// channels in sent, of which those in got received it: the repeat's time becomes At (the
// next repeat is due an interval after it, whatever the outcome), and the channels of
// sent that did not receive it no longer have the notification, so that the next plan
// sends it to them again (a retry, see Record) — and to them only. It does nothing when
// the rule has no entry or its entry awaits another event; it reports whether the entry
// changed.
func (l *Ledger) RecordRepeat(rule, event string, sent, got []string, t time.Time) bool {
	e := l.Rules[rule]
	if e == nil || e.Notified == nil || e.Notified.Event != event {
		return false
	}
	n := e.Notified
	n.Channels = slices.DeleteFunc(n.Channels, func(ch string) bool { return slices.Contains(sent, ch) && !slices.Contains(got, ch) })
	for _, ch := range got {
		if !slices.Contains(n.Channels, ch) {
			n.Channels = append(n.Channels, ch)
		}
	}
	slices.Sort(n.Channels)
	if len(n.Channels) == 0 {
		n.Channels = nil
	}
	at := t.UTC()
	n.At = &at
	return true
}

// Read decodes the ledger of a node. A node without the annotation has an empty ledger.
// A ledger that cannot be decoded at all is an error: the caller must then treat nothing
// as owned and leave the node alone. An entry that decodes but cannot be trusted is set
// aside in Corrupt with a Problem; the other entries are usable.
func Read(node *corev1.Node) (*Ledger, error) {
	return ReadAt(node, time.Time{})
}

// MaxClockSkew is how far after now a time in a ledger entry may be: the clocks of the
// machines that wrote the ledger (ngctl on a laptop, the controller in the cluster) may
// be a little ahead of the one reading it.
const MaxClockSkew = 5 * time.Minute

// MinTime is the earliest time a ledger entry may record: NodeGuardian did not exist
// before it, so an earlier since, lastFired, notified at or taint timeAdded is forged.
var MinTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// ReadAt is Read by a reader that knows the time (the plan, whose only time is its Now):
// an entry is also corrupt when one of its times is after now plus MaxClockSkew — a
// lastFired in 2999 would otherwise hold the rule in cooldown on the node forever. A
// zero now skips that check (Read).
func ReadAt(node *corev1.Node, now time.Time) (*Ledger, error) {
	raw, ok := node.Annotations[Annotation]
	if !ok || raw == "" {
		return &Ledger{Version: Version, Rules: map[string]*Entry{}}, nil
	}
	var doc document
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		return &Ledger{Version: Version, Rules: map[string]*Entry{}}, fmt.Errorf("node %s: annotation %s: %w", node.Name, Annotation, err)
	}
	if doc.Version != Version {
		return &Ledger{Version: Version, Rules: map[string]*Entry{}}, fmt.Errorf("node %s: annotation %s: unsupported version %d", node.Name, Annotation, doc.Version)
	}
	// A rule given twice (the decoder keeps the last: a Healthy copy after a Firing one
	// would orphan its taint) or a top-level key in another case: nothing is trusted.
	if err := strictjson.CheckKeys([]byte(raw), reflect.TypeFor[document](), "the ledger"); err != nil {
		return &Ledger{Version: Version, Rules: map[string]*Entry{}}, fmt.Errorf("node %s: annotation %s: %w", node.Name, Annotation, err)
	}
	l := &Ledger{Version: Version, Rules: make(map[string]*Entry, len(doc.Rules))}
	for _, name := range slices.Sorted(maps.Keys(doc.Rules)) {
		e, err := decodeEntry(name, doc.Rules[name], now)
		if err != nil {
			if l.Corrupt == nil {
				l.Corrupt = map[string]json.RawMessage{}
			}
			var compact bytes.Buffer
			if json.Compact(&compact, doc.Rules[name]) != nil {
				compact.Reset()
				compact.WriteString("null")
			}
			l.Corrupt[name] = compact.Bytes()
			l.Problems = append(l.Problems, Problem{Rule: name, Message: err.Error()})
			continue
		}
		l.Rules[name] = e
	}
	return l, nil
}

// document is the ledger's top level as read: the entries are decoded one by one.
type document struct {
	Version int                        `json:"version"`
	Rules   map[string]json.RawMessage `json:"rules"`
}

// decodeEntry decodes one entry strictly and checks that NodeGuardian could have written
// it: a known state, a start time, possible times (checkTimes; now: zero when unknown),
// well-formed taints, and no reserved key.
func decodeEntry(name string, raw json.RawMessage, now time.Time) (*Entry, error) {
	if name == "" {
		return nil, fmt.Errorf("an entry has no rule name")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var e Entry
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("entry does not decode: %w", err)
	}
	// A field in another case ("STATE") or given twice: NodeGuardian writes neither,
	// and the decoder would take the last one ("Healthy" after "Firing").
	if err := strictjson.CheckKeys(raw, reflect.TypeFor[Entry](), "the entry"); err != nil {
		return nil, fmt.Errorf("entry does not decode: %w", err)
	}
	switch {
	case e.State != Healthy && e.State != Firing:
		return nil, fmt.Errorf("state %q is neither %s nor %s", e.State, Healthy, Firing)
	case e.Since.IsZero():
		return nil, fmt.Errorf("no since time")
	}
	if err := checkTimes(&e, now); err != nil {
		return nil, err
	}
	for _, pe := range e.Evictions {
		if pe.Name == "" || pe.Attempts < 0 {
			return nil, fmt.Errorf("a pending eviction has no pod name or a negative attempt count")
		}
	}
	if n := e.Notified; n != nil && n.Event != EventFiring && n.Event != EventResolved {
		return nil, fmt.Errorf("notified event %q is neither %s nor %s", n.Event, EventFiring, EventResolved)
	}
	for _, t := range e.Taints {
		switch t.Effect {
		case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
		default:
			return nil, fmt.Errorf("taint %q has unknown effect %q", t.Key, t.Effect)
		}
		if err := checkKey(v1.TaintKey, t.Key); err != nil {
			return nil, err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(e.Labels)) {
		if err := checkKey(v1.LabelKey, k); err != nil {
			return nil, err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(e.Annotations)) {
		if err := checkKey(v1.AnnotationKey, k); err != nil {
			return nil, err
		}
	}
	return &e, nil
}

// checkTimes checks every time of an entry: none before MinTime and, when now is known
// (not zero), none after now plus MaxClockSkew. Since is required (checked before).
func checkTimes(e *Entry, now time.Time) error {
	check := func(field string, t *time.Time) error {
		switch {
		case t == nil:
			return nil
		case t.Before(MinTime):
			return fmt.Errorf("%s %s is before %s", field, t.UTC().Format(time.RFC3339), MinTime.Format("2006"))
		case !now.IsZero() && t.After(now.Add(MaxClockSkew)):
			return fmt.Errorf("%s %s is in the future (now is %s; at most %s of clock skew is allowed)",
				field, t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), MaxClockSkew)
		}
		return nil
	}
	if err := check("since", &e.Since); err != nil {
		return err
	}
	if err := check("lastFired", e.LastFired); err != nil {
		return err
	}
	if e.Notified != nil {
		if err := check("notified.at", e.Notified.At); err != nil {
			return err
		}
	}
	for i := range e.Taints {
		if t := e.Taints[i].TimeAdded; t != nil {
			if err := check(fmt.Sprintf("taints[%d].timeAdded", i), &t.Time); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkKey(kind v1.KeyKind, key string) error {
	if key == "" {
		return fmt.Errorf("a %s has an empty key", kind)
	}
	if v1.IsReservedKey(kind, key) {
		return fmt.Errorf("claims the reserved %s %s, which NodeGuardian never sets, changes or removes", kind, key)
	}
	return nil
}

// Encode returns the canonical JSON of the ledger ("" when it records nothing), so that
// equal ledgers give equal annotations. Corrupt entries are written back as they were.
func (l *Ledger) Encode() string {
	if l == nil || len(l.Rules)+len(l.Corrupt) == 0 {
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
	rules := make(map[string]any, len(l.Rules)+len(l.Corrupt))
	for name, raw := range l.Corrupt {
		rules[name] = raw
	}
	for name, e := range l.Rules {
		rules[name] = e
	}
	b, err := json.Marshal(struct {
		Version int            `json:"version"`
		Rules   map[string]any `json:"rules"`
	}{l.Version, rules}) // map keys are sorted by encoding/json
	if err != nil {
		panic(fmt.Sprintf("ledger: encode: %v", err)) // only plain types and compacted JSON: cannot happen
	}
	return string(b)
}

// Clone returns a deep copy.
func (l *Ledger) Clone() *Ledger {
	out := &Ledger{Version: l.Version, Rules: make(map[string]*Entry, len(l.Rules)), Problems: slices.Clone(l.Problems)}
	if l.Corrupt != nil {
		out.Corrupt = maps.Clone(l.Corrupt)
	}
	for name, e := range l.Rules {
		c := *e
		c.Taints = append([]corev1.Taint(nil), e.Taints...)
		c.Labels = cloneMap(e.Labels)
		c.Annotations = cloneMap(e.Annotations)
		if e.LastFired != nil {
			t := *e.LastFired
			c.LastFired = &t
		}
		c.Notified = e.Notified.Clone()
		c.Evictions = slices.Clone(e.Evictions)
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
