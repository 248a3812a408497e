package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nodeguardian/nodeguardian/internal/engine"
	"github.com/nodeguardian/nodeguardian/internal/live"
	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/plan"
	"github.com/nodeguardian/nodeguardian/internal/plandiff"
)

// workingTree names the head side when it is read from disk.
const workingTree = "working tree"

func diffCommand() *cli.Command {
	return failIncomplete(&cli.Command{
		Name:  "diff",
		Usage: "show what a change of the rules would do to the fleet: the plans of two versions compared, for pull-request review",
		Flags: append(planFlags("diff"),
			&cli.StringFlag{Name: "base", Usage: "compare with the rules at Git `REF` (branch, tag, commit, origin/main, HEAD~1) of the repository holding the -f paths"},
			&cli.StringFlag{Name: "head", Usage: "compare with the rules at Git `REF` instead of the working tree"},
			outputFlag("text", "json", "markdown"),
			&cli.BoolFlag{Name: "detailed-exitcode", Usage: "exit 0 when the effects are the same, 1 on error, 2 when they differ"},
		),
		Action: runDiff,
	})
}

// diffSide is one version of the rules.
type diffSide struct {
	ref, commit string
	set         *load.Set
	objects     []plandiff.Object
	plan        *plan.Plan
}

func runDiff(c *cli.Context) error {
	paths := c.StringSlice("filename")
	switch {
	case len(paths) == 0:
		return exitf(1, "diff needs the rule files: ngctl diff --base origin/main -f rules/ --snapshot fleet.yaml")
	case c.String("base") == "":
		return exitf(1, "diff needs --base REF, the Git ref to compare with: ngctl diff --base origin/main -f %s ...", paths[0])
	case slices.Contains(paths, "-"):
		return exitf(1, "diff reads the rules from Git and the working tree: -f - (stdin) is not supported; give the files' paths")
	case c.Bool("from-cluster"):
		return exitf(1, "diff compares rule files of two Git refs: --from-cluster is not supported; give the files with -f")
	}
	base, head, err := loadDiffSides(c, paths)
	if err != nil {
		return err
	}
	in, err := readFleetInputs(c, head.set)
	if err != nil {
		return err
	}
	if err := checkDiffRule(in.opts.Rule, base.set, head.set); err != nil {
		return err
	}
	in.opts.RuleMayBeAbsent = true // --rule NAME of a rule one version lacks: that version plans nothing
	if err := planBoth(c, in, base, head); err != nil {
		return err
	}
	d := plandiff.New(
		plandiff.Input{Ref: base.ref, Commit: base.commit, Plan: base.plan, Objects: base.objects},
		plandiff.Input{Ref: head.ref, Commit: head.commit, Plan: head.plan, Objects: head.objects})
	if err := renderDiff(c, d); err != nil {
		return err
	}
	if c.Bool("detailed-exitcode") && d.HasEffectChanges() {
		return exitf(exitChanges, "")
	}
	return nil
}

// loadDiffSides loads the base rules from Git and the head rules from Git (--head) or
// the working tree; rules that do not validate on either side are an error naming
// the side, with the diagnostics.
func loadDiffSides(c *cli.Context, paths []string) (*diffSide, *diffSide, error) {
	repo, err := load.OpenRepo(paths[0])
	if err != nil {
		return nil, nil, exitf(1, "%v", err)
	}
	rels := make([]string, len(paths))
	for i, p := range paths {
		if rels[i], err = repo.Rel(p); err != nil {
			return nil, nil, exitf(1, "%v", err)
		}
	}
	var problems []string
	base, err := gitSide(c, repo, c.String("base"), rels, &problems)
	if err != nil {
		return nil, nil, err
	}
	var head *diffSide
	if ref := c.String("head"); ref != "" {
		head, err = gitSide(c, repo, ref, rels, &problems)
	} else {
		head, err = treeSide(c, repo, paths, &problems)
	}
	if err != nil {
		return nil, nil, err
	}
	if len(problems) > 0 {
		return nil, nil, exitf(1, "%s", strings.Join(problems, "\n"))
	}
	return base, head, nil
}

