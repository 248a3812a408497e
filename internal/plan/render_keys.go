package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/nodeguardian/nodeguardian/internal/strictjson"
)

// checkKeys refuses what encoding/json lets through but the plan's JSON form
// (schemas/plan.schema.json) does not: a field name in another case ("Id" for "id"), a
// key given twice in one object (strictjson.CheckKeys), and a value outside its enum
// (an op, a kind, a reason code, a taint's effect). The error names the line and the
// field.
func checkKeys(data []byte) error {
	return strictjson.Check(data, reflect.TypeFor[Plan](), "the plan", planEnums)
}

// planEnums are the values of the plan's enums (the schema's, checked by a test) and of
// a taint's effect.
var planEnums = strictjson.Enums{
	reflect.TypeFor[Op]().String():                 names(OpAdd, OpChange, OpRemove),
	reflect.TypeFor[Kind]().String():               names(KindTaint, KindLabel, KindAnnotation, KindCordon, KindLedger, KindEvict, KindAlert, KindState),
	reflect.TypeFor[ReasonCode]().String():         names(CodeFired, CodeRecovered, CodeDrift, CodeFiring, CodeActionRemoved, CodeNotFiring, CodeLedger, CodeEvictionPending, CodeNotifyPending, CodeNotifyRepeat, CodeCooldownActive, CodeSameInstant, CodeRuleBudget, CodeGlobalBudget, CodePodsNotRead, CodePDBBlocked, CodeConflict, CodeEffectHeld, CodeMetricMissing, CodeMetricStale, CodeMetricIncomplete, CodeMetricError, CodeMetricSource, CodeEvictionRefused, CodeTemplateMissing, CodeRenderFailed, CodeUnmanaged, CodeLedgerCorrupt, CodeRuleNotLoaded, CodeNotSelected, CodeInvalidSelector, CodeInvalidBudget, CodeReservedKey),
	reflect.TypeFor[Change]().String() + ".effect": {"NoSchedule", "PreferNoSchedule", "NoExecute"},
}

// names are the values of string constants, as strings.
func names[T ~string](values ...T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// withLine prefixes a decoding error that knows its offset with the line.
func withLine(data []byte, err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return fmt.Errorf("line %d: %w", lineOf(data, te.Offset), err)
	case errors.As(err, &se):
		return fmt.Errorf("line %d: %w", lineOf(data, se.Offset), err)
	}
	return err
}

// lineOf is the 1-based line of data at byte offset off.
func lineOf(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte("\n")) + 1
}
