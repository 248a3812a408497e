package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// gitRepo is a Git repository built in a test with go-git, with commits of fixed
// authorship and time so that their hashes are the same on every run.
type gitRepo struct {
	t    *testing.T
	dir  string
	repo *git.Repository
	wt   *git.Worktree
	when time.Time
}

// newGitRepo creates an empty repository in a temp dir.
func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	dir := t.TempDir()
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	return &gitRepo{t: t, dir: dir, repo: r, wt: wt, when: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}
}

// write writes a file of the working tree.
func (g *gitRepo) write(name, content string) {
	g.t.Helper()
	p := filepath.Join(g.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

// copyFile writes a file of the working tree with the content of a file on disk.
func (g *gitRepo) copyFile(name, from string) {
	g.t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		g.t.Fatal(err)
	}
	g.write(name, string(b))
}

// read returns a file of the working tree.
func (g *gitRepo) read(name string) string {
	g.t.Helper()
	b, err := os.ReadFile(filepath.Join(g.dir, name))
	if err != nil {
		g.t.Fatal(err)
	}
	return string(b)
}

// remove deletes a file of the working tree.
func (g *gitRepo) remove(name string) {
	g.t.Helper()
	if err := os.Remove(filepath.Join(g.dir, name)); err != nil {
		g.t.Fatal(err)
	}
}

// commit commits every file of the working tree (deletions too) on the current branch.
func (g *gitRepo) commit(msg string) plumbing.Hash {
	g.t.Helper()
	if err := g.wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		g.t.Fatal(err)
	}
	g.when = g.when.Add(time.Minute)
	sig := &object.Signature{Name: "Test", Email: "test@example.com", When: g.when}
	h, err := g.wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig, AllowEmptyCommits: true, All: true})
	if err != nil {
		g.t.Fatal(err)
	}
	return h
}

// branch creates a branch at a commit and checks it out.
func (g *gitRepo) branch(name string, at plumbing.Hash) {
	g.t.Helper()
	err := g.wt.Checkout(&git.CheckoutOptions{Hash: at, Branch: plumbing.NewBranchReferenceName(name), Create: true, Force: true})
	if err != nil {
		g.t.Fatal(err)
	}
}

// ref points a reference (refs/remotes/origin/main) at a commit.
func (g *gitRepo) ref(name string, at plumbing.Hash) {
	g.t.Helper()
	if err := g.repo.Storer.SetReference(plumbing.NewHashReference(plumbing.ReferenceName(name), at)); err != nil {
		g.t.Fatal(err)
	}
}
