// Package plandiff compares two plans computed on the same fleet, metrics and instant
// from two versions of the rules (a pull request's base and head), and the two rule sets
// themselves: which nodes would newly be tainted, labelled, annotated, cordoned, evicted
// or alerted, which no longer would be, which deferrals change, and which rules were
// added, removed, changed (field by field) or moved. Comparing is pure (New); the
// renderers (RenderText, RenderJSON, RenderMarkdown) are separate from it, as Terraform
// separates its differ from its views.
package plandiff

import (
	"time"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// FormatVersion is the version of the diff's JSON form (schemas/diff.schema.json). Any
// change to the form is a new version.
const FormatVersion = "1"

// Diff is the difference between the plans of two versions of the rules on one fleet.
type Diff struct {
	FormatVersion string `json:"formatVersion"`
	// Base and Head are the two versions compared.
	Base Side `json:"base"`
	Head Side `json:"head"`
	// Source is where the fleet both plans were computed on came from.
	Source string `json:"source"`
	// FleetHash identifies the fleet (nodes, pods, PDBs and metric samples).
	FleetHash string `json:"fleetHash"`
	// Time is the evaluation instant of both plans.
	Time    time.Time `json:"time"`
	Summary Summary   `json:"summary"`
	// Effects are the changes to nodes one plan makes and the other does not (or makes
	// differently), by node, kind and key. The ownership ledger is left out: it follows
	// from the others.
	Effects []Effect `json:"effects"`
	// Deferrals are what one plan defers and the other does not.
	Deferrals []Deferral `json:"deferrals"`
	// Rules are the rules whose view of the fleet differs: matched, firing, pending or
	// unknown nodes.
	Rules []RuleDelta `json:"rules"`
	// Objects are the rules and alert templates added, removed, changed or moved.
	Objects []ObjectChange `json:"objects"`
}

// Side is one version of the rules and its plan.
type Side struct {
	// Ref is the Git ref the rules were read at, or "working tree".
	Ref string `json:"ref"`
	// Commit is the commit Ref resolved to ("" for the working tree).
	Commit string `json:"commit,omitempty"`
	// PlanID and RulesHash identify the plan and the rules (plan.Plan.ID, Inputs.RulesHash).
	PlanID    string `json:"planId"`
	RulesHash string `json:"rulesHash"`
	// Rules and Templates count the objects of this version.
	Rules     int `json:"rules"`
	Templates int `json:"templates"`
}

// Type is what a diff entry says.
type Type string

// Entry types.
const (
	EffectAdded     Type = "effectAdded"     // the head plan makes this change, the base plan does not
	EffectRemoved   Type = "effectRemoved"   // the base plan makes this change, the head plan does not
	EffectChanged   Type = "effectChanged"   // both make it, differently (value, pods, alert, ...)
	DeferralAdded   Type = "deferralAdded"   // the head plan defers this, the base plan does not
	DeferralRemoved Type = "deferralRemoved" // the base plan defers this, the head plan does not
	RuleAdded       Type = "ruleAdded"       // an object only the head has
	RuleRemoved     Type = "ruleRemoved"     // an object only the base has
	RuleChanged     Type = "ruleChanged"     // an object whose defaulted spec differs
	RuleMoved       Type = "ruleMoved"       // an object with the same spec in another file
)

// Effect is one change to one node that differs between the plans. An eviction is one
// entry per pod.
type Effect struct {
	Type Type   `json:"type"`
	Node string `json:"node"`
	// Kind, Op and Key identify the change on the node: a taint's key and effect ("key:NoSchedule"), a
	// label's or annotation's key, an evicted pod ("namespace/name"), an alert's rule
	// and event ("rule/firing"), a rule state's rule.
	Kind plan.Kind `json:"kind"`
	Op   plan.Op   `json:"op"`
	Key  string    `json:"key"`
	// Rule is the rule that wants the change (the head's, for a removed effect the base's).
	Rule string `json:"rule,omitempty"`
	// DryRun marks an effect of a dry-run rule: shown, never applied, and not an effect
	// change for --detailed-exitcode.
	DryRun bool `json:"dryRun,omitempty"`
	// Base and Head are the change in each plan (nil where the plan does not make it).
	Base *plan.Change `json:"base,omitempty"`
	Head *plan.Change `json:"head,omitempty"`
}

// Deferral is a deferred item one plan has and the other does not.
type Deferral struct {
	Type     Type          `json:"type"`
	Deferred plan.Deferred `json:"deferred"`
	// Budget marks a deferral by a budget (a rule's maxUnhealthy, the global
	// max-disruptive limit), as opposed to a cooldown or a conflict.
	Budget bool `json:"budget,omitempty"`
}

// RuleDelta is a rule's view of the fleet in both plans, for a rule where they differ.
type RuleDelta struct {
	Name string `json:"name"`
	// Base and Head are nil where the plan does not have the rule.
	Base *RuleCounts `json:"base,omitempty"`
	Head *RuleCounts `json:"head,omitempty"`
	// NewlyFiring and NoLongerFiring are the nodes that fire in one plan only.
	NewlyFiring    []string `json:"newlyFiring"`
	NoLongerFiring []string `json:"noLongerFiring"`
}

// RuleCounts is one plan's view of a rule.
type RuleCounts struct {
	Matched int    `json:"matched"`
	Firing  int    `json:"firing"`
	Pending int    `json:"pending"`
	Unknown int    `json:"unknown"`
	Status  string `json:"status"` // "active", "dry-run", "disabled", "suspended"
}

// ObjectChange is a rule or alert template added, removed, changed or moved.
type ObjectChange struct {
	Type Type   `json:"type"`
	Kind string `json:"kind"` // NodeGuardianRule or AlertTemplate
	Name string `json:"name"`
	// BaseFile and HeadFile are where the object is written ("path:line", relative to
	// the repository), "" on the side without it.
	BaseFile string `json:"baseFile,omitempty"`
	HeadFile string `json:"headFile,omitempty"`
	// Fields are the differences of the defaulted objects (RuleChanged).
	Fields []FieldChange `json:"fields"`
}

// FieldChange is one field of a defaulted object that differs.
type FieldChange struct {
	// Path is the field: "spec.conditions[0].value", `spec.actions[1].label.labels["a/b"]`.
	Path string `json:"path"`
	// Base and Head are the values as JSON ("" where the field is absent).
	Base string `json:"base"`
	Head string `json:"head"`
}

// Input is one side of a comparison: the ref, its plan and its objects.
type Input struct {
	Ref    string
	Commit string
	Plan   *plan.Plan
	// Objects are the rules and templates of this version (Objects of a load.Set); nil
	// on both sides leaves the object comparison out.
	Objects []Object
}

// New compares two versions: their plans, which must have been computed on the same
// fleet at the same instant, and their objects. It does not modify its inputs.
func New(base, head Input) *Diff {
	d := &Diff{FormatVersion: FormatVersion, Base: side(base), Head: side(head)}
	if p := head.Plan; p != nil {
		d.Source, d.FleetHash, d.Time = p.Inputs.SourceText(), p.Inputs.FleetHash, p.CreatedAt.UTC()
	}
	bp, hp := orEmptyPlan(base.Plan), orEmptyPlan(head.Plan)
	d.Effects = compareEffects(bp, hp)
	d.Deferrals = compareDeferrals(bp.Deferred, hp.Deferred)
	d.Rules = compareRules(bp.Rules, hp.Rules)
	d.Objects = CompareObjects(base.Objects, head.Objects)
	d.Summary = summarize(d, bp, hp)
	return d
}

// Plans compares two plans alone, without their objects.
func Plans(base, head *plan.Plan) *Diff {
	return New(Input{Plan: base}, Input{Plan: head})
}

// HasEffectChanges reports whether the plans differ in what they would do: an effect
// (dry-run ones aside) or a deferral. A change to the rules alone (a description) is
// not one.
func (d *Diff) HasEffectChanges() bool {
	return d.Summary.EffectsAdded+d.Summary.EffectsRemoved+d.Summary.EffectsChanged+
		d.Summary.DeferralsAdded+d.Summary.DeferralsRemoved > 0
}

func side(in Input) Side {
	s := Side{Ref: in.Ref, Commit: in.Commit}
	if in.Plan != nil {
		s.PlanID, s.RulesHash = in.Plan.ID, in.Plan.Inputs.RulesHash
	}
	for _, o := range in.Objects {
		if o.Kind == KindTemplate {
			s.Templates++
		} else {
			s.Rules++
		}
	}
	return s
}

func orEmptyPlan(p *plan.Plan) *plan.Plan {
	if p == nil {
		return &plan.Plan{}
	}
	return p
}
