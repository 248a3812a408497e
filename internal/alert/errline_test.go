package alert

import "testing"

// ErrorLine finds the template line of a compile error in either syntax.
func TestErrorLine(t *testing.T) {
	for _, tt := range []struct {
		text string
		want int
	}{
		{"a\n{{ .nodeName | nosuchfunc }}\nc", 2},
		{"a\nb\n{{ node_name | round( }}", 3},
		{"{{ .nodeName }", 1},
	} {
		_, err := Compile("body", tt.text)
		if got := ErrorLine(err); err == nil || got != tt.want {
			t.Errorf("ErrorLine(%v) = %d, want %d", err, got, tt.want)
		}
	}
	if got := ErrorLine(nil); got != 0 {
		t.Errorf("ErrorLine(nil) = %d", got)
	}
}
