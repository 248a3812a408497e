package main

import (
	"strings"
	"testing"
)

// Flags a plan on a snapshot would not read are errors, never silently ignored.
func TestSnapshotRefusesLiveOnlyFlags(t *testing.T) {
	for _, flag := range [][]string{
		{"--now", "2026-01-01T00:00:00Z"}, {"--prometheus-url", "http://127.0.0.1:1"}, {"--qps", "5"},
		{"--kubeconfig", "kc"}, {"--assume-sustained"}, {"--config", "metrics.yaml"},
	} {
		args := append([]string{"plan", "-f", demoRules, "--snapshot", demoFleet}, flag...)
		code, out, errOut := ngctl(t, "", args...)
		if code != 1 || !strings.Contains(errOut, flag[0]+" applies to the live cluster only") || out != "" {
			t.Errorf("%v: exit %d\n%s\n%s", flag, code, out, errOut)
		}
	}
	t.Setenv("PROMETHEUS_URL", "http://127.0.0.1:1")
	if code, _, errOut := ngctl(t, "", "plan", "-f", demoRules, "--snapshot", demoFleet); code != 0 {
		t.Errorf("$PROMETHEUS_URL in the environment: exit %d: %s", code, errOut)
	}
}

func TestFmtRefusesAHugeFileBeforeReadingIt(t *testing.T) {
	big := writeFile(t, t.TempDir(), "big.hcl", strings.Repeat("#", 2<<20))
	code, _, errOut := ngctl(t, "", "fmt", big)
	if code != 1 || !strings.Contains(errOut, "larger than 1048576 bytes") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
