package plan

import (
	"strings"
	"testing"
)

// TestRenderTextEscapesControlCharacters: text from input — a node name, a reason, a
// warning, a deferral, a rule name, an alert subject — reaches the terminal with its
// control and bidi characters escaped (issue 7: an ESC sequence or U+202E was printed
// raw), with colors on or off.
func TestRenderTextEscapesControlCharacters(t *testing.T) {
	p := &Plan{
		FormatVersion: FormatVersion,
		Nodes: []NodePlan{{Node: "n\x1b[2J1", Changes: []Change{
			{Op: OpAdd, Kind: KindTaint, Key: "k", Value: "v", Effect: "NoSchedule", Rule: "r\u202eule", Code: CodeFired, Reason: "cpu\rforged"},
			{Op: OpAdd, Kind: KindAlert, Rule: "r", Code: CodeFired, Reason: "x", Alert: &Alert{Event: "firing", Subject: "s\x07ubject\u200f"}},
		}}},
		Deferred: []Deferred{{Rule: "r", Node: "n", Code: CodeConflict, Reason: "held\x1b]0;title\x07"}},
		Warnings: []Warning{{Code: CodeMetricMissing, Message: "\u202eevil\x00"}},
		Rules:    []RuleStatus{{Name: "r\x1b[5m", Active: true}},
	}
	for _, color := range []bool{false, true} {
		var b strings.Builder
		if err := RenderText(&b, p, RenderOptions{Color: color}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, bad := range []string{"\x1b[2J", "\r", "\u202e", "\x07", "\u200f", "\x1b]0", "\x00", "\x1b[5m"} {
			if strings.Contains(out, bad) {
				t.Errorf("color %v: the output holds %q:\n%s", color, bad, out)
			}
		}
		for _, want := range []string{`n\x1b[2J1`, `r\u202eule: cpu\rforged`, `held\x1b]0;title\a`, `\u202eevil\x00`, `s\aubject\u200f`, `r\x1b[5m`} {
			if !strings.Contains(out, want) {
				t.Errorf("color %v: the output lacks %s:\n%s", color, want, out)
			}
		}
	}
}
