package apply

import (
	"reflect"
	"slices"
	"testing"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// TestToNodeMatchesToSnapshot checks that ToNode changes a node exactly as ToSnapshot
// changes the same node in a snapshot, and skips the same changes.
func TestToNodeMatchesToSnapshot(t *testing.T) {
	for _, tt := range slices.Concat(taintCases(), mapCases(), otherCases()) {
		switch tt.change.Kind {
		case plan.KindEvict, plan.KindAlert:
			continue // not on the Node object
		}
		t.Run(tt.name, func(t *testing.T) {
			n := tt.before.DeepCopy()
			skipped := ToNode(n, plan.NodePlan{Node: "n", Changes: []plan.Change{tt.change}}, now)
			if !reflect.DeepEqual(*n, tt.after) {
				t.Errorf("node = %+v\nwant %+v", *n, tt.after)
			}
			want := 0
			if tt.skipped != "" {
				want = 1
			}
			if len(skipped) != want {
				t.Errorf("skipped = %q, want %d", skipped, want)
			}
		})
	}
}

func TestToNodeFullPlan(t *testing.T) {
	s := snapshot()
	before := s.Nodes[0].DeepCopy()
	p := fullPlan()
	if _, err := ToSnapshot(p, s); err != nil {
		t.Fatal(err)
	}
	if skipped := ToNode(before, p.Nodes[0], now); len(skipped) > 0 {
		t.Errorf("skipped %q", skipped)
	}
	if !reflect.DeepEqual(*before, s.Nodes[0]) {
		t.Errorf("ToNode:\n%+v\nToSnapshot:\n%+v", *before, s.Nodes[0])
	}
}
