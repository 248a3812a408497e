package plan

import (
	"strings"
	"time"
)

// renderCase is a hand-built plan the render tests draw and compare with goldens.
type renderCase struct {
	name string
	plan *Plan
}

// renderCases are the plans of the golden tests. Each is built with the lists that are
// always present non-nil, as ReadJSON returns them, so that JSON round trips are exact.
func renderCases() []renderCase {
	return []renderCase{
		{"no-changes", renderNoChanges()},
		{"typical", renderTypical()},
		{"dry-run-only", renderDryRunOnly()},
		{"all-in-one", renderAllInOne()},
	}
}

// renderNow is when the test plans were computed.
func renderNow() time.Time {
	return time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
}

// renderBase is a plan without changes, with inputs and times set.
func renderBase(id string) *Plan {
	return &Plan{
		FormatVersion: FormatVersion,
		ID:            id,
		CreatedAt:     renderNow(),
		ExpiresAt:     renderNow().Add(10 * time.Minute),
		Inputs: Inputs{
			RulesHash: "sha256:7d1a54127b222502f5b79b5fb0803061152a44f92b37e23c6527baf665d4da9a",
			FleetHash: "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
			Source:    "snapshot", SourcePath: "examples/fleet/demo.yaml",
		},
		Nodes:    []NodePlan{},
		Deferred: []Deferred{},
		Warnings: []Warning{},
		Rules:    []RuleStatus{},
	}
}

// renderFinish gives every change, deferral and warning without a code one, as the
// planner would, and counts the plan's summary as the planner does.
func renderFinish(p *Plan) *Plan {
	for i := range p.Nodes {
		for j := range p.Nodes[i].Changes {
			c := &p.Nodes[i].Changes[j]
			switch {
			case c.Code != "":
			case c.Drift:
				c.Code = CodeDrift
			case c.Kind == KindLedger:
				c.Code = CodeLedger
			case c.Reason == renderRecovered:
				c.Code = CodeRecovered
			default:
				c.Code = CodeFired
			}
		}
	}
	for i := range p.Deferred {
		d := &p.Deferred[i]
		if rest, ok := strings.CutPrefix(d.Reason, "cooldown until "); ok && d.Code == "" {
			until, err := time.Parse(time.RFC3339, rest)
			if err != nil {
				panic(err)
			}
			d.Code, d.Until = CodeCooldownActive, &until
		}
		if d.Code == "" {
			d.Code = CodeRuleBudget
		}
	}
	for i := range p.Warnings {
		if p.Warnings[i].Code == "" {
			p.Warnings[i].Code = CodeUnmanaged
		}
	}
	p.Summary = countSummary(p)
	return p
}

// renderAt is a time for a plan's fields.
func renderAt(t time.Time) *time.Time { return &t }

// renderRule is a RuleStatus with empty lists.
func renderRule(name string, priority int32, matched int) RuleStatus {
	return RuleStatus{Name: name, Active: true, Priority: priority, Matched: matched,
		Firing: []string{}, Pending: []string{}, Unknown: []string{}}
}

func renderNoChanges() *Plan {
	p := renderBase("4f1c2a9e0b7d")
	p.Rules = []RuleStatus{renderRule("high-load-isolation", 100, 3), renderRule("memory-pressure-alert", 50, 3)}
	return renderFinish(p)
}

const (
	renderHLI        = "high-load-isolation"
	renderHLIReason  = "cpuLoadRatio 1.9 > 1.5 for 3m (min 1.7) AND memoryUtilizationPercent 93 > 90 for 2m"
	renderRecovered  = "cpuLoadRatio 0.6 <= 1.5 for 5m"
	renderLedgerKey  = "nodeguardian.k8s.io/ledger"
	renderTaintKey   = "nodeguardian.k8s.io/high-load"
	renderStateLabel = "nodeguardian.k8s.io/state"
	renderIsolatedAt = "nodeguardian.k8s.io/isolated-at"
)

