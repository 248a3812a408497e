package render

import (
	"strings"
	"time"
	"unicode"
)

// snakeCase turns a JSON field name into its HCL name: conditionLogic → condition_logic,
// prometheusURL → prometheus_url, gracePeriodSeconds → grace_period_seconds.
func snakeCase(name string) string {
	runes := []rune(name)
	var b strings.Builder
	for i, r := range runes {
		if unicode.IsUpper(r) {
			prevLower := i > 0 && (unicode.IsLower(runes[i-1]) || unicode.IsDigit(runes[i-1]))
			acronymEnd := i > 0 && unicode.IsUpper(runes[i-1]) &&
				i+1 < len(runes) && unicode.IsLower(runes[i+1])
			if prevLower || acronymEnd {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// singular names one block of a list field: conditions → condition,
// matchExpressions → match_expression.
func singular(hclName string) string {
	return strings.TrimSuffix(hclName, "s")
}

// shortDuration prints d the way people write it: 3m rather than 3m0s, 1h30m rather
// than 1h30m0s, 1h rather than 1h0m0s. The result parses back to d.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
