package controller

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fluxcd/pkg/apis/meta"
	"github.com/fluxcd/pkg/runtime/conditions"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// The cmd/ngctl binary the tests run, built once (ngctlBinary).
var (
	ngctlOnce sync.Once
	ngctlPath string
	ngctlErr  error
)

// The plan the reconcile computes is the plan `ngctl plan --from-cluster` (the binary, its
// default flags) prints for the same cluster, Prometheus and instant.
func TestSamePlanAsCLI(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"same-a\"} 1\nng_hot{node=\"same-b\"} 0\nng_hot{node=\"same-c\"} 1\n")
	for _, n := range []string{"same-a", "same-b", "same-c"} {
		w.node(n, map[string]string{"group": "same"})
	}
	w.rule("same", hotRule("same", "ng_hot", ""))
	w.rule("same-dry", hotRule("same", "ng_hot", "dryRun: true\nmetadata: {priority: 5}"))
	run := w.start(Options{DryRun: true})
	eventually(t, 20*time.Second, "metrics scraped and evaluated", func() (bool, string) {
		r := w.getRule("same")
		return r.Status.FiringCount == 1 && conditions.GetReason(r, meta.ReadyCondition) == ReasonBudgetExhausted, describe(r)
	})
	ctx := context.Background()
	plans := func() (got, want *plan.Plan) {
		// Samples 5s old are all stored; the Prometheus source queries a grid aligned to
		// its step, whose last point must have samples for the plan to change anything.
		now := time.Now().UTC().Truncate(time.Second).Add(-5 * time.Second)
		rules, tmpls, err := run.r.objects(ctx)
		if err != nil {
			t.Fatal(err)
		}
		chk := check(rules, tmpls)
		if got, _, err = run.r.Plan(ctx, chk.rules, chk.templates, now); err != nil {
			t.Fatal(err)
		}
		return got, cliPlan(t, w, now)
	}
	var got, want *plan.Plan
	eventually(t, 40*time.Second, "the same plan, with changes", func() (bool, string) {
		got, want = plans()
		return got.ID == want.ID && got.Summary.Adds > 0 && got.Summary.DryRun > 0, fmt.Sprintf("%s %s %+v", got.ID, want.ID, got.Summary)
	})
	if got.ID != want.ID {
		var a, b bytes.Buffer
		_ = plan.RenderJSON(&a, got)
		_ = plan.RenderJSON(&b, want)
		t.Fatalf("controller plan %s != CLI plan %s\ncontroller:\n%s\nCLI:\n%s", got.ID, want.ID, a.String(), b.String())
	}
}

// cliPlan runs `ngctl plan --from-cluster --kubeconfig K --prometheus-url U --now NOW -o json`
// (the binary, built from cmd/ngctl, with its default flags) and reads the plan it prints.
func cliPlan(t *testing.T, w *world, now time.Time) *plan.Plan {
	t.Helper()
	bin := ngctlBinary(t)
	cmd := exec.Command(bin, "plan", "--from-cluster", "--kubeconfig", w.env.Kubeconfig,
		"--prometheus-url", w.prom.URL, "--now", now.Format(time.RFC3339), "-o", "json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ngctl plan --from-cluster: %v\n%s", err, stderr.String())
	}
	p, err := plan.ReadJSON(&stdout)
	if err != nil {
		t.Fatalf("read the plan ngctl printed: %v\n%s", err, stdout.String())
	}
	return p
}

// ngctlBinary builds cmd/ngctl once per test binary and returns its path.
func ngctlBinary(t *testing.T) string {
	t.Helper()
	ngctlOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ngctl-bin-")
		if err != nil {
			ngctlErr = err
			return
		}
		ngctlPath = filepath.Join(dir, "ngctl")
		out, err := exec.Command("go", "build", "-o", ngctlPath, "../../cmd/ngctl").CombinedOutput()
		if err != nil {
			ngctlErr = fmt.Errorf("go build ngctl: %w\n%s", err, out)
		}
	})
	if ngctlErr != nil {
		t.Fatal(ngctlErr)
	}
	return ngctlPath
}