func renderTypical() *Plan {
	p := renderBase("9b2e61c04d7a")
	p.Nodes = []NodePlan{renderWorker3(), renderWorker5(), renderWorker7(), renderWorker9()}
	p.Deferred = []Deferred{{Rule: renderHLI, Node: "worker-8", Reason: "maxUnhealthy 20% (2 of 10 nodes) reached"}}
	p.Warnings = []Warning{
		{Rule: renderHLI, Node: "worker-4", Code: CodeMetricMissing, Message: "metric cpuLoadRatio is Unknown: no samples for 5m"},
		{Node: "worker-6", Message: "taint nodeguardian.k8s.io/high-load is not in the ledger; left alone"},
	}
	isolation := renderRule(renderHLI, 100, 10)
	isolation.Firing, isolation.Pending, isolation.Unknown = []string{"worker-3", "worker-5", "worker-8"}, []string{"worker-2"}, []string{"worker-4"}
	drain := renderRule("memory-pressure-drain", 50, 10)
	drain.DryRun, drain.Firing = true, []string{"worker-9"}
	notReady := renderRule("node-not-ready-alert", 10, 0)
	notReady.Active, notReady.Inactive = false, "suspended"
	p.Rules = []RuleStatus{isolation, drain, notReady}
	p.NextEvaluation = renderAt(renderNow().Add(time.Minute))
	p.NextEvaluationReason = "pending duration of rule high-load-isolation on node worker-2 completes"
	return renderFinish(p)
}

// renderWorker3 starts firing high-load-isolation.
func renderWorker3() NodePlan {
	return NodePlan{Node: "worker-3", ResourceVersion: "48213", Changes: []Change{
		{Op: OpAdd, Kind: KindTaint, Key: renderTaintKey, Value: "true", Effect: "NoSchedule", Rule: renderHLI, Reason: renderHLIReason},
		{Op: OpChange, Kind: KindLabel, Key: renderStateLabel, Value: "isolated", Old: "pending", Rule: renderHLI, Reason: renderHLIReason},
		{Op: OpAdd, Kind: KindAnnotation, Key: renderIsolatedAt, Value: "2026-05-04T10:00:00Z", Rule: renderHLI, Reason: renderHLIReason},
		{Op: OpAdd, Kind: KindCordon, Rule: renderHLI, Reason: renderHLIReason},
		{Op: OpAdd, Kind: KindEvict, Rule: renderHLI, Reason: renderHLIReason, Pods: []PodEviction{
			{Namespace: "default", Name: "web-1", Priority: 0},
			{Namespace: "default", Name: "web-2", Priority: 0, BlockedBy: "web-pdb"},
			{Namespace: "batch", Name: "report-7", Priority: 1000},
		}},
		{Op: OpAdd, Kind: KindAlert, Rule: renderHLI, Reason: renderHLIReason, Alert: &Alert{
			Event: "firing", Template: "high-load-alert", Channels: []string{"webhook", "email"},
			Subject: "High load on worker-3", Body: "cpuLoadRatio 1.9 > 1.5 for 3m.\nThe node is tainted and cordoned.",
		}},
		{Op: OpChange, Kind: KindState, Rule: renderHLI, Reason: renderHLIReason, From: "Healthy", To: "Firing"},
		{Op: OpChange, Kind: KindLedger, Key: renderLedgerKey, Reason: "record what high-load-isolation applied",
			Old:   `{"version":1,"rules":{"high-load-isolation":{"state":"Healthy","since":"2026-05-04T09:00:00Z"}}}`,
			Value: `{"version":1,"rules":{"high-load-isolation":{"state":"Firing","since":"2026-05-04T10:00:00Z","cordon":true}}}`},
	}}
}

// renderWorker5 had the taint removed by someone while the renderRule fires.
func renderWorker5() NodePlan {
	return NodePlan{Node: "worker-5", Changes: []Change{
		{Op: OpAdd, Kind: KindTaint, Key: renderTaintKey, Value: "true", Effect: "NoSchedule", Rule: renderHLI, Drift: true,
			Reason: "taint removed while high-load-isolation fires (since 2026-05-04T09:40:00Z)"},
	}}
}

