package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nodeguardian/nodeguardian/internal/plandiff"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// diffRepo builds a repository with the example rules on branch main (high-load-isolation
// in HCL, the others in YAML) and the demo fleet, and one branch per change off main.
func diffRepo(t *testing.T) *gitRepo {
	t.Helper()
	g := newGitRepo(t)
	for _, f := range []string{"alert-templates.yaml", "disk-space-alert.yaml", "emergency-eviction.yaml"} {
		g.copyFile("rules/"+f, filepath.Join("../../examples/rules/yaml", f))
	}
	g.copyFile("rules/high-load-isolation.hcl", "../../examples/rules/hcl/high-load-isolation.hcl")
	g.copyFile("fleet.yaml", demoFleet)
	main := g.commit("rules")
	g.ref("refs/heads/main", main)
	g.ref("refs/remotes/origin/main", main)
	changes := []struct {
		branch string
		change func()
	}{
		{"threshold", func() { g.edit("rules/emergency-eviction.yaml", "value: 95", "value: 92") }},
		{"added", func() { g.write("rules/cordon-hot.yaml", cordonHotRule) }},
		{"removed", func() { g.remove("rules/disk-space-alert.yaml") }},
		{"renamed", func() {
			g.copyFile("rules/disk.yaml", filepath.Join(g.dir, "rules/disk-space-alert.yaml"))
			g.remove("rules/disk-space-alert.yaml")
		}},
		{"hcl-to-yaml", func() {
			g.remove("rules/high-load-isolation.hcl")
			g.copyFile("rules/high-load-isolation.yaml", "../../examples/rules/yaml/high-load-isolation.yaml")
		}},
		{"invalid", func() { g.edit("rules/emergency-eviction.yaml", `operator: "GreaterThan"`, `operator: "Bigger"`) }},
		{"description", func() { g.edit("rules/disk-space-alert.yaml", `description: "Warn when`, `description: "Alert when`) }},
		{"credentials", func() {
			g.edit("rules/disk-space-alert.yaml", "  monitoring:\n", "  monitoring:\n    metricsSource:\n      prometheusURL: http://user:s3cretPW@prom:9090\n")
			g.edit("rules/disk-space-alert.yaml", "  name: disk-space-alert\n", "  name: disk-space-alert\n  annotations:\n    hook: '{\"url\": \"https://bot:t0kenPW@hooks.example/x\"}'\n")
		}},
	}
	for _, c := range changes {
		g.branch(c.branch, main)
		c.change()
		g.commit(c.branch)
	}
	g.branch("work", main)
	t.Chdir(g.dir)
	return g
}

// edit replaces old by new in a file of the working tree, which must hold old.
func (g *gitRepo) edit(name, old, new string) {
	g.t.Helper()
	s := g.read(name)
	if !strings.Contains(s, old) {
		g.t.Fatalf("%s lacks %q", name, old)
	}
	g.write(name, strings.Replace(s, old, new, 1))
}

const cordonHotRule = `apiVersion: nodeguardian.k8s.io/v1
kind: NodeGuardianRule
metadata:
  name: cordon-hot
spec:
  conditions:
    - metric: cpuLoadRatio
      operator: GreaterThan
      value: 1.9
      duration: 1m
  actions:
    - type: cordon
  metadata:
    description: Cordon nodes whose load is far above their capacity.
`

// diffJSON runs ngctl diff -o json and decodes the diff.
func diffJSON(t *testing.T, args ...string) (int, *plandiff.Diff, string) {
	t.Helper()
	code, out, errOut := ngctl(t, "", append([]string{"diff", "-f", "rules", "--snapshot", "fleet.yaml", "-o", "json"}, args...)...)
	if code == 1 {
		return code, nil, errOut
	}
	var d plandiff.Diff
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return code, &d, errOut
}

