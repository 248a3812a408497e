package main

import (
	"strings"
	"testing"
	"time"
)

// TestPlanPrintsSnapshotWarnings: a snapshot's warnings (a pod on a node it does not
// have) are printed on stderr, naming file, line and field; the plan still runs.
func TestPlanPrintsSnapshotWarnings(t *testing.T) {
	snap := copyDemo(t)
	data := readString(t, snap)
	if !strings.Contains(data, "\npods:\n") {
		t.Fatal("the demo fleet has no pods: section; rewrite this test")
	}
	data = strings.Replace(data, "\npods:\n", "\npods:\n- metadata: {name: lost, namespace: default}\n  spec: {nodeName: gone}\n", 1)
	file := writeFile(t, t.TempDir(), "fleet.yaml", data)
	for _, cmd := range []string{"plan", "apply"} {
		args := []string{cmd, "-f", demoRules, "--snapshot", file}
		if cmd == "apply" {
			args = append(args, "--auto-approve", "--write-snapshot", file+".out")
		}
		code, out, errOut := ngctl(t, "", args...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", cmd, code, out, errOut)
		}
		want := "warning: " + file + ":"
		if !strings.Contains(errOut, want) || !strings.Contains(errOut, `pods[`) || !strings.Contains(errOut, `on node "gone", which is not in nodes`) {
			t.Errorf("%s: stderr does not warn about the pod on node gone:\n%s", cmd, errOut)
		}
	}
}

// TestDeepHCLIsAnError: HCL nested 80,000 levels deep crashed validate, fmt and render
// with a Go stack overflow (issue 7); now each exits 1 naming file, line and column.
func TestDeepHCLIsAnError(t *testing.T) {
	file := writeFile(t, t.TempDir(), "deep.hcl", "x = "+strings.Repeat("[", 80000)+strings.Repeat("]", 80000)+"\n")
	want := file + ":1:105: "
	for _, args := range [][]string{{"validate", "-f", file}, {"fmt", "--check", file}, {"render", "-f", file}} {
		code, out, errOut := ngctl(t, "", args...)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1", args, code)
		}
		if all := out + errOut; !strings.Contains(all, want) || !strings.Contains(all, "nested more than 100 levels deep") {
			t.Errorf("%v: output does not name %s and the limit:\n%.400s", args, want, all)
		}
	}
}

// TestOperatorBombsAreRefusedQuickly: 1 MiB of nested conditionals took validate 2.6 s
// and 900 MB (issue 7); now it and operator chains exit 1 at once with the depth error.
func TestOperatorBombsAreRefusedQuickly(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"cond.hcl":  "x = " + strings.Repeat("a?", 262000) + "1" + strings.Repeat(":2", 262000) + "\n",
		"chain.hcl": "x = " + strings.Repeat("a?1:", 262000) + "1\n",
		"sum.hcl":   "rule \"r\" {\n  condition {\n    value = 1" + strings.Repeat("+1", 500000) + "\n  }\n}\n",
	} {
		file := writeFile(t, dir, name, src)
		start := time.Now()
		code, out, errOut := ngctl(t, "", "validate", "-f", file)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: validate took %s", name, d)
		}
		if all := out + errOut; code != 1 || !strings.Contains(all, file+":") || !strings.Contains(all, "nested more than 100 levels deep") {
			t.Errorf("%s: exit %d, want 1 and the depth error:\n%.400s", name, code, all)
		}
	}
}
