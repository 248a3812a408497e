package main

import (
	"cmp"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/urfave/cli/v2"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/render"
)

// renderCheck is `ngctl render -f SOURCE --check COMMITTED` and `ngctl render --check
// DIR`: the objects the sources (usually HCL) render to must be exactly the objects of
// the committed YAML, whatever their files, order and comments. Both sides are rendered
// canonically, sorted by kind and name; a difference is printed as a unified diff and
// exits 1.
func renderCheck(c *cli.Context, source *load.Set, from string, committedPaths []string, committed string) error {
	target, diags := load.Paths(committedPaths, nil)
	if diags.HasErrors() {
		return exitf(1, "%s", trimNL(diags.Errors().Error()))
	}
	want, err := canonicalYAML(source)
	if err != nil {
		return exitf(1, "render: %v", err)
	}
	got, err := canonicalYAML(target)
	if err != nil {
		return exitf(1, "render: %v", err)
	}
	if string(want) == string(got) {
		fmt.Fprintf(c.App.Writer, "%s matches %s: %s, %s\n", committed, from,
			plural(len(source.Rules), "rule"), plural(len(source.Templates), "alert template"))
		return nil
	}
	d, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(string(got)), B: difflib.SplitLines(string(want)),
		FromFile: committed + " (committed)", ToFile: from + " (rendered)", Context: 3,
	})
	fmt.Fprint(c.App.Writer, d)
	fix := "ngctl render -f " + from + " -o yaml"
	if len(c.StringSlice("filename")) == 0 {
		fix = "ngctl render -f FILE.hcl -o yaml for each changed HCL file"
	}
	return exitf(1, "%s does not match its source: render it again with %s and commit the result", committed, fix)
}

// splitSources lists, sorted, the HCL files under dir (the sources) and its YAML files
// (the committed manifests), for `ngctl render --check DIR`.
func splitSources(dir string) (sources, committed []string, err error) {
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(path) {
		case ".hcl":
			sources = append(sources, path)
		case ".yaml", ".yml", ".json":
			committed = append(committed, path)
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("render --check: %w", err)
	case len(sources) == 0:
		return nil, nil, fmt.Errorf("render --check %s: no .hcl source under %s; name the source with -f SOURCE", dir, dir)
	case len(committed) == 0:
		return nil, nil, fmt.Errorf("render --check %s: no committed YAML under %s; render it with ngctl render -f %s -o yaml", dir, dir, dir)
	}
	return sources, committed, nil
}

// canonicalYAML renders a set's objects as YAML, sorted by name.
func canonicalYAML(set *load.Set) ([]byte, error) {
	rules := slices.Clone(set.Rules)
	slices.SortFunc(rules, func(a, b *v1.NodeGuardianRule) int { return cmp.Compare(a.Name, b.Name) })
	tmpls := slices.Clone(set.Templates)
	slices.SortFunc(tmpls, func(a, b *v1.AlertTemplate) int { return cmp.Compare(a.Name, b.Name) })
	return render.YAML(rules, tmpls)
}
