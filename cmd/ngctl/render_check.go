package main

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/urfave/cli/v2"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/render"
)

// renderCheck is `ngctl render -f SOURCE --check COMMITTED`: the objects the sources
// (usually HCL) render to must be exactly the objects of the committed YAML, whatever
// their files, order and comments. Both sides are rendered canonically, sorted by kind
// and name; a difference is printed as a unified diff and exits 1.
func renderCheck(c *cli.Context, source *load.Set, committed string) error {
	target, diags := load.Paths([]string{committed}, nil)
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
		fmt.Fprintf(c.App.Writer, "%s matches %s: %s, %s\n", committed, joinPaths(c.StringSlice("filename")),
			plural(len(source.Rules), "rule"), plural(len(source.Templates), "alert template"))
		return nil
	}
	d, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(string(got)), B: difflib.SplitLines(string(want)),
		FromFile: committed + " (committed)", ToFile: joinPaths(c.StringSlice("filename")) + " (rendered)", Context: 3,
	})
	fmt.Fprint(c.App.Writer, d)
	return exitf(1, "%s does not match its source: render it again with ngctl render -f %s -o yaml and commit the result",
		committed, joinPaths(c.StringSlice("filename")))
}

// canonicalYAML renders a set's objects as YAML, sorted by name.
func canonicalYAML(set *load.Set) ([]byte, error) {
	rules := slices.Clone(set.Rules)
	slices.SortFunc(rules, func(a, b *v1.NodeGuardianRule) int { return cmp.Compare(a.Name, b.Name) })
	tmpls := slices.Clone(set.Templates)
	slices.SortFunc(tmpls, func(a, b *v1.AlertTemplate) int { return cmp.Compare(a.Name, b.Name) })
	return render.YAML(rules, tmpls)
}

func joinPaths(paths []string) string {
	out := ""
	for i, p := range paths {
		if i > 0 {
			out += " "
		}
		out += p
	}
	return out
}