func TestDiffBranches(t *testing.T) {
	diffRepo(t)
	tests := []struct {
		head     string
		code     int
		objects  []string // "type kind/name"
		headline string
		stderr   string
	}{
		{head: "main", code: 0, headline: "This change: no effect on the fleet."},
		{head: "threshold", code: 2, objects: []string{"ruleChanged NodeGuardianRule/emergency-eviction"},
			headline: "This change: +1 node tainted nodeguardian/emergency, -1 node tainted nodeguardian/emergency, " +
				"+1 node tainted nodeguardian/high-load, +1 node labelled nodeguardian.io/status, -1 eviction, +2 alerts, -1 alert, 2 deferrals changed."},
		{head: "added", code: 2, objects: []string{"ruleAdded NodeGuardianRule/cordon-hot"}, headline: "+1 node cordoned"},
		{head: "removed", code: 2, objects: []string{"ruleRemoved NodeGuardianRule/disk-space-alert"},
			headline: "This change: -1 node annotated nodeguardian.io/disk-warning, -2 alerts, 0 evictions."},
		{head: "renamed", code: 0, objects: []string{"ruleMoved NodeGuardianRule/disk-space-alert"}, headline: "no effect"},
		{head: "hcl-to-yaml", code: 0, objects: []string{"ruleMoved NodeGuardianRule/high-load-isolation"}, headline: "no effect"},
		{head: "description", code: 0, objects: []string{"ruleChanged NodeGuardianRule/disk-space-alert"}, headline: "no effect"},
		{head: "invalid", code: 1, stderr: "the rules at invalid do not validate:\ninvalid:rules/emergency-eviction.yaml:9:"},
	}
	for _, tt := range tests {
		t.Run(tt.head, func(t *testing.T) {
			code, d, errOut := diffJSON(t, "--base", "main", "--head", tt.head, "--detailed-exitcode")
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
			if tt.stderr != "" {
				if !strings.Contains(errOut, tt.stderr) {
					t.Errorf("stderr lacks %q:\n%s", tt.stderr, errOut)
				}
				return
			}
			var objs []string
			for _, o := range d.Objects {
				objs = append(objs, string(o.Type)+" "+o.Kind+"/"+o.Name)
			}
			if strings.Join(objs, ",") != strings.Join(tt.objects, ",") {
				t.Errorf("objects %q, want %q", objs, tt.objects)
			}
			if !strings.Contains(d.Headline(), tt.headline) {
				t.Errorf("headline %q lacks %q", d.Headline(), tt.headline)
			}
		})
	}
}

// TestDiffGoldens compares the text and Markdown of each change with testdata/diff
// (go test -run TestDiffGoldens -update rewrites them).
func TestDiffGoldens(t *testing.T) {
	diffRepo(t)
	golden := filepath.Join(testdataDir(t), "diff")
	for _, head := range []string{"threshold", "added", "removed", "renamed", "hcl-to-yaml", "description", "invalid", "credentials"} {
		for _, format := range []string{"text", "markdown"} {
			t.Run(head+"/"+format, func(t *testing.T) {
				_, out, errOut := ngctl(t, "", "diff", "-f", "rules", "--snapshot", "fleet.yaml", "--base", "main", "--head", head, "-o", format)
				ext := map[string]string{"text": ".txt", "markdown": ".md"}[format]
				checkGolden(t, filepath.Join(golden, head+ext), out+errOut)
			})
		}
	}
}

// TestDiffMasksCredentials: a rule change adding a prometheusURL with a password, and an
// annotation holding JSON with a credentialed URL, is shown with the URLs masked in
// every format (issue 7: the password was printed, and posted on pull requests).
func TestDiffMasksCredentials(t *testing.T) {
	diffRepo(t)
	for _, format := range []string{"text", "json", "markdown"} {
		code, out, errOut := ngctl(t, "", "diff", "-f", "rules", "--snapshot", "fleet.yaml", "--base", "main", "--head", "credentials", "-o", format)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", format, code, errOut)
		}
		for _, secret := range []string{"s3cretPW", "t0kenPW"} {
			if strings.Contains(out+errOut, secret) {
				t.Errorf("%s: the output shows the password %s:\n%s", format, secret, out)
			}
		}
		if !strings.Contains(out, "user:xxxxx@prom:9090") || !strings.Contains(out, "bot:xxxxx@hooks.example") {
			t.Errorf("%s: the output does not show the masked URLs:\n%s", format, out)
		}
	}
}

