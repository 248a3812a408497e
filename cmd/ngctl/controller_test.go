package main

import (
	"path/filepath"
	"testing"

	"github.com/fluxcd/pkg/runtime/features"
	"github.com/spf13/pflag"
)

// ngctl controller takes Flux's flags (declared from fluxcd/pkg/runtime's option
// structs) like its own, before or after others, and says what a bad value should be.
func TestControllerFlags(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing-kubeconfig")
	tests := []cliCase{
		{name: "help lists Flux's flags and ours", args: []string{"controller", "--help"},
			stdout: []string{"--enable-leader-election", "--leader-election-lease-duration", "--log-level", "--log-encoding",
				"--metrics-addr", "--health-addr", "--prometheus-url", "--alert-config", "--dry-run", "--leader-election-namespace", "--feature-gates"}},
		{name: "no arguments", args: []string{"controller", "rules/"}, code: 1, stderr: []string{"ngctl controller takes no arguments"}},
		{name: "a Flux flag's bad value", args: []string{"controller", "--leader-election-lease-duration", "3x"}, code: 1,
			stderr: []string{`invalid value "3x" for flag --leader-election-lease-duration`}},
		{name: "a budget's bad value", args: []string{"controller", "--max-disruptive", "5x"}, code: 1,
			stderr: []string{"invalid value for --max-disruptive"}},
		{name: "Flux flags with = and a missing kubeconfig", code: 1,
			args:   []string{"controller", "--enable-leader-election=false", "--log-level=debug", "--kubeconfig", missing, "--prometheus-url", "http://127.0.0.1:1"},
			stderr: []string{"missing-kubeconfig"}},
		{name: "a flag without its value", args: []string{"controller", "--log-level"}, code: 1, stderr: []string{"flag --log-level needs a value"}},
		{name: "an unknown feature gate", args: []string{"controller", "--feature-gates=Bogus=true"}, code: 1,
			stderr: []string{"invalid value for --feature-gates", "Bogus", "known gates: NodeEvents"}},
		{name: "a known feature gate, then the missing kubeconfig", code: 1,
			args:   []string{"controller", "--feature-gates=NodeEvents=false", "--kubeconfig", missing, "--prometheus-url", "http://127.0.0.1:1"},
			stderr: []string{"missing-kubeconfig"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

// --feature-gates=NodeEvents=false turns Events on nodes off; the default keeps them.
func TestControllerNodeEventsGate(t *testing.T) {
	for _, tc := range []struct {
		flag string
		off  bool
	}{{"", false}, {"NodeEvents=false", true}, {"NodeEvents=true", false}} {
		var gates features.FeatureGates
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		gates.BindFlags(fs)
		if tc.flag != "" {
			if err := fs.Parse([]string{"--feature-gates=" + tc.flag}); err != nil {
				t.Fatal(err)
			}
		}
		off, err := nodeEventsDisabled(&gates)
		if err != nil || off != tc.off {
			t.Errorf("--feature-gates=%s: disabled %v (%v), want %v", tc.flag, off, err, tc.off)
		}
	}
}
