package main

import (
	"path/filepath"
	"testing"
)

// ngctl controller takes Flux's flags (declared from fluxcd/pkg/runtime's option
// structs) like its own, before or after others, and says what a bad value should be.
func TestControllerFlags(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing-kubeconfig")
	tests := []cliCase{
		{name: "help lists Flux's flags and ours", args: []string{"controller", "--help"},
			stdout: []string{"--enable-leader-election", "--leader-election-lease-duration", "--log-level", "--log-encoding",
				"--metrics-addr", "--health-addr", "--prometheus-url", "--alert-config", "--dry-run", "--leader-election-namespace"}},
		{name: "no arguments", args: []string{"controller", "rules/"}, code: 1, stderr: []string{"ngctl controller takes no arguments"}},
		{name: "a Flux flag's bad value", args: []string{"controller", "--leader-election-lease-duration", "3x"}, code: 1,
			stderr: []string{`invalid value "3x" for flag --leader-election-lease-duration`}},
		{name: "a budget's bad value", args: []string{"controller", "--max-disruptive", "5x"}, code: 1,
			stderr: []string{"invalid value for --max-disruptive"}},
		{name: "Flux flags with = and a missing kubeconfig", code: 1,
			args:   []string{"controller", "--enable-leader-election=false", "--log-level=debug", "--kubeconfig", missing, "--prometheus-url", "http://127.0.0.1:1"},
			stderr: []string{"missing-kubeconfig"}},
		{name: "a flag without its value", args: []string{"controller", "--log-level"}, code: 1, stderr: []string{"flag --log-level needs a value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}