// renderWorker7 recovers.
func renderWorker7() NodePlan {
	return NodePlan{Node: "worker-7", Changes: []Change{
		{Op: OpRemove, Kind: KindTaint, Key: renderTaintKey, Old: "true", Effect: "NoSchedule", Rule: renderHLI, Reason: renderRecovered},
		{Op: OpRemove, Kind: KindLabel, Key: renderStateLabel, Old: "isolated", Rule: renderHLI, Reason: renderRecovered},
		{Op: OpRemove, Kind: KindAnnotation, Key: renderIsolatedAt, Old: "2026-05-04T08:00:00Z", Rule: renderHLI, Reason: renderRecovered},
		{Op: OpRemove, Kind: KindCordon, Rule: renderHLI, Reason: renderRecovered},
		{Op: OpAdd, Kind: KindAlert, Rule: renderHLI, Reason: renderRecovered, Alert: &Alert{
			Event: "recovered", Template: "high-load-alert", Channels: []string{"email"}, Subject: "worker-7 recovered",
		}},
		{Op: OpChange, Kind: KindState, Rule: renderHLI, Reason: renderRecovered, From: "Firing", To: "Healthy"},
		{Op: OpChange, Kind: KindLedger, Key: renderLedgerKey, Reason: "record the recovery",
			Old:   `{"version":1,"rules":{"high-load-isolation":{"state":"Firing","since":"2026-05-04T08:00:00Z"}}}`,
			Value: `{"version":1,"rules":{"high-load-isolation":{"state":"Healthy","since":"2026-05-04T10:00:00Z"}}}`},
	}}
}

// renderWorker9 would be drained by a dry-run renderRule.
func renderWorker9() NodePlan {
	const reason = "memoryUtilizationPercent 97 > 95 for 1m"
	return NodePlan{Node: "worker-9", Changes: []Change{
		{Op: OpAdd, Kind: KindTaint, Key: "nodeguardian.k8s.io/memory-pressure", Effect: "NoExecute",
			Rule: "memory-pressure-drain", Reason: reason, DryRun: true},
		{Op: OpAdd, Kind: KindEvict, Rule: "memory-pressure-drain", Reason: reason, DryRun: true,
			Pods: []PodEviction{{Namespace: "cache", Name: "redis-0", Priority: 100}}},
	}}
}

func renderDryRunOnly() *Plan {
	p := renderBase("c3d8e2f1a0b9")
	p.Nodes = []NodePlan{renderWorker9()}
	p.Deferred = []Deferred{{Rule: "memory-pressure-drain", Node: "worker-2", Reason: "cooldown until 2026-05-04T10:07:00Z"}}
	p.Warnings = []Warning{{Rule: "memory-pressure-drain", Message: "dryRun: changes are shown, never applied"}}
	drain := renderRule("memory-pressure-drain", 50, 10)
	drain.DryRun, drain.Firing = true, []string{"worker-9"}
	p.Rules = []RuleStatus{drain}
	p.NextEvaluation = renderAt(renderNow().Add(7 * time.Minute))
	p.NextEvaluationReason = "cooldown of rule memory-pressure-drain on node worker-2 ends"
	return renderFinish(p)
}

