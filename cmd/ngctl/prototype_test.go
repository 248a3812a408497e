package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// prototypeExamples are the prototype's example manifests, copied unchanged.
const prototypeExamples = "../../internal/load/testdata/prototype"

// TestPrototypeExamplePlan plans the prototype's emergency-eviction.yaml (and a copy
// that leaves its taint and evict to the CRD's defaults) on the demo fleet: the files
// keep the meaning they had for the prototype — "30s" durations, maxUnhealthy's 20%
// default, taint: {} as nodeguardian/rule-triggered=true:NoSchedule, and evict's
// excludeNamespaces default of kube-system and kube-public (monitoring is evicted from
// when the file does not exclude it).
func TestPrototypeExamplePlan(t *testing.T) {
	templates := filepath.Join(prototypeExamples, "alert-templates.yaml")
	tests := []struct {
		name, rules string
		want, not   []string
	}{
		{"as written", filepath.Join(prototypeExamples, "emergency-eviction.yaml"),
			[]string{"memoryUtilizationPercent 97 > 95 for 30s", "+ taint nodeguardian/emergency = true (NoExecute)", "+ evict default/batch-7",
				"emergency-eviction on worker-6: maxUnhealthy 20% (2 of 11 nodes) reached", "+ alert emergency-alert via webhook, email"},
			[]string{"prometheus-0", "kube-system/"}},
		{"defaults", "testdata/prototype/emergency-eviction-defaults.yaml",
			[]string{"+ taint nodeguardian/rule-triggered = true (NoSchedule)", "+ evict monitoring/prometheus-0", "+ evict default/batch-7"},
			[]string{"kube-system/", "nodeguardian/emergency"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cliCase{args: []string{"plan", "--no-color", "-f", tt.rules, "-f", templates, "--snapshot", demoFleet},
				stdout: tt.want, notOut: tt.not}
			c.run(t)
			_, out, _ := ngctl(t, "", c.args...)
			checkGolden(t, filepath.Join("testdata", "prototype", strings.ReplaceAll(tt.name, " ", "-")+".plan.golden"), out)
		})
	}
}
