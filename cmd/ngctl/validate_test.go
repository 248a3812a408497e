package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// secret is the password in the Prometheus URLs of these tests: no output may show it.
const secret = "s3cr3t"

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  threshold: "1.5"
`

// almostRule is a rule whose apiVersion or kind is almost ours.
func almostRule(apiVersion, kind string) string {
	return `apiVersion: ` + apiVersion + `
kind: ` + kind + `
metadata:
  name: almost
spec:
  conditions:
    - metric: cpuLoadRatio
      operator: GreaterThan
      value: 1.5
  actions:
    - type: cordon
`
}

// TestValidateNearlyOurs: a document that is almost a NodeGuardian object is an error
// naming the value it must have, not a skipped document; other kinds are still skipped.
func TestValidateNearlyOurs(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, stderr string
	}{
		{"kind in lower case", almostRule("nodeguardian.k8s.io/v1", "nodeguardianrule"),
			`almost.yaml:2:7: error: kind: must be "NodeGuardianRule" (got "nodeguardianrule")`},
		{"the prototype's group", almostRule("nodeguardian.io/v1", "NodeGuardianRule"),
			`almost.yaml:1:13: error: apiVersion: must be "nodeguardian.k8s.io/v1" (got "nodeguardian.io/v1")`},
		{"an unknown kind of our group in a stream", configMap + "---\n" + almostRule("nodeguardian.k8s.io/v1", "Rule"),
			`almost.yaml:9:7: error: kind: must be NodeGuardianRule or AlertTemplate (got "Rule")`},
		{"another version", almostRule("nodeguardian.k8s.io/v1beta1", "NodeGuardianRule"),
			`almost.yaml:1:13: error: apiVersion: must be "nodeguardian.k8s.io/v1" (got "nodeguardian.k8s.io/v1beta1")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeFile(t, dir, "almost.yaml", tt.content)
			code, out, errOut := ngctl(t, "", "validate", "-f", f)
			if code != 1 || !strings.Contains(errOut, tt.stderr) || !strings.Contains(out, "invalid (1 error") {
				t.Errorf("exit %d, want 1 with %q\nstdout: %s\nstderr: %s", code, tt.stderr, out, errOut)
			}
		})
	}
}

// TestValidateNoObjects: inputs holding no rule and no template at all fail; a stream
// with other kinds besides ours (kustomize build | ngctl validate -f -) passes.
func TestValidateNoObjects(t *testing.T) {
	dir := t.TempDir()
	cm := writeFile(t, dir, "configmap.yaml", configMap)
	empty := t.TempDir()
	tests := []struct {
		name, stdin string
		args        []string
		code        int
		stdout      string
		stderr      string
	}{
		{"other kinds only", "", []string{"validate", "-f", cm}, 1, "0 rules, 0 alert templates: invalid (1 error",
			cm + ": error: no NodeGuardian objects (NodeGuardianRule or AlertTemplate) (1 file read, 1 document of other kinds skipped)"},
		{"empty directory", "", []string{"validate", "-f", empty, "-f", cm}, 1, "invalid (2 errors",
			empty + ": error: no NodeGuardian objects (NodeGuardianRule or AlertTemplate) (1 file read, 1 document of other kinds skipped in all)\n" +
				cm + ": error: no NodeGuardian objects"},
		{"empty stdin", "", []string{"validate", "-f", "-"}, 1, "invalid", "<stdin>: error: no NodeGuardian objects"},
		{"json names the file", "", []string{"validate", "-o", "json", "-f", cm}, 1, `"file": "` + cm + `",
      "message": "no NodeGuardian objects (NodeGuardianRule or AlertTemplate) (1 file read`, ""},
		{"json: stdin is <stdin>, not escaped", "", []string{"validate", "-o", "json", "-f", "-"}, 1, `"file": "<stdin>",`, ""},
		{"a stream with other kinds", configMap + "---\n" + almostRule("nodeguardian.k8s.io/v1", "NodeGuardianRule"),
			[]string{"validate", "-v", "-f", "-"}, 0, "1 rule, 0 alert templates: valid", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := ngctl(t, tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("exit %d (want %d)\nstdout: %s(want %q)\nstderr: %s(want %q)", code, tt.code, out, tt.stdout, errOut, tt.stderr)
			}
		})
	}
}

