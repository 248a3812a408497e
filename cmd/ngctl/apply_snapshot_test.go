package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestApplyWritesSnapshotWhenNothingChanges(t *testing.T) {
	dir := t.TempDir()
	step1 := filepath.Join(dir, "step1.yaml")
	if code, _, errOut := ngctl(t, "", "apply", "--auto-approve", "-f", demoRules, "--snapshot", demoFleet, "--write-snapshot", step1); code != 0 {
		t.Fatal(errOut)
	}
	// The second step of a pipeline: nothing changes, and its output must still exist.
	step2 := filepath.Join(dir, "step2.yaml")
	code, out, errOut := ngctl(t, "", "apply", "--auto-approve", "-f", demoRules, "--snapshot", step1, "--write-snapshot", step2)
	if code != 0 || !strings.Contains(out, "No changes.") || !strings.Contains(out, "Wrote "+step2+" unchanged") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	// Both outputs carry the source's leading comment block, changed or not.
	demo := readString(t, demoFleet)
	header := demo[:strings.Index(demo, "apiVersion:")]
	for _, f := range []string{step1, step2} {
		if got := readString(t, f); !strings.HasPrefix(header, "# ") || !strings.HasPrefix(got, header+"apiVersion:") {
			t.Errorf("%s lacks the source's header %q:\n%s", f, header, got[:min(len(got), 300)])
		}
	}
	code, out, _ = ngctl(t, "", "plan", "--detailed-exitcode", "-f", demoRules, "--snapshot", step2)
	if code != 0 || !strings.Contains(out, "No changes.") {
		t.Fatalf("plan on the unchanged output: exit %d\n%s", code, out)
	}
	// In place without changes: nothing written, no backup.
	if code, _, errOut := ngctl(t, "", "apply", "--auto-approve", "-f", demoRules, "--snapshot", step2); code != 0 {
		t.Fatal(errOut)
	}
	if _, err := os.Stat(step2 + ".backup"); !os.IsNotExist(err) {
		t.Errorf("a backup without a change: %v", err)
	}
}

func TestApplyInPlaceKeepsHeaderModeAndBackup(t *testing.T) {
	fleet := copyDemo(t)
	if err := os.Chmod(fleet, 0o600); err != nil {
		t.Fatal(err)
	}
	orig := readString(t, fleet)
	code, out, errOut := ngctl(t, "", "apply", "--auto-approve", "-f", demoRules, "--snapshot", fleet)
	if code != 0 || !strings.Contains(out, "(the previous snapshot is in "+fleet+".backup)") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	now := readString(t, fleet)
	header := orig[:strings.Index(orig, "apiVersion:")]
	if !strings.HasPrefix(header, "# Demo fleet") || !strings.HasPrefix(now, header+"apiVersion:") {
		t.Errorf("the leading comment block was not kept:\n%s", now[:min(len(now), 400)])
	}
	if now == orig {
		t.Error("the snapshot did not change")
	}
	if b := readString(t, fleet+".backup"); b != orig {
		t.Error("FILE.backup is not the previous content")
	}
	if fi, err := os.Stat(fleet); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode not kept: %v %v", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(filepath.Dir(fleet))
	if len(entries) != 2 {
		t.Errorf("files left beside the snapshot: %v", entries)
	}
}

func TestApplyRefusesToOverwriteRules(t *testing.T) {
	dir := t.TempDir()
	rulesDir := filepath.Join(dir, "rules")
	if err := os.MkdirAll(rulesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(demoRules, "disk-space-alert.yaml"))
	if err != nil {
		entries, _ := os.ReadDir(demoRules)
		t.Fatalf("%v (have %v)", err, entries)
	}
	rule := writeFile(t, rulesDir, "disk.yaml", string(src))
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(rule, link); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(dir, "plan.json")
	if code, _, errOut := ngctl(t, "", "plan", "-f", rulesDir, "--snapshot", demoFleet, "-out", saved); code != 0 {
		t.Fatal(errOut)
	}
	planBefore := readString(t, saved)
	tests := []struct {
		name, out string
		args      []string
		stderr    string
	}{
		{"the -f file", rule, []string{"-f", rule}, "would overwrite the rule file"},
		{"the -f file, spelled otherwise", filepath.Join(rulesDir, "..", "rules", "disk.yaml"), []string{"-f", rule}, "would overwrite the rule file"},
		{"a file in a -f directory", rule, []string{"-f", rulesDir}, "would overwrite the rule file"},
		{"a new file in a -f directory", filepath.Join(rulesDir, "after.yaml"), []string{"-f", rulesDir}, "would overwrite the rule file"},
		{"a symlink to a rule file", link, []string{"-f", rulesDir}, "would overwrite the rule file " + rule},
		{"the saved plan", saved, []string{"-f", rulesDir, saved}, "would overwrite the saved plan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"apply", "--auto-approve", "--snapshot", demoFleet, "--write-snapshot", tt.out}, tt.args...)
			code, out, errOut := ngctl(t, "", args...)
			if code != 1 || !strings.Contains(errOut, tt.stderr) || out != "" {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if readString(t, rule) != string(src) || readString(t, saved) != planBefore {
				t.Fatal("a refused apply wrote")
			}
			if _, err := os.Stat(filepath.Join(rulesDir, "after.yaml")); !os.IsNotExist(err) {
				t.Fatal("a refused apply created a file")
			}
		})
	}
	code, _, errOut := ngctl(t, "", "apply", "--auto-approve", "-f", demoRules, "--write-snapshot", filepath.Join(dir, "x.yaml"))
	if code != 1 || !strings.Contains(errOut, "--write-snapshot needs --snapshot FILE") {
		t.Fatalf("live --write-snapshot: exit %d: %s", code, errOut)
	}
}

// TestApplyInPlaceThroughSymlink: an in-place apply on a symbolic link to a snapshot
// updates the target and keeps the link.
func TestApplyInPlaceThroughSymlink(t *testing.T) {
	target := copyDemo(t)
	link := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	orig := readString(t, target)
	if code, out, errOut := ngctl(t, "", "apply", "--auto-approve", "-f", demoRules, "--snapshot", link); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced by a regular file: %v", err)
	}
	now := readString(t, target)
	if now == orig || !strings.HasPrefix(now, "# Demo fleet") {
		t.Errorf("the link's target was not updated (or lost its header):\n%s", now[:min(len(now), 300)])
	}
	if b := readString(t, link+".backup"); b != orig {
		t.Error("FILE.backup is not the previous content")
	}
}