// gitSide loads the rules at ref.
func gitSide(c *cli.Context, repo *load.Repo, ref string, rels []string, problems *[]string) (*diffSide, error) {
	commit, err := repo.Resolve(ref)
	if err != nil {
		return nil, exitf(1, "%v", err)
	}
	set, diags, err := repo.Load(ref, rels)
	if err != nil {
		return nil, exitf(1, "%v", err)
	}
	s := &diffSide{ref: ref, commit: commit.Hash.String(), set: set}
	prefix := ref + ":"
	return s, s.check(c, diags, problems, func(f string) string { return strings.TrimPrefix(f, prefix) })
}

// treeSide loads the rules of the working tree.
func treeSide(c *cli.Context, repo *load.Repo, paths []string, problems *[]string) (*diffSide, error) {
	set, diags := load.Paths(paths, nil)
	s := &diffSide{ref: workingTree, set: set}
	return s, s.check(c, diags, problems, func(f string) string {
		if rel, err := repo.Rel(f); err == nil {
			return rel
		}
		return f
	})
}

// check records a side's errors in problems, prints its warnings, and lists its
// objects with repository-relative files.
func (s *diffSide) check(c *cli.Context, diags load.Diagnostics, problems *[]string, file func(string) string) error {
	if diags.HasErrors() {
		*problems = append(*problems, fmt.Sprintf("the rules at %s do not validate:\n%s", s.ref, trimNL(diags.Errors().Error())))
		return nil
	}
	for _, w := range diags.Warnings() {
		fmt.Fprintf(c.App.ErrWriter, "%s\n", w.String())
	}
	var err error
	if s.objects, err = plandiff.ObjectsOf(s.set, file); err != nil {
		return exitf(1, "%v", err)
	}
	return nil
}

// checkDiffRule refuses --rule NAME when neither side has the rule.
func checkDiffRule(name string, sets ...*load.Set) error {
	if name == "" {
		return nil
	}
	var names []string
	for _, s := range sets {
		for _, r := range s.Rules {
			if r.Name == name {
				return nil
			}
			names = append(names, r.Name)
		}
	}
	slices.Sort(names)
	return exitf(1, "no rule named %q in either version of the rules; rules: %s", name, someNames(slices.Compact(names)))
}

// planBoth computes both plans on one fleet at one instant: a snapshot read once, or
// one read of the live cluster for both versions' needs.
func planBoth(c *cli.Context, in *planInputs, base, head *diffSide) error {
	if in.src != nil {
		bp, hp, st, err := live.PlanPair(in.ctx, *in.src,
			live.RuleSet{Rules: base.set.Rules, Tmpls: base.set.Templates},
			live.RuleSet{Rules: head.set.Rules, Tmpls: head.set.Templates}, in.opts)
		if err != nil {
			return exitf(1, "%v", err)
		}
		in.state = st
		if rec, ok := c.Context.Value(incompleteKey{}).(*error); ok {
			*rec = live.Incomplete(st)
		}
		base.plan, head.plan = bp, hp
		return checkNodeSelector(in)
	}
	f, err := engine.FromSnapshot(in.snapshot)
	if err != nil {
		return exitf(1, "%s: %v", in.file, err)
	}
	if err := checkNodeSelector(in); err != nil {
		return err
	}
	// One evaluation of every rule the two versions share (engine.EvaluatePair).
	bev, hev, err := engine.EvaluatePair(base.set.Rules, head.set.Rules, base.set.Templates, head.set.Templates, f, in.opts)
	if err != nil {
		return exitf(1, "plan the rules at %s and at %s: %v", base.ref, head.ref, err)
	}
	base.plan, head.plan = bev.Plan(f, in.opts.Refusals), hev.Plan(f, in.opts.Refusals)
	return nil
}

func renderDiff(c *cli.Context, d *plandiff.Diff) error {
	w := c.App.Writer
	switch format := c.String("output"); format {
	case "text":
		return plandiff.RenderText(w, d)
	case "json":
		return plandiff.RenderJSON(w, d)
	case "markdown", "md":
		return plandiff.RenderMarkdown(w, d)
	default:
		return exitf(1, "unknown output %q (want text, json or markdown)", format)
	}
}
