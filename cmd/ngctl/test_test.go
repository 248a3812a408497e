package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const brokenTests = "testdata/ruletest/broken.yaml"

func exampleTests(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../examples/tests/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example tests: %v", err)
	}
	return files
}

// testCommandCase is one run of `ngctl test` and what it must print.
type testCommandCase struct {
	name string
	args []string
	code int
	want []string // substrings of stdout, in order
}

// testCommandCases are the runs of TestTestCommand; dir holds the files they write.
func testCommandCases(t *testing.T, dir string) []testCommandCase {
	badField := writeFile(t, dir, "bad-field.yaml", "ruleFiles: [x.yaml]\ntests:\n  - name: t\n    nodez: []\n")
	missingRules := writeFile(t, dir, "missing-rules.yaml",
		"ruleFiles: [nope.yaml]\ntests:\n  - name: t\n    nodes: [{name: n}]\n    expect: [{at: 0s, alerts: []}]\n")
	return []testCommandCase{
		{
			name: "examples pass",
			args: append([]string{"test"}, exampleTests(t)...),
			code: 0,
			want: []string{"=== ../../examples/tests/disk-space-alert.yaml\nPASS ", "PASS a node without data is never tainted\n", " passed, 0 failed\n"},
		},
		{
			name: "a directory runs every file in it",
			args: []string{"test", "../../examples/tests"},
			code: 0,
			want: []string{"=== ../../examples/tests/disk-space-alert.yaml\n", "=== ../../examples/tests/unknown-metrics.yaml\n", " passed, 0 failed\n"},
		},
		{
			name: "broken file fails with readable differences",
			args: []string{"test", brokenTests},
			code: 1,
			want: []string{
				"PASS a correct test still passes\n",
				"FAIL expects the taint two minutes too early\n",
				"    at 3m: rule high-load-isolation on worker-1: want Firing, got Pending\n",
				"    at 3m: node worker-1 taints: want [nodeguardian/high-load=true:NoSchedule] got []\n",
				"    at 5m: node worker-1 label nodeguardian.io/status: want none, got \"high-load\"\n",
				"    at 5m: alerts: want [{rule: high-load-isolation, node: worker-1, event: firing, template: recovery-alert}] " +
					"got [{rule: high-load-isolation, node: worker-1, event: firing, template: high-load-alert}]\n",
				"1 passed, 1 failed\n",
			},
		},
		{
			name: "--run selects tests by name",
			args: []string{"test", "--run", "^a correct", brokenTests},
			code: 0,
			want: []string{"PASS a correct test still passes\n1 passed, 0 failed\n"},
		},
		{
			name: "a file that does not load names file and line",
			args: []string{"test", badField},
			code: 1,
			want: []string{"ERROR " + badField + "\n", badField + ":4: tests[0].nodez: unknown field", "0 passed, 1 failed\n"},
		},
		{
			name: "missing rule files",
			args: []string{"test", missingRules},
			code: 1,
			want: []string{"ERROR " + missingRules + "\n", "nope.yaml", "0 passed, 1 failed\n"},
		},
		{name: "missing test file", args: []string{"test", filepath.Join(dir, "nope.yaml")}, code: 1, want: []string{"ERROR ", "0 passed, 1 failed\n"}},
	}
}

func TestTestCommand(t *testing.T) {
	for _, tt := range testCommandCases(t, t.TempDir()) {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := ngctl(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			rest := out
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("stdout lacks %q (in order)\nstdout:\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestTestCommandSummaryLine(t *testing.T) {
	_, out, _ := ngctl(t, "", append([]string{"test"}, exampleTests(t)...)...)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if last := lines[len(lines)-1]; !regexp.MustCompile(`^[1-9][0-9]* passed, 0 failed$`).MatchString(last) {
		t.Fatalf("summary line %q", last)
	}
}

func TestTestCommandUsageErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no files", []string{"test"}, "no test file given"},
		{"empty directory", []string{"test", t.TempDir()}, "no *.yaml or *.yml test files in"},
		{"bad --run", []string{"test", "--run", "(", brokenTests}, "--run: error parsing regexp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := ngctl(t, "", tt.args...)
			if code != 1 || !strings.Contains(errOut, tt.stderr) {
				t.Fatalf("exit %d, stderr %q, want %q", code, errOut, tt.stderr)
			}
		})
	}
}

func TestTestCommandJUnit(t *testing.T) {
	type suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Text string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	tests := []struct {
		name                    string
		files                   []string
		code, suites, failures  int
		failureText, passedCase string
	}{
		{name: "examples", files: exampleTests(t), code: 0, suites: len(exampleTests(t)), passedCase: "a node without data is never tainted"},
		{name: "broken", files: []string{brokenTests}, code: 1, suites: 1, failures: 1,
			failureText: "at 3m: rule high-load-isolation on worker-1: want Firing, got Pending", passedCase: "a correct test still passes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "report.xml")
			code, out, _ := ngctl(t, "", append([]string{"test", "--junit", path}, tt.files...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", code, tt.code, out)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var doc suites
			if err := xml.Unmarshal(data, &doc); err != nil {
				t.Fatalf("%v\n%s", err, data)
			}
			if len(doc.Suites) != tt.suites || doc.Failures != tt.failures || doc.Errors != 0 || doc.Tests == 0 {
				t.Fatalf("suites %d failures %d errors %d tests %d\n%s", len(doc.Suites), doc.Failures, doc.Errors, doc.Tests, data)
			}
			if !strings.Contains(string(data), tt.passedCase) {
				t.Errorf("no testcase %q\n%s", tt.passedCase, data)
			}
			if tt.failureText != "" && !strings.Contains(string(data), tt.failureText) {
				t.Errorf("no failure %q\n%s", tt.failureText, data)
			}
		})
	}
}
