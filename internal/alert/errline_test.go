package alert

import "testing"

// ErrorLine finds the template line of a compile error in either syntax, also when the
// error names no line (gonja's line 0) or a line past the end (an unexpected end).
func TestErrorLine(t *testing.T) {
	for _, tt := range []struct {
		text string
		want int
	}{
		{"a\n{{ .nodeName | nosuchfunc }}\nc", 2},
		{"a\nb\n{{ node_name | round( }}", 3},
		{"{{ .nodeName }", 1},
		{"Node: {{ node_name }}\nActions:\n{{ a.type }\nmore {{ rule_name }}\nend", 3},
		{"a\n{{ range .actions }}\n- {{ .type }}\n", 3},
		{"{% if node_name %}\nx\n", 2},
	} {
		_, err := Compile("body", tt.text)
		if got := ErrorLine(err, tt.text); err == nil || got != tt.want {
			t.Errorf("ErrorLine(%v, %q) = %d, want %d", err, tt.text, got, tt.want)
		}
	}
	if got := ErrorLine(nil, "x"); got != 0 {
		t.Errorf("ErrorLine(nil) = %d", got)
	}
}

// unbalancedLine finds the first delimiter left unbalanced.
func TestUnbalancedLine(t *testing.T) {
	for _, tt := range []struct {
		text string
		want int
	}{
		{"{{ a }}\n{% b %}\n{# c #}", 0},
		{"a\n}}\n", 2},
		{"{{ a\n{{ b }}", 1},
		{"x\n{% if a %}{{ b }}\n{{ c", 3},
		{"plain", 0},
	} {
		if got := unbalancedLine(tt.text); got != tt.want {
			t.Errorf("unbalancedLine(%q) = %d, want %d", tt.text, got, tt.want)
		}
	}
}
