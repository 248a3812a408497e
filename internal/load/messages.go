package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// typeName is a JSON Schema type with its article: "a number", "a list".
func typeName(t string) string {
	switch t {
	case "array":
		return "a list"
	case "object":
		return "an object"
	case "integer":
		return "an integer"
	case "null":
		return "null"
	}
	return "a " + t
}

// typeMessage says "must be a number, not a string", with a hint when the value was
// quoted but should not be, or the other way round.
func typeMessage(k *kind.Type, val any) string {
	want := make([]string, len(k.Want))
	wants := map[string]bool{}
	for i, w := range k.Want {
		want[i] = typeName(w)
		wants[w] = true
	}
	msg := fmt.Sprintf("must be %s, not %s", strings.Join(want, " or "), typeName(k.Got))
	switch x := val.(type) {
	case string:
		_, err := strconv.ParseFloat(x, 64)
		if errors.Is(err, strconv.ErrRange) && (wants["number"] || wants["integer"]) {
			// 1e400 is a number too large for a float64, which YAML then reads as a
			// string: say so, not that it is a string.
			return fmt.Sprintf("number %s is out of range (at most about 1.8e308 in magnitude)", x)
		}
		if err == nil && (wants["number"] || wants["integer"]) {
			msg += fmt.Sprintf(" (write %s without quotes)", x)
		} else if (x == "true" || x == "false") && wants["boolean"] {
			msg += fmt.Sprintf(" (write %s without quotes)", x)
		}
	case float64, bool:
		if wants["string"] && len(k.Want) == 1 {
			msg += fmt.Sprintf(" (put it in quotes: %q)", jsonText(x))
		}
	}
	return msg
}

// enumMessage says "must be one of A, B (got "c")", suggesting a close value.
func enumMessage(k *kind.Enum) string {
	names := make([]string, len(k.Want))
	for i, w := range k.Want {
		names[i] = fmt.Sprint(w)
	}
	msg := fmt.Sprintf("must be one of %s (got %s)", strings.Join(names, ", "), jsonText(k.Got))
	if got, ok := k.Got.(string); ok {
		if s := suggest(got, names); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
	}
	return msg
}

// jsonText renders a value as it would be written in JSON: strings quoted, numbers
// in their shortest form.
func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e21 {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case json.Number:
		return x.String()
	case nil:
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// suggest returns the candidate closest to s when it is close enough to be a likely
// typo (case and "_" ignored, at most two edits), or "".
func suggest(s string, candidates []string) string {
	norm := func(x string) string { return strings.ToLower(strings.ReplaceAll(x, "_", "")) }
	best, bestDist := "", 3
	for _, c := range candidates {
		if c == s {
			continue
		}
		d := editDistance(norm(s), norm(c))
		if d < bestDist && d < max(len(s), 2)/2+1 {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		if a == b {
			return 0
		}
		return 64
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
