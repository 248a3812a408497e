package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHugeFilesAreRefused: every flag and argument that names a file, given /dev/zero or
// a sparse 1 GiB file, ends quickly with exit 1 and an error naming the file (issue 7:
// --alert-config /dev/zero ate 24 GB, --kubeconfig /dev/zero 12 GB).
func TestHugeFilesAreRefused(t *testing.T) {
	dir := t.TempDir()
	sparse := filepath.Join(dir, "sparse")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	kc := writeFile(t, dir, "kubeconfig", `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
users: [{name: u, user: {token: x}}]
`)
	live := []string{"plan", "-f", demoRules, "--kubeconfig", kc, "--prometheus-url", "http://127.0.0.1:1"}
	cases := map[string]func(file string) []string{
		"plan --alert-config": func(f string) []string {
			return []string{"plan", "-f", demoRules, "--snapshot", demoFleet, "--alert-config", f}
		},
		"controller --alert-config": func(f string) []string { return []string{"controller", "--kubeconfig", kc, "--alert-config", f} },
		"controller --config":       func(f string) []string { return []string{"controller", "--kubeconfig", kc, "--config", f} },
		"plan --config":             func(f string) []string { return append(live, "--config", f) },
		"plan --kubeconfig":         func(f string) []string { return []string{"plan", "-f", demoRules, "--kubeconfig", f} },
		"plan --context":            func(f string) []string { return []string{"plan", "-f", demoRules, "--kubeconfig", f, "--context", "c"} },
		"token file":                func(f string) []string { return append(live, "--prometheus-bearer-token-file", f) },
		"password file": func(f string) []string {
			return append(live, "--prometheus-username", "u", "--prometheus-password-file", f)
		},
		"CA file": func(f string) []string { return append(live, "--prometheus-ca-file", f) },
		"slack urlFile": func(f string) []string {
			return []string{"plan", "-f", demoRules, "--snapshot", demoFleet, "--alert-config", writeFile(t, dir, "alerts.yaml", "slack:\n  urlFile: "+f+"\n")}
		},
		"validate -f":     func(f string) []string { return []string{"validate", "-f", f} },
		"plan --snapshot": func(f string) []string { return []string{"plan", "-f", demoRules, "--snapshot", f} },
		"show":            func(f string) []string { return []string{"show", f} },
		"apply PLANFILE":  func(f string) []string { return []string{"apply", "-f", demoRules, "--snapshot", demoFleet, f} },
		"test":            func(f string) []string { return []string{"test", f} },
		"fmt":             func(f string) []string { return []string{"fmt", "--check", f} },
	}
	for name, args := range cases {
		for _, file := range []string{"/dev/zero", sparse} {
			start := time.Now()
			code, out, errOut := ngctl(t, "", args(file)...)
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("%s %s: took %v", name, file, d)
			}
			if code != 1 {
				t.Errorf("%s %s: exit %d, want 1\n%.300s", name, file, code, out+errOut)
			}
			if all := out + errOut; !strings.Contains(all, file) || !strings.Contains(all, "larger than") && !strings.Contains(all, "not a regular file") {
				t.Errorf("%s %s: the error does not name the file and the limit:\n%.400s", name, file, all)
			}
		}
	}
}
