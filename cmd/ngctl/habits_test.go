package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// cliCase is one ngctl run and what its output must and must not hold.
type cliCase struct {
	name     string
	stdin    string
	args     []string
	code     int
	stdout   []string
	stderr   []string
	notOut   []string
	notErr   []string
	noStdout bool
}

func (tt cliCase) run(t *testing.T) {
	t.Helper()
	code, out, errOut := ngctl(t, tt.stdin, tt.args...)
	if code != tt.code {
		t.Errorf("ngctl %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(tt.args, " "), code, tt.code, out, errOut)
	}
	for _, w := range tt.stdout {
		if !strings.Contains(out, w) {
			t.Errorf("stdout lacks %q:\n%s", w, out)
		}
	}
	for _, w := range tt.notOut {
		if strings.Contains(out, w) {
			t.Errorf("stdout has %q:\n%s", w, out)
		}
	}
	for _, w := range tt.stderr {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	for _, w := range tt.notErr {
		if strings.Contains(errOut, w) {
			t.Errorf("stderr has %q:\n%s", w, errOut)
		}
	}
	if tt.noStdout && out != "" {
		t.Errorf("stdout not empty:\n%s", out)
	}
}

func TestFlagsAfterArguments(t *testing.T) {
	dir := t.TempDir()
	fleet := copyDemo(t)
	saved := filepath.Join(dir, "plan.json")
	if code, _, errOut := ngctl(t, "", "plan", "-f", demoRules, "--snapshot", fleet, "-out", saved); code != 0 {
		t.Fatal(errOut)
	}
	junit := filepath.Join(dir, "out.xml")
	const messy = "rule \"r\" {\ncondition {\nmetric=\"cpuLoadRatio\"\noperator=\"GreaterThan\"\nvalue=1\n}\naction {\ntype=\"cordon\"\n}\n}\n"
	unformatted := writeFile(t, t.TempDir(), "messy.hcl", messy)
	tests := []cliCase{
		{name: "apply PLAN --auto-approve does not ask", args: []string{"apply", "-f", demoRules, "--snapshot", fleet, saved, "--auto-approve"},
			stdout: []string{"Apply complete: 6 nodes changed"}, notOut: []string{"Only 'yes' will be accepted"}},
		{name: "show PLAN -o json", args: []string{"show", saved, "-o", "json"}, stdout: []string{`"formatVersion": "3"`}},
		{name: "show PLAN --output=markdown", args: []string{"show", saved, "--output=markdown"}, stdout: []string{"<details>"}},
		{name: "test FILE --run X --junit OUT", args: []string{"test", brokenTests, "--run", "^a correct", "--junit", junit},
			stdout: []string{"1 passed, 0 failed"}, notOut: []string{"FAIL"}},
		{name: "fmt FILE --check does not write", args: []string{"fmt", unformatted, "--check"}, code: 1, stdout: []string{unformatted}},
		{name: "apply PLAN --help", args: []string{"apply", "-f", demoRules, saved, "--help"}, stdout: []string{"NAME:\n   ngctl apply - "}, notOut: []string{"Apply complete"}},
		{name: "show PLAN -h", args: []string{"show", saved, "-h"}, stdout: []string{"NAME:\n   ngctl show - "}, notOut: []string{"Plan:"}},
		{name: "alert render FILES --help", args: []string{"alert", "render", "-f", demoRules, "--help"}, stdout: []string{"NAME:\n   ngctl alert render - "}},
		{name: "plan with -f after --snapshot FILE and a flag between", args: []string{"plan", "--snapshot", demoFleet, "--node", "worker-3", "-f", demoRules},
			stdout: []string{"Plan: 1 node to change"}},
		{name: "unknown flag after an argument", args: []string{"show", saved, "--jsn"}, code: 1, stderr: []string{"unknown flag --jsn for ngctl show; see ngctl show --help"}, noStdout: true},
		{name: "flag of another command", args: []string{"snapshot", "-o", filepath.Join(dir, "s.yaml"), "--node", "x"}, code: 1, stderr: []string{"unknown flag --node for ngctl snapshot"}},
		{name: "after -- a flag is a file", args: []string{"show", "--", "-o"}, code: 1, stderr: []string{"open -o"}},
		{name: "a flag without its value", args: []string{"show", saved, "-o"}, code: 1, stderr: []string{"flag -o needs a value"}},
		{name: "unknown command", args: []string{"pln"}, code: 1, stderr: []string{`unknown command "pln"; see ngctl --help`}},
		{name: "help is not a command of a command", args: []string{"show", "h"}, code: 1, stderr: []string{"open h"}},
		{name: "plan takes no arguments", args: []string{"plan", demoRules, "--snapshot", demoFleet}, code: 1, noStdout: true,
			stderr: []string{`ngctl plan takes no arguments (got "` + demoRules + `"); rule files are given with -f: ngctl plan -f ` + demoRules}},
		{name: "validate takes no arguments", args: []string{"validate", demoRules}, code: 1, stderr: []string{"rule files are given with -f"}},
		{name: "apply takes one saved plan", args: []string{"apply", "-f", demoRules, "--snapshot", demoFleet, saved, "extra"}, code: 1,
			stderr: []string{`ngctl apply takes at most 1 argument (got "extra" too)`}},
		{name: "version takes none", args: []string{"version", "x"}, code: 1, stderr: []string{`ngctl version takes no arguments (got "x"); see ngctl version --help`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
	if _, err := os.Stat(junit); err != nil {
		t.Errorf("--junit after the file was not honoured: %v", err)
	}
	if got := readString(t, unformatted); got != messy {
		t.Errorf("fmt FILE --check wrote the file:\n%s", got)
	}
}

func TestFlagValueErrors(t *testing.T) {
	tests := []cliCase{
		{name: "staleness without unit", args: []string{"plan", "-f", demoRules, "--snapshot", demoFleet, "--staleness", "5"}, code: 1,
			stderr: []string{`invalid value "5" for flag --staleness: a duration such as 5m or 90s`}, noStdout: true},
		{name: "prometheus timeout", args: []string{"plan", "--prometheus-timeout=30", "-f", demoRules}, code: 1,
			stderr: []string{`invalid value "30" for flag --prometheus-timeout: a duration such as 5m or 90s`}},
		{name: "now", args: []string{"plan", "--now", "12:00", "-f", demoRules}, code: 1,
			stderr: []string{`invalid value "12:00" for flag --now: a time such as 2026-11-29T12:00:00Z`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

func TestSelectorsThatMatchNothing(t *testing.T) {
	tests := []cliCase{
		{name: "node", args: []string{"plan", "-f", demoRules, "--snapshot", demoFleet, "--node", "worker-99"}, code: 1,
			stderr: []string{`no node named "worker-99" in the fleet`, "worker-1"}, noStdout: true},
		{name: "rule", args: []string{"plan", "-f", demoRules, "--snapshot", demoFleet, "--rule", "disk-alert"}, code: 1,
			stderr: []string{`no rule named "disk-alert" in the rules`, "disk-space-alert"}, noStdout: true},
		{name: "apply node", args: []string{"apply", "--auto-approve", "-f", demoRules, "--snapshot", demoFleet, "--node", "x"}, code: 1,
			stderr: []string{`no node named "x" in the fleet`}},
		{name: "test --run", args: []string{"test", brokenTests, "--run", "^nothing$"}, code: 1,
			stdout: []string{"0 passed, 0 failed"}, stderr: []string{`no test matches --run "^nothing$"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

func TestFmtRefusesYAML(t *testing.T) {
	yamlFile := writeFile(t, t.TempDir(), "rules.yaml", badRule)
	before := readString(t, yamlFile)
	cliCase{args: []string{"fmt", yamlFile}, code: 1,
		stderr: []string{"fmt formats HCL rule files (*.hcl)", "ngctl render -f " + yamlFile}}.run(t)
	if readString(t, yamlFile) != before {
		t.Error("fmt changed a YAML file")
	}
}

// TestFmtNothingToFormat: a directory without *.hcl files is nothing to format — exit 0
// as gofmt and terraform fmt do, with --check too — but fmt says so.
func TestFmtNothingToFormat(t *testing.T) {
	const yamlDir = "../../examples/rules/yaml"
	want := "ngctl fmt: no HCL rule files (*.hcl) in " + yamlDir + ": nothing to format (YAML rules are printed in canonical form by ngctl render -f " + yamlDir + ")"
	for _, args := range [][]string{{"fmt", yamlDir}, {"fmt", "--check", yamlDir}, {"fmt", yamlDir, "../../examples/rules/hcl"}} {
		cliCase{args: args, stderr: []string{want}, noStdout: true}.run(t)
	}
	if _, _, errOut := ngctl(t, "", "fmt", "--check", "../../examples/rules/hcl"); errOut != "" {
		t.Errorf("a directory of HCL files: stderr %q", errOut)
	}
}

func TestNoClusterConfigured(t *testing.T) {
	home := t.TempDir()
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", home)
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("PROMETHEUS_URL", "")
	t.Setenv("METRICS_SERVER_URL", "")
	withContexts := writeFile(t, home, "kubeconfig", "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\n"+
		"contexts:\n- name: staging\n  context: {cluster: c}\n- name: prod\n  context: {cluster: c}\n")
	noContexts := writeFile(t, home, "empty", "apiVersion: v1\nkind: Config\n")
	tests := []cliCase{
		{name: "plan", args: []string{"plan", "-f", demoRules}, code: 1,
			stderr: []string{"no cluster configured: use --snapshot FILE for an offline plan, or --kubeconfig FILE / --context NAME"}},
		{name: "apply", args: []string{"apply", "-f", demoRules, "--metrics-source", "prometheus"}, code: 1,
			stderr: []string{"no cluster configured: use --snapshot FILE to apply to a snapshot file (a simulation), or --kubeconfig FILE / --context NAME"}},
		{name: "snapshot", args: []string{"snapshot", "-f", demoRules, "-o", filepath.Join(t.TempDir(), "s.yaml")}, code: 1,
			stderr: []string{"no cluster configured: ngctl snapshot reads a live cluster; use --kubeconfig"}},
		{name: "from-cluster offline", args: []string{"plan", "--from-cluster", "--snapshot", demoFleet}, code: 1,
			stderr: []string{"no cluster configured for --from-cluster"}},
		{name: "controller has no --snapshot", args: []string{"controller"}, code: 1,
			stderr: []string{"no cluster configured: ngctl controller runs in the cluster with its service account (deploy/, docs/controller.md); outside it, use --kubeconfig FILE / --context NAME"},
			notErr: []string{"--snapshot"}},
		{name: "--context without a kubeconfig", args: []string{"plan", "-f", demoRules, "--context", "nope"}, code: 1,
			stderr: []string{"--context nope: no kubeconfig found ($KUBECONFIG is not set and ~/.kube/config does not exist); give the kubeconfig that defines it with --kubeconfig FILE"},
			notErr: []string{"use --snapshot", "/ --context"}},
		{name: "--context not in the kubeconfig", args: []string{"plan", "-f", demoRules, "--kubeconfig", withContexts, "--context", "nope"}, code: 1,
			stderr: []string{"--context nope: no such context in the kubeconfig " + withContexts + "; its contexts: prod, staging"}},
		{name: "--context and a kubeconfig without contexts", args: []string{"controller", "--kubeconfig", noContexts, "--context", "nope"}, code: 1,
			stderr: []string{"--context nope: the kubeconfig " + noContexts + " has no contexts; give the kubeconfig that defines it with --kubeconfig FILE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t)
			if _, _, errOut := ngctl(t, "", tt.args...); strings.Contains(errOut, "KUBERNETES_MASTER") {
				t.Errorf("client-go's hint leaked: %s", errOut)
			}
		})
	}
	t.Run("$KUBECONFIG without the context", func(t *testing.T) {
		t.Setenv("KUBECONFIG", withContexts)
		cliCase{args: []string{"snapshot", "-f", demoRules, "-o", filepath.Join(t.TempDir(), "s.yaml"), "--context", "nope"}, code: 1,
			stderr: []string{"--context nope: no such context in the kubeconfig (" + withContexts + "); its contexts: prod, staging"}}.run(t)
	})
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		code, out, errOut := ngctl(t, "", args...)
		if code != 0 || !strings.HasPrefix(out, "ngctl ") || !strings.Contains(out, "\ncommit ") {
			t.Errorf("ngctl %s: exit %d\n%s%s", args[0], code, out, errOut)
		}
	}
	code, out, _ := ngctl(t, "", "version", "-o", "json")
	var v buildVersion
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v.Version == "" || v.Commit == "" || v.GoVersion == "" {
		t.Errorf("version -o json: exit %d\n%s", code, out)
	}
}

func TestHelpShowsOnlyTheCommandsFlags(t *testing.T) {
	tests := []cliCase{
		{name: "plan -out FILE", args: []string{"plan", "--help"},
			stdout: []string{"--out FILE ", "--snapshot FILE ", "--staleness DURATION ", "--filename PATH, -f PATH", "--output FORMAT, -o FORMAT"},
			notOut: []string{"ngctl apply PLAN ", "--out value"}},
		{name: "snapshot", args: []string{"snapshot", "--help"}, stdout: []string{"--output FILE, -o FILE", "--kubeconfig FILE", "--metrics-source SOURCE"},
			notOut: []string{"--max-disruptive", "--node", "--rule", "--auto-approve", "--snapshot", "--staleness", "--detailed-exitcode", "or snapshot"}},
		{name: "apply", args: []string{"apply", "-h"}, stdout: []string{"--write-snapshot FILE", "--auto-approve"}, notOut: []string{"--out ", "--detailed-exitcode"}},
		{name: "test", args: []string{"test", "--help"}, stdout: []string{"--junit FILE", "--run REGEXP"}},
		{name: "root lists --version", args: []string{"--help"}, stdout: []string{"--version, -v"}},
		{name: "apply's own words", args: []string{"apply", "--help"},
			stdout: []string{"--node NAME  ", "apply only the changes of the node NAME; the other nodes are left as they are", "--rule NAME  ", "apply only the changes of the rule NAME",
				"--snapshot FILE  ", "apply to the FleetSnapshot FILE instead of the live cluster", "by default the other changes are made and ngctl exits 1"},
			notOut: []string{"show only", "plan only", "plan against", "to reproduce a plan", "the plan is incomplete"}},
		{name: "diff's own words", args: []string{"diff", "--help"}, stdout: []string{"compare only the changes of the node NAME", "compare the plans against the FleetSnapshot FILE"},
			notOut: []string{"show only", "plan only", "apply only"}},
		{name: "plan's --node shows", args: []string{"plan", "--help"}, stdout: []string{"show only the changes of the node NAME"}, notOut: []string{"apply only"}},
		{name: "snapshot's --now", args: []string{"snapshot", "--help"}, stdout: []string{"record the snapshot as taken at TIME"}, notOut: []string{"to reproduce a plan"}},
		{name: "controller placeholders", args: []string{"controller", "--help"},
			stdout: []string{"--feature-gates GATES ", "--leader-election-lease-duration DURATION ", "--log-level LEVEL ", "--log-encoding FORMAT "}},
		{name: "alert render is its own command", args: []string{"alert", "render", "--help"},
			stdout: []string{"ngctl alert render - ", "--template NAME ", "--event EVENT ", "--snapshot FILE "}, notOut: []string{"ngctl render - "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

// commandPaths lists every command and subcommand of ngctl as its words: ["alert", "render"].
func commandPaths(cmds []*cli.Command, parent []string) [][]string {
	var out [][]string
	for _, c := range cmds {
		path := append(slices.Clip(parent), c.Name)
		out = append(out, path)
		out = append(out, commandPaths(c.Subcommands, path)...)
	}
	return out
}

// TestHelpAnywhere: --help or -h after a positional argument, or between flags, shows
// the help of that command and exits 0, for every command; no help shows a "value"
// placeholder.
func TestHelpAnywhere(t *testing.T) {
	placeholder := regexp.MustCompile(`--[a-z-]+ value`)
	paths := commandPaths(newApp(nil, nil, nil).Commands, nil)
	if len(paths) < 14 {
		t.Fatalf("only %d commands: %v", len(paths), paths)
	}
	for _, path := range paths {
		name := strings.Join(path, " ")
		for _, tail := range [][]string{{"x.json", "--help"}, {"x.json", "-h"}, {"-h", "x.json"}, {"a", "b", "--help=true"}} {
			args := append(slices.Clip(path), tail...)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, out, errOut := ngctl(t, "", args...)
				if code != 0 || errOut != "" || !strings.HasPrefix(out, "NAME:\n   ngctl "+name+" - ") {
					t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
				}
				if m := placeholder.FindString(out); m != "" {
					t.Errorf("help shows the placeholder %q; give the flag's usage a `WORD`", m)
				}
			})
		}
	}
	// A flag value that looks like -h is the value; after -- it is an argument.
	cliCase{args: []string{"show", "--", "-h"}, code: 1, stderr: []string{"open -h"}}.run(t)
}

func TestPlanOutSaysHowToApply(t *testing.T) {
	saved := filepath.Join(t.TempDir(), "plan.json")
	code, _, errOut := ngctl(t, "", "plan", "-f", demoRules, "--snapshot", demoFleet, "--rule", "disk-space-alert", "-out", saved)
	want := "apply it with: ngctl apply -f " + demoRules + " --snapshot " + demoFleet + " --rule disk-space-alert " + saved + "\n"
	if code != 0 || !strings.HasSuffix(errOut, want) {
		t.Fatalf("exit %d, stderr %q, want suffix %q", code, errOut, want)
	}
	if code, out, errOut := ngctl(t, "", strings.Fields(strings.TrimSpace(want[len("apply it with: ngctl "):]))...); code != 1 || !strings.Contains(out, "Plan: 2 nodes") || !strings.Contains(errOut, "apply cancelled: answer yes") {
		t.Fatalf("the hint does not apply the plan: exit %d\n%s\n%s", code, out, errOut)
	}
}
