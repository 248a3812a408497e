package plan

// ReasonCode says, in a word a program can match, why a change is planned, why something
// is deferred or what a warning is about. The human text (Change.Reason,
// Deferred.Reason, Warning.Message) says the same with the values seen; the code never
// changes with them. The codes and their meaning are listed in docs/semantics.md.
type ReasonCode string

// Reason codes of changes.
const (
	// CodeFired: the rule's trigger holds and it fires on the node (Healthy → Firing):
	// its state change, effects, evictions and firing alert.
	CodeFired ReasonCode = "Fired"
	// CodeRecovered: the rule's recovery holds (Firing → Healthy): its state change, the
	// removal of what it applied and its recovery alert.
	CodeRecovered ReasonCode = "Recovered"
	// CodeDrift: an effect the rule applied was removed or changed outside NodeGuardian
	// while the rule fires, and is put back.
	CodeDrift ReasonCode = "Drift"
	// CodeFiring: the rule keeps firing and wants an effect it does not hold yet (an
	// action added to the rule, an effect taken over from a rule that released it).
	CodeFiring ReasonCode = "Firing"
	// CodeActionRemoved: the rule keeps firing but no longer has the action that applied
	// the effect, which is removed.
	CodeActionRemoved ReasonCode = "ActionRemoved"
	// CodeNotFiring: the rule is not firing and its ledger entry still owns the effect,
	// which is removed.
	CodeNotFiring ReasonCode = "NotFiring"
	// CodeLedger: the node's ownership ledger annotation is written.
	CodeLedger ReasonCode = "Ledger"
	// CodeEvictionPending: pods an earlier eviction did not evict yet are evicted again.
	CodeEvictionPending ReasonCode = "EvictionPending"
	// CodeNotifyPending: a notification is sent to the channels that did not get it yet.
	CodeNotifyPending ReasonCode = "NotifyPending"
	// CodeNotifyRepeat: the rule keeps firing and its repeat interval has passed since the
	// last notification, which is sent again.
	CodeNotifyRepeat ReasonCode = "NotifyRepeat"
)

// Reason codes of deferred items.
const (
	// CodeCooldownActive: the rule fired on the node less than its cooldown ago; Until is
	// the end of the cooldown.
	CodeCooldownActive ReasonCode = "CooldownActive"
	// CodeSameInstant: the opposite transition happened at this very instant; the
	// transition waits for the next evaluation.
	CodeSameInstant ReasonCode = "SameInstant"
	// CodeRuleBudget: the rule's maxUnhealthy is reached.
	CodeRuleBudget ReasonCode = "RuleBudget"
	// CodeGlobalBudget: max-disruptive, over all rules, is reached.
	CodeGlobalBudget ReasonCode = "GlobalBudget"
	// CodePodsNotRead: the plan was not given the node's pods (a live plan reads them only
	// where an eviction may be planned, NeedsPods), so an eviction there waits for the
	// next evaluation, which reads them; nothing is evicted blind.
	CodePodsNotRead ReasonCode = "PodsNotRead"
	// CodePDBBlocked: a PodDisruptionBudget allows no disruption of the pod now.
	CodePDBBlocked ReasonCode = "PDBBlocked"
	// CodeConflict: a rule of higher priority (a lower number) wants another value for the
	// same effect.
	CodeConflict ReasonCode = "Conflict"
	// CodeEffectHeld: the effect is held by a ledger entry NodeGuardian leaves alone (its
	// rule is not loaded, inactive, no longer selects the node, or is in dry-run mode).
	CodeEffectHeld ReasonCode = "EffectHeld"
)

// Reason codes of warnings.
const (
	// CodeMetricMissing: a condition is Unknown because its metric has no sample.
	CodeMetricMissing ReasonCode = "MetricMissing"
	// CodeMetricStale: a condition is Unknown because its latest sample is too old.
	CodeMetricStale ReasonCode = "MetricStale"
	// CodeMetricIncomplete: a condition is Unknown because its samples do not cover its
	// window (a gap, or too little history).
	CodeMetricIncomplete ReasonCode = "MetricIncomplete"
	// CodeMetricError: a condition is Unknown because the metric source failed for it.
	CodeMetricError ReasonCode = "MetricError"
	// CodeMetricSource: the metric source reported a problem for the run (a failed or
	// partial query, nodes without metrics, a source a rule asks for that the run does
	// not read).
	CodeMetricSource ReasonCode = "MetricSource"
	// CodeEvictionRefused: the API server refused a dry-run eviction for another reason
	// than a PodDisruptionBudget.
	CodeEvictionRefused ReasonCode = "EvictionRefused"
	// CodeTemplateMissing: an alert action names no template, or one that is not loaded;
	// the default message is used.
	CodeTemplateMissing ReasonCode = "TemplateMissing"
	// CodeRenderFailed: an alert template or a templated annotation value failed to
	// compile or render; the default message, or the value as written, is used.
	CodeRenderFailed ReasonCode = "RenderFailed"
	// CodeUnmanaged: an effect the rule wants or a recovery action names is on the node
	// but was not applied by NodeGuardian: it is left alone.
	CodeUnmanaged ReasonCode = "Unmanaged"
	// CodeLedgerCorrupt: a node's ledger, or one of its entries, does not parse: what it
	// claims is left alone.
	CodeLedgerCorrupt ReasonCode = "LedgerCorrupt"
	// CodeRuleNotLoaded: a ledger entry belongs to a rule that is not loaded.
	CodeRuleNotLoaded ReasonCode = "RuleNotLoaded"
	// CodeNotSelected: the rule is Firing on a node it no longer selects.
	CodeNotSelected ReasonCode = "NotSelected"
	// CodeInvalidSelector: a rule's node or pod selector, or a PodDisruptionBudget's
	// selector, cannot be evaluated.
	CodeInvalidSelector ReasonCode = "InvalidSelector"
	// CodeInvalidBudget: maxUnhealthy or max-disruptive is not a count or a percentage.
	CodeInvalidBudget ReasonCode = "InvalidBudget"
	// CodeReservedKey: a rule names a key NodeGuardian never sets; the action is ignored.
	CodeReservedKey ReasonCode = "ReservedKey"
)
