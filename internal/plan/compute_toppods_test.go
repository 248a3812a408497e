package plan

import (
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
)

// fxRequests gives a pod one container per request pair ("cpu/memory", "" for none).
func fxRequests(pairs ...string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		for _, pr := range pairs {
			cpu, mem, _ := strings.Cut(pr, "/")
			req := corev1.ResourceList{}
			if cpu != "" {
				req[corev1.ResourceCPU] = resource.MustParse(cpu)
			}
			if mem != "" {
				req[corev1.ResourceMemory] = resource.MustParse(mem)
			}
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "c", Resources: corev1.ResourceRequirements{Requests: req}})
		}
	}
}

// The prototype's high-load template lists the node's top pods: those of the snapshot
// on the node, by their containers' summed requests (kept by fleet.LeanPod), largest CPU
// first, at most TopPodsMax; finished pods, pods without requests and other nodes' pods
// are left out.
func TestAlertTopPods(t *testing.T) {
	data, err := os.ReadFile("../alert/testdata/prototype-alert-templates.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tmpl v1.AlertTemplate
	if err := yaml.Unmarshal([]byte(strings.Split(string(data), "\n---")[0]), &tmpl); err != nil {
		t.Fatal(err)
	}
	rule := fxRule(t, "hl", `
conditions:
- {metric: cpuLoadRatio, operator: GreaterThan, value: 1.5, duration: 0s}
- {metric: memoryUtilizationPercent, operator: GreaterThan, value: 90, duration: 0s}
actions:
- {type: taint, taint: {key: nodeguardian/high-load, value: "true", effect: NoSchedule}}
- {type: alert, alert: {template: high-load-alert}}
maxUnhealthy: 100%
`)
	done := func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }
	pods := []corev1.Pod{
		fxPod("default", "web-1", "n1", fxRequests("250m/512Mi")),
		fxPod("default", "batch-7", "n1", fxRequests("1/1Gi", "500m/1Gi")),
		fxPod("shop", "cart", "n1", fxRequests("250m/1Gi")),
		fxPod("shop", "db", "n1", fxRequests("2/8Gi")),
		fxPod("kube-system", "proxy", "n1", fxRequests("100m/")),
		fxPod("shop", "cache", "n1", fxRequests("/4Gi")),
		fxPod("shop", "idle", "n1"),
		fxPod("shop", "job", "n1", fxRequests("4/4Gi"), done),
		fxPod("shop", "elsewhere", "n2", fxRequests("8/8Gi")),
	}
	for i := range pods {
		fleet.LeanPod(&pods[i]) // as a snapshot or a live read keeps them
	}
	fxRun(t, fxCase{rules: []*v1.NodeGuardianRule{rule}, nodes: []corev1.Node{fxNode("n1")}, pods: pods,
		series: map[string]map[string]string{"n1": {"cpuLoadRatio": "2", "memoryUtilizationPercent": "93"}},
		input:  func(in *Input) { in.Templates = map[string]*v1.AlertTemplate{"high-load-alert": &tmpl} },
		check: func(t *testing.T, p *Plan) {
			for _, ch := range p.Nodes[0].Changes {
				if ch.Kind == KindAlert {
					checkGolden(t, "toppods-prototype.txt", []byte(ch.Alert.Subject+"\n\n"+ch.Alert.Body))
					return
				}
			}
			t.Fatal("no alert planned")
		}})
}