// renderAllInOne has every kind of change and the odd values renderers must survive:
// Markdown and HTML characters, empty and long values, missing names.
func renderAllInOne() *Plan {
	p := renderBase("e5a7c9b1d3f0")
	p.Inputs.NodeVersions = map[string]string{"edge<1>": "7", "worker-3": "48213"}
	p.Nodes = []NodePlan{renderWorker3(), renderOddNode(), renderWorker7(), renderWorker9()}
	p.Deferred = []Deferred{
		{Rule: renderHLI, Node: "worker-8", Reason: "maxUnhealthy 20% | 2 of 10 nodes"},
		{Rule: "maintenance", Node: "edge<1>", Reason: "cooldown until 2026-05-04T10:30:00Z"},
		{Rule: "maintenance", Node: "edge<1>", Code: CodeCooldownActive, Reason: "quiet hours", Until: renderAt(renderNow().Add(time.Hour))},
	}
	p.Warnings = []Warning{
		{Code: CodeMetricSource, Message: "1. warnings without rule or node are shown as they are"},
		{Message: "- *not* a list, <b>not</b> bold, `not` code & #not a heading"},
		{Rule: "maintenance", Code: CodeTemplateMissing, Message: "template `maint` has no subject;\nusing the rule name"},
	}
	isolation := renderRule(renderHLI, 100, 10)
	isolation.Firing, isolation.Excluded = []string{"worker-3"}, []string{"control-plane-1"}
	disabled := renderRule("old|rule", 0, 0)
	disabled.Active, disabled.Inactive = false, "disabled"
	quiet := renderRule("maintenance", -5, 2)
	quiet.Active, quiet.DryRun, quiet.Pending = false, true, []string{"edge<1>"}
	p.Rules = []RuleStatus{isolation, renderRule("memory-pressure-drain", 50, 10), disabled, quiet}
	p.NextEvaluation = renderAt(renderNow().Add(30 * time.Minute))
	p.NextEvaluationReason = "cooldown of rule maintenance on node edge<1> ends"
	return renderFinish(p)
}

// renderOddNode has the changes with unusual values.
func renderOddNode() NodePlan {
	long := "a-label-value-that-is-far-too-long-to-fit-on-one-line-with-its-key-and-more"
	return NodePlan{Node: "edge<1>", ResourceVersion: "7", Changes: []Change{
		{Op: OpAdd, Kind: KindTaint, Key: "maintenance", Effect: "NoSchedule", Rule: "maintenance", Reason: "window 10:00-12:00"},
		{Op: OpChange, Kind: KindTaint, Key: "maintenance", Old: "soon", Value: "now", Effect: "NoExecute", Rule: "maintenance",
			Reason: "window started\nsecond line of the reason"},
		{Op: OpAdd, Kind: KindLabel, Key: "example.com/empty", Value: "", Rule: "maintenance", Reason: "empty value"},
		{Op: OpChange, Kind: KindLabel, Key: "example.com/long", Old: "short", Value: long, Rule: "maintenance", Reason: "long value"},
		{Op: OpRemove, Kind: KindLabel, Key: "example.com/long-old", Old: long, Rule: "maintenance", Reason: "long old value"},
		{Op: OpAdd, Kind: KindAnnotation, Key: "example.com/markup", Value: "a|b `c` <i>d</i> *e*", Rule: "maintenance", Reason: "markup"},
		{Op: OpAdd, Kind: KindAnnotation, Key: "example.com/spaces", Value: " padded\tvalue ", Rule: "maintenance"},
		{Op: OpAdd, Kind: KindEvict, Rule: "maintenance", Reason: "nothing to evict"},
		{Op: OpAdd, Kind: KindEvict, Rule: "maintenance", Reason: "all blocked", Pods: []PodEviction{
			{Namespace: "default", Name: "db-0", Priority: 2000000000, BlockedBy: "other-ns/db-pdb"},
			{Namespace: "default", Name: "db-1", Priority: -10, BlockedBy: "db-pdb"},
		}},
		{Op: OpAdd, Kind: KindAlert, Rule: "maintenance", Alert: &Alert{Event: "firing", Channels: []string{}, Subject: "```fenced``` subject"}},
		{Op: OpAdd, Kind: KindAlert, Rule: "maintenance", Reason: "alert without details"},
		{Op: OpChange, Kind: KindState, Rule: "maintenance", From: "", To: "Firing", Reason: "new rule"},
		{Op: OpAdd, Kind: KindLedger, Key: renderLedgerKey, Value: `{"version":1}`},
		{Op: OpRemove, Kind: KindTaint, Key: "maintenance", Old: "now", Effect: "NoExecute", Rule: "maintenance",
			Reason: "superseded", Drift: true, DryRun: true},
	}}
}
