package load

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	gitobject "github.com/go-git/go-git/v5/plumbing/object"
)

// Repo is the Git repository rule files are read from at a commit, without a git
// binary (ngctl diff --base REF).
type Repo struct {
	// Root is the absolute path of the working tree's top directory.
	Root string
	repo *git.Repository
}

// OpenRepo opens the Git repository that holds p, a file or directory (which need not
// exist: its nearest existing parent is used), looking in p and its parents for .git.
func OpenRepo(p string) (*Repo, error) {
	dir, err := existingDir(p)
	if err != nil {
		return nil, err
	}
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("%s is not in a Git repository: ngctl diff reads the base rules from Git history", p)
	}
	if err != nil {
		return nil, fmt.Errorf("open the Git repository of %s: %w", p, err)
	}
	wt, err := r.Worktree()
	if err != nil {
		return nil, fmt.Errorf("open the Git repository of %s: %w", p, err)
	}
	root, err := realPath(wt.Filesystem.Root())
	if err != nil {
		return nil, err
	}
	return &Repo{Root: root, repo: r}, nil
}

// existingDir is p's directory, or the nearest parent of it that exists, made absolute.
func existingDir(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", p, err)
	}
	for dir := abs; ; dir = filepath.Dir(dir) {
		info, err := os.Stat(dir)
		if err == nil {
			if !info.IsDir() {
				return filepath.Dir(dir), nil
			}
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("resolve %s: %w", p, err)
		}
	}
}

// realPath is p made absolute with its symbolic links resolved, as far as it exists.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", p, err)
	}
	var rest []string
	for dir := abs; ; dir = filepath.Dir(dir) {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(append([]string{real}, rest...)...), nil
		}
		if filepath.Dir(dir) == dir {
			return abs, nil
		}
		rest = append([]string{filepath.Base(dir)}, rest...)
	}
}

// Rel is the repository-relative, slash-separated path of a path on disk ("." for the
// top directory); a path outside the repository is an error.
func (r *Repo) Rel(p string) (string, error) {
	real, err := realPath(p)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(r.Root, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the Git repository %s: give rule paths of one repository", p, r.Root)
	}
	return filepath.ToSlash(rel), nil
}

// Resolve returns the commit a revision names: a branch, tag, remote branch
// (origin/main), commit hash or an expression such as HEAD~1.
func (r *Repo) Resolve(ref string) (*gitobject.Commit, error) {
	h, err := r.repo.ResolveRevision(plumbing.Revision(ref))
	if err != nil {
		return nil, fmt.Errorf("git ref %q: %w (fetch it first, e.g. git fetch origin main, or name a branch, tag or commit)", ref, err)
	}
	c, err := r.repo.CommitObject(*h)
	if err != nil {
		return nil, fmt.Errorf("git ref %q: %w", ref, err)
	}
	return c, nil
}

// Files reads the rule files that paths (repository-relative, as Rel returns them)
// name in the commit ref names: a file itself, a directory's *.yaml, *.yml and *.hcl
// files (recursively, skipping hidden directories). Each is named "REF:path". A path
// that does not exist at ref is a warning (the rules may be new); a ref that does not
// resolve, an error.
func (r *Repo) Files(ref string, paths []string) ([]File, Diagnostics, error) {
	c, err := r.Resolve(ref)
	if err != nil {
		return nil, nil, err
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, nil, fmt.Errorf("git ref %q: %w", ref, err)
	}
	var files []File
	var ds Diagnostics
	seen := map[string]bool{}
	for _, p := range paths {
		found, d, err := treeFiles(tree, p)
		if err != nil {
			return nil, nil, fmt.Errorf("git ref %q: %s: %w", ref, p, err)
		}
		if d != "" {
			ds = append(ds, Diagnostic{Severity: Warning, File: ref + ":" + p, Message: d})
		}
		for _, f := range found {
			if seen[f.Name] {
				continue
			}
			seen[f.Name] = true
			data, err := readTreeFile(f)
			if err != nil {
				return nil, nil, fmt.Errorf("git ref %q: %s: %w", ref, f.Name, err)
			}
			files = append(files, File{Name: ref + ":" + f.Name, Path: f.Name, Data: data})
		}
	}
	return files, ds, nil
}

// Load loads the rule files Files reads, with the checks of Files.
func (r *Repo) Load(ref string, paths []string) (*Set, Diagnostics, error) {
	files, ds, err := r.Files(ref, paths)
	if err != nil {
		return nil, nil, err
	}
	set, loaded := Files(files)
	return set, append(ds, loaded...), nil
}

// treeFiles lists the rule files p names in tree, with a note when it names none.
func treeFiles(tree *gitobject.Tree, p string) ([]*gitobject.File, string, error) {
	p = path.Clean(p)
	if p != "." {
		e, err := tree.FindEntry(p)
		if errors.Is(err, gitobject.ErrEntryNotFound) || errors.Is(err, gitobject.ErrDirectoryNotFound) {
			return nil, "not in this commit", nil
		}
		if err != nil {
			return nil, "", err
		}
		if e.Mode.IsFile() {
			f, err := tree.File(p)
			if err != nil {
				return nil, "", err
			}
			return []*gitobject.File{f}, "", nil
		}
		if tree, err = tree.Tree(p); err != nil {
			return nil, "", err
		}
	}
	var out []*gitobject.File
	err := tree.Files().ForEach(func(f *gitobject.File) error {
		if hiddenDir(f.Name) || !IsRuleFile(f.Name) || !f.Mode.IsFile() {
			return nil
		}
		if p != "." {
			f.Name = p + "/" + f.Name
		}
		out = append(out, f)
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if len(out) == 0 {
		return nil, "no .yaml, .yml or .hcl files found", nil
	}
	return out, "", nil
}

// hiddenDir reports whether a tree-relative file path is below a hidden directory.
func hiddenDir(name string) bool {
	dirs := strings.Split(name, "/")
	for _, d := range dirs[:len(dirs)-1] {
		if strings.HasPrefix(d, ".") {
			return true
		}
	}
	return false
}

// readTreeFile reads a blob of at most maxFileSize bytes.
func readTreeFile(f *gitobject.File) ([]byte, error) {
	if f.Size > maxFileSize {
		return nil, fmt.Errorf("file is larger than %d MiB", maxFileSize>>20)
	}
	rd, err := f.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(io.LimitReader(rd, maxFileSize+1))
}
