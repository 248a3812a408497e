package cluster

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestNodePatch(t *testing.T) {
	base := func(mutate ...func(*corev1.Node)) *corev1.Node {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", ResourceVersion: "7"}}
		for _, m := range mutate {
			m(n)
		}
		return n
	}
	tests := []struct {
		name     string
		old, new *corev1.Node
		want     string // "" = no patch
	}{
		{"nothing", base(withLabels("a", "1")), base(withLabels("a", "1")), ""},
		{"status is not patched", base(), base(func(n *corev1.Node) { n.Status.Phase = corev1.NodeRunning }), ""},
		{"label added, changed, removed", base(withLabels("a", "1", "b", "2", "c", "3")), base(withLabels("a", "1", "b", "9", "d", "4")),
			`{"metadata":{"labels":{"b":"9","c":null,"d":"4"},"resourceVersion":"7"}}`},
		{"annotations", base(withAnnotations("x", "1")), base(), `{"metadata":{"annotations":{"x":null},"resourceVersion":"7"}}`},
		{"taints: the whole list", base(withTaints(taint("a", "", "NoSchedule"))), base(withTaints(taint("a", "", "NoSchedule"), taint("b", "v", "NoExecute"))),
			`{"metadata":{"resourceVersion":"7"},"spec":{"taints":[{"key":"a","effect":"NoSchedule"},{"key":"b","value":"v","effect":"NoExecute"}]}}`},
		{"last taint removed", base(withTaints(taint("a", "", "NoSchedule"))), base(),
			`{"metadata":{"resourceVersion":"7"},"spec":{"taints":null}}`},
		{"cordon", base(), base(cordoned), `{"metadata":{"resourceVersion":"7"},"spec":{"unschedulable":true}}`},
		{"uncordon", base(cordoned), base(), `{"metadata":{"resourceVersion":"7"},"spec":{"unschedulable":false}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := nodePatch(tt.old, tt.new, "7")
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if b != nil {
					t.Errorf("patch %s, want none", b)
				}
				return
			}
			var got, want any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(want)
			if string(gb) != string(wb) {
				t.Errorf("patch\n%s\nwant\n%s", gb, wb)
			}
		})
	}
}