// TestValidateNoFollowOnAfterReadError: a file that cannot be read (too large, missing)
// is the error; "no NodeGuardian objects" does not follow it.
func TestValidateNoFollowOnAfterReadError(t *testing.T) {
	for _, tt := range []struct{ path, want string }{
		{"/dev/zero", "/dev/zero: error: file is larger than 16 MiB"},
		{filepath.Join(t.TempDir(), "missing.yaml"), "missing.yaml: error: cannot read: no such file or directory"},
	} {
		code, out, errOut := ngctl(t, "", "validate", "-f", tt.path)
		if code != 1 || !strings.Contains(errOut, tt.want) || strings.Contains(errOut, "no NodeGuardian objects") ||
			!strings.Contains(out, "invalid (1 error") {
			t.Errorf("validate -f %s: exit %d\nstdout: %s\nstderr: %s(want only %q)", tt.path, code, out, errOut, tt.want)
		}
	}
}

// ruleWithURL is a valid rule reading the Prometheus at url.
func ruleWithURL(url string) string {
	return almostRule("nodeguardian.k8s.io/v1", "NodeGuardianRule") + `  monitoring:
    metricsSource:
      prometheusURL: "` + url + `"
`
}

const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`

// TestPrometheusURLCredentialsNeverShown runs the commands that fail on a Prometheus URL
// holding a password, from a rule file, --prometheus-url and $PROMETHEUS_URL, and --help,
// and checks that the password is in none of their output.
func TestPrometheusURLCredentialsNeverShown(t *testing.T) {
	dir := t.TempDir()
	kc := writeFile(t, dir, "kubeconfig", kubeconfig)
	good := writeFile(t, dir, "good.yaml", ruleWithURL("http://admin:"+secret+"@prometheus:9090"))
	tests := []struct {
		name   string
		env    string // $PROMETHEUS_URL
		args   []string
		code   int
		output string // in stdout or stderr
	}{
		{"validate: port does not parse", "", []string{"validate", "-f", writeFile(t, dir, "port.yaml", ruleWithURL("http://admin:"+secret+"@prometheus:90x0"))},
			1, `port.yaml:14:22: error: spec.monitoring.metricsSource.prometheusURL: invalid URL "http://xxxxx@prometheus:xxxxx": does not parse`},
		{"validate: @host forgotten", "", []string{"validate", "-f", writeFile(t, dir, "at.yaml", ruleWithURL("http://admin:"+secret))},
			1, `spec.monitoring.metricsSource.prometheusURL: invalid URL "http://xxxxx": does not parse`},
		{"validate: not http", "", []string{"validate", "-o", "json", "-f", writeFile(t, dir, "ftp.yaml", ruleWithURL("ftp://admin:"+secret+"@prometheus"))},
			1, `invalid URL \"ftp://admin:xxxxx@prometheus\": scheme must be http or https`},
		{"validate: valid URL with a password", "", []string{"validate", "-f", good}, 0, "1 rule, 0 alert templates: valid"},
		{"plan: rule file", "", []string{"plan", "--kubeconfig", kc, "--prometheus-url", "http://prometheus:9090",
			"-f", filepath.Join(dir, "port.yaml")}, 1, `invalid URL "http://xxxxx@prometheus:xxxxx"`},
		{"plan: --prometheus-url", "", []string{"plan", "--kubeconfig", kc, "-f", good,
			"--prometheus-url", "http://admin:" + secret + "@prometheus:90x0"}, 1, `prometheus: invalid URL "http://xxxxx@prometheus:xxxxx": does not parse`},
		{"plan: $PROMETHEUS_URL", "http://admin:" + secret + "@prometheus :9090", []string{"plan", "--kubeconfig", kc, "-f", good},
			1, `prometheus: invalid URL "http://xxxxx@prometheus :9090": does not parse`},
		{"snapshot: $PROMETHEUS_URL", "admin:" + secret + "@prometheus:9090", []string{"snapshot", "--kubeconfig", kc, "-f", good, "-o", filepath.Join(dir, "snap.yaml")},
			1, `prometheus: invalid URL "xxxxx@prometheus:9090": scheme must be http or https`},
		// URLs url.Parse accepts without a host, and an "@" after the host (issue 7): the
		// message and the source line under it are masked.
		{"validate: one slash", "", []string{"validate", "-f", writeFile(t, dir, "slash.yaml", ruleWithURL("http:/admin:"+secret+"@prometheus:9090"))},
			1, `slash.yaml:14:22: error: spec.monitoring.metricsSource.prometheusURL: invalid URL "http:/xxxxx@prometheus:9090": no host`},
		{"validate: three slashes, json", "", []string{"validate", "-o", "json", "-f", writeFile(t, dir, "slashes.yaml", ruleWithURL("http:///user:"+secret+"@host"))},
			1, `invalid URL \"http:///xxxxx@host\": no host`},
		{"plan: --prometheus-url with one slash", "", []string{"plan", "--kubeconfig", kc, "-f", good,
			"--prometheus-url", "http:/admin:" + secret + "@prometheus:9090"}, 1, `prometheus: invalid URL "http:/xxxxx@prometheus:9090": no host`},
		{"plan: --prometheus-url with three slashes", "", []string{"plan", "--kubeconfig", kc, "-f", good,
			"--prometheus-url", "http:///user:" + secret + "@host"}, 1, `prometheus: invalid URL "http:///xxxxx@host": no host`},
		{"apply: --prometheus-url with one slash", "", []string{"apply", "--kubeconfig", kc, "-f", good, "--auto-approve",
			"--prometheus-url", "http:/admin:" + secret + "@prometheus:9090"}, 1, `prometheus: invalid URL "http:/xxxxx@prometheus:9090": no host`},
		{"apply: $PROMETHEUS_URL with three slashes", "http:///user:" + secret + "@host", []string{"apply", "--kubeconfig", kc, "-f", good, "--auto-approve"},
			1, `prometheus: invalid URL "http:///xxxxx@host": no host`},
		{"controller: --prometheus-url with one slash", "", []string{"controller", "--kubeconfig", kc, "--metrics-addr", "0", "--health-addr", "0",
			"--prometheus-url", "http:/admin:" + secret + "@prometheus:9090"}, 1, `invalid value for --prometheus-url: invalid URL "http:/xxxxx@prometheus:9090": no host`},
		{"controller: --prometheus-url that does not parse", "", []string{"controller", "--kubeconfig", kc, "--metrics-addr", "0", "--health-addr", "0",
			"--prometheus-url", "http://admin:" + secret + "@prometheus:90x0"}, 1, `invalid value for --prometheus-url: invalid URL "http://xxxxx@prometheus:xxxxx": does not parse`},
		{"controller: $PROMETHEUS_URL with an @ after the host", "http://prometheus:9090/x?y=1@admin:" + secret, []string{"controller", "--kubeconfig", kc,
			"--metrics-addr", "0", "--health-addr", "0", "--max-disruptive", "lots"}, 1, "invalid value for --max-disruptive"},
		{"plan --help with $PROMETHEUS_URL", "http://admin:" + secret + "@prometheus:9090", []string{"plan", "--help"}, 0, "--prometheus-url"},
		{"plan --help with --prometheus-url", "", []string{"plan", "--prometheus-url", "http://admin:" + secret + "@prometheus:9090", "--help"}, 0, "--prometheus-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PROMETHEUS_URL", tt.env)
			code, out, errOut := ngctl(t, "", tt.args...)
			if code != tt.code || !strings.Contains(out+errOut, tt.output) {
				t.Errorf("exit %d (want %d), output does not contain %q\nstdout: %s\nstderr: %s", code, tt.code, tt.output, out, errOut)
			}
			if strings.Contains(out+errOut, secret) {
				t.Errorf("the output shows the password:\nstdout: %s\nstderr: %s", out, errOut)
			}
		})
	}
}