// testdataDir is cmd/ngctl/testdata, also after a test changed directory.
func testdataDir(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller")
	}
	return filepath.Join(filepath.Dir(file), "testdata")
}

// checkGolden compares got with a golden file, or rewrites it with -update.
func checkGolden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs (go test -update rewrites it); got:\n%s", file, got)
	}
}

func TestDiffWorkingTreeAndErrors(t *testing.T) {
	g := diffRepo(t)
	g.edit("rules/emergency-eviction.yaml", "value: 95", "value: 92")
	outside := t.TempDir()
	tests := []cliCase{
		{name: "working tree against origin/main, flags after -f", args: []string{"diff", "-f", "rules", "--base", "origin/main", "--snapshot", "fleet.yaml", "--detailed-exitcode"},
			code: 2, stdout: []string{"origin/main (9d0b7fa) → working tree", "spec.conditions[0].value: 95 → 92"}},
		{name: "one file", args: []string{"diff", "--base", "main", "-f", "rules/emergency-eviction.yaml", "-f", "rules/alert-templates.yaml", "--snapshot", "fleet.yaml"},
			stdout: []string{"+ taint nodeguardian/emergency = true (NoExecute)"}},
		{name: "no --base", args: []string{"diff", "-f", "rules", "--snapshot", "fleet.yaml"}, code: 1,
			stderr: []string{"diff needs --base REF, the Git ref to compare with: ngctl diff --base origin/main -f rules"}},
		{name: "unknown ref", args: []string{"diff", "-f", "rules", "--snapshot", "fleet.yaml", "--base", "nope"}, code: 1,
			stderr: []string{`git ref "nope"`, "fetch it first"}},
		{name: "not a repository", args: []string{"diff", "-f", outside, "--snapshot", "fleet.yaml", "--base", "main"}, code: 1,
			stderr: []string{"is not in a Git repository"}},
		{name: "stdin", args: []string{"diff", "-f", "-", "--snapshot", "fleet.yaml", "--base", "main"}, code: 1, stderr: []string{"-f - (stdin) is not supported"}},
		{name: "no such rule", args: []string{"diff", "-f", "rules", "--snapshot", "fleet.yaml", "--base", "main", "--rule", "x"}, code: 1,
			stderr: []string{`no rule named "x" in either version`}},
		{name: "path new in the head", args: []string{"diff", "-f", "rules", "-f", "more", "--snapshot", "fleet.yaml", "--base", "main"}, code: 1,
			stderr: []string{"more: error: cannot read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
	g.write("more/cordon-hot.yaml", cordonHotRule)
	cliCase{name: "a directory only the head has", args: []string{"diff", "-f", "rules", "-f", "more", "--snapshot", "fleet.yaml", "--base", "main"},
		stdout: []string{"+ rule cordon-hot: added (more/cordon-hot.yaml:1)"}, stderr: []string{"main:more: warning: not in this commit"}}.run(t)
}

// TestDiffRuleOfOneVersion diffs --rule NAME of a rule only one version has: the version
// without it plans nothing for it (the rule is added, or removed).
func TestDiffRuleOfOneVersion(t *testing.T) {
	diffRepo(t)
	for _, tt := range []struct {
		base, head, headline string
	}{
		{"main", "added", "This change: +1 node cordoned, 0 evictions."},
		{"added", "main", "This change: -1 node cordoned, 0 evictions."},
	} {
		t.Run(tt.base+"→"+tt.head, func(t *testing.T) {
			code, d, errOut := diffJSON(t, "--base", tt.base, "--head", tt.head, "--rule", "cordon-hot", "--detailed-exitcode")
			if code != exitChanges {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitChanges, errOut)
			}
			if d.Headline() != tt.headline {
				t.Errorf("headline %q, want %q", d.Headline(), tt.headline)
			}
			for _, e := range d.Effects {
				if e.Rule != "cordon-hot" {
					t.Errorf("effect of rule %s in a diff of cordon-hot: %+v", e.Rule, e)
				}
			}
		})
	}
}
