package load

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	gitobject "github.com/go-git/go-git/v5/plumbing/object"
)

const gitRule = `apiVersion: nodeguardian.k8s.io/v1
kind: NodeGuardianRule
metadata:
  name: %s
spec:
  conditions:
    - metric: cpuLoadRatio
      operator: %s
      value: 1
  actions:
    - type: cordon
`

func TestRepoLoad(t *testing.T) {
	dir := t.TempDir()
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("rules/a.yaml", strings.Replace(strings.Replace(gitRule, "%s", "a", 1), "%s", "GreaterThan", 1))
	write("rules/sub/b.yaml", strings.Replace(strings.Replace(gitRule, "%s", "b", 1), "%s", "Bigger", 1))
	write("rules/.hidden/c.yaml", "not: [valid")
	write("rules/notes.txt", "ignored")
	wt, _ := r.Worktree()
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	sig := &gitobject.Signature{Name: "t", Email: "t@example.com", When: time.Unix(0, 0)}
	if _, err := wt.Commit("rules", &git.CommitOptions{Author: sig, Committer: sig}); err != nil {
		t.Fatal(err)
	}
	write("rules/a.yaml", "changed in the working tree only")

	repo, err := OpenRepo(filepath.Join(dir, "rules", "sub"))
	if err != nil {
		t.Fatal(err)
	}
	rel, err := repo.Rel(filepath.Join(dir, "rules"))
	if err != nil || rel != "rules" {
		t.Fatalf("Rel = %q, %v", rel, err)
	}
	set, diags, err := repo.Load("HEAD", []string{"rules", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	got := diags.Error()
	for _, want := range []string{"HEAD:missing: warning: not in this commit", "HEAD:rules/sub/b.yaml:8:17: error: spec.conditions[0].operator"} {
		if !strings.Contains(got, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, got)
		}
	}
	if len(set.Rules) != 1 || set.Rules[0].Name != "a" || set.Origins["NodeGuardianRule/a"].File != "HEAD:rules/a.yaml" {
		t.Errorf("rules %v, origins %v", set.Rules, set.Origins)
	}
	if _, _, err := repo.Load("no-such-ref", []string{"rules"}); err == nil || !strings.Contains(err.Error(), `git ref "no-such-ref"`) {
		t.Errorf("unknown ref: %v", err)
	}
	if _, err := repo.Rel(t.TempDir()); err == nil {
		t.Error("a path outside the repository is accepted")
	}
}

func TestFilesNamesDiagnostics(t *testing.T) {
	_, diags := Files([]File{{Name: "main:x.hcl", Path: "x.hcl", Data: []byte(`rule "r" { bogus = 1 }`)}})
	if !diags.HasErrors() || !strings.HasPrefix(diags.Errors()[0].String(), "main:x.hcl:1:") {
		t.Errorf("diagnostics: %v", diags)
	}
}
