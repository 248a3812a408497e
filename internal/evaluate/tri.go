// Package evaluate decides, for every (rule, node) pair, whether a rule's trigger and
// recovery conditions hold, with the values that decided it. It is pure: rules, nodes,
// samples and an injected clock in, verdicts out. Missing or stale data is Unknown, never 0.
package evaluate

// Tri is a three-valued truth: Unknown, False or True.
type Tri int8

// Truth values. Unknown is the zero value: no data means no decision.
const (
	Unknown Tri = iota
	False
	True
)

// String returns "Unknown", "False" or "True".
func (t Tri) String() string {
	switch t {
	case True:
		return "True"
	case False:
		return "False"
	default:
		return "Unknown"
	}
}

// Not negates t; Unknown stays Unknown.
func Not(t Tri) Tri {
	switch t {
	case True:
		return False
	case False:
		return True
	default:
		return Unknown
	}
}

// And is false if any is false, else Unknown if any is Unknown, else true.
func And(ts ...Tri) Tri {
	out := True
	for _, t := range ts {
		if t == False {
			return False
		}
		if t == Unknown {
			out = Unknown
		}
	}
	return out
}

// Or is true if any is true, else Unknown if any is Unknown, else false.
func Or(ts ...Tri) Tri {
	out := False
	for _, t := range ts {
		if t == True {
			return True
		}
		if t == Unknown {
			out = Unknown
		}
	}
	return out
}
