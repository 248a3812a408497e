package main

import (
	"strings"
	"testing"
)

func TestAlertRender(t *testing.T) {
	const rules, snap = "../../examples/rules/yaml", "../../examples/fleet/demo.yaml"
	tests := []struct {
		name string
		args []string
		code int
		want []string // in stdout, or stderr when code != 0
	}{
		{"sample context", []string{"alert", "render", "--template", "high-load-alert", "-f", rules},
			0, []string{"Subject: [NodeGuardian] High load on node worker-1\n\nNode worker-1 triggered", "- CPU load ratio: 1.8734\n", "2026-11-29T12:00:00Z"}},
		{"flags after the files", []string{"alert", "render", "-f", "../../examples/rules/hcl", "--template", "high-load-alert"},
			0, []string{"Subject: [NodeGuardian] High load on node worker-1"}},
		{"a flag before the subcommand", []string{"alert", "--template", "high-load-alert", "render", "-f", rules},
			1, []string{"flag --template goes after the subcommand: ngctl alert render --template ...; see ngctl alert render --help"}},
		{"snapshot context", []string{"alert", "render", "--template", "high-load-alert", "-f", rules, "--snapshot", snap, "--node", "worker-1", "--rule", "high-load-isolation"},
			0, []string{"- CPU load ratio: 1.9\n", "- Memory utilization: 92%\n"}},
		{"resolved", []string{"alert", "render", "--template", "recovery-alert", "-f", rules, "--snapshot", snap, "--node", "worker-3", "--rule", "high-load-isolation", "--event", "resolved"},
			0, []string{"Subject: [NodeGuardian] Node worker-3 has recovered", "- CPU load ratio: 0.5\n"}},
		{"no such template", []string{"alert", "render", "--template", "nope", "-f", rules}, 1, []string{`no AlertTemplate "nope"`}},
		{"no verdict", []string{"alert", "render", "--template", "high-load-alert", "-f", rules, "--snapshot", snap, "--node", "nope", "--rule", "high-load-isolation"}, 1, []string{`no node "nope"`}},
		{"snapshot needs node and rule", []string{"alert", "render", "--template", "high-load-alert", "-f", rules, "--snapshot", snap}, 1, []string{"--snapshot needs --node NAME and --rule NAME"}},
		{"bad event", []string{"alert", "render", "--template", "high-load-alert", "-f", rules, "--event", "x"}, 1, []string{"firing or resolved"}},
		{"no subcommand", []string{"alert"}, 1, []string{"ngctl alert needs a subcommand: ngctl alert render --template NAME -f RULES"}},
		{"unknown subcommand", []string{"alert", "rendr"}, 1, []string{`unknown subcommand "rendr" of ngctl alert; the subcommands: render`}},
		{"render takes no arguments", []string{"alert", "render", "--template", "high-load-alert", rules}, 1,
			[]string{`ngctl alert render takes no arguments (got "` + rules + `"); rule files are given with -f: ngctl alert render -f ` + rules}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := ngctl(t, "", tt.args...)
			out := stdout
			if tt.code != 0 {
				out = stderr
			}
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
