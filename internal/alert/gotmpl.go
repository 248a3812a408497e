package alert

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
)

// stepFunc is the function every range body of a Go template calls first; each call
// takes one step of the rendering's budget.
const stepFunc = "ngStep"

// goTemplate is a compiled Go template. Rendering uses missingkey=error: naming a map key
// that is not there (.metrics.diskUtilizationPercent where the rule has no such metric)
// is a rendering error, so the alert falls back to the built-in message; use
// {{ index .metrics "name" }} for a value that may be missing.
type goTemplate struct {
	t    *template.Template
	text string
}

func compileGo(name, text string) (*goTemplate, error) {
	t, err := template.New(name).Option("missingkey=error").
		Funcs(template.FuncMap{stepFunc: func() (string, error) { return "", nil }}).Parse(text)
	if err != nil {
		return nil, err
	}
	if len(t.Templates()) > 1 {
		return nil, errors.New("{{ define }} and {{ block }} are not supported in alert templates")
	}
	step, err := template.New("step").Funcs(template.FuncMap{stepFunc: func() string { return "" }}).Parse("{{" + stepFunc + "}}")
	if err != nil {
		return nil, err
	}
	stepNode := step.Tree.Root.Nodes[0]
	var walkErr error
	walkGo(t.Tree.Root, func(n parse.Node) {
		switch n := n.(type) {
		case *parse.TemplateNode:
			walkErr = fmt.Errorf("line %d: {{ template }} is not supported in alert templates", lineAt(text, int(n.Position())))
		case *parse.RangeNode:
			n.List.Nodes = slices.Insert(n.List.Nodes, 0, stepNode)
		}
	})
	if walkErr != nil {
		return nil, walkErr
	}
	return &goTemplate{t: t, text: text}, nil
}

// lineAt is the 1-based line of byte offset pos in text.
func lineAt(text string, pos int) int {
	return 1 + strings.Count(text[:min(max(pos, 0), len(text))], "\n")
}

// walkGo calls f for n and every node under it, before descending.
func walkGo(n parse.Node, f func(parse.Node)) {
	if n == nil {
		return
	}
	f(n)
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkGo(c, f)
		}
	case *parse.ActionNode:
		walkGo(n.Pipe, f)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walkGo(c, f)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walkGo(a, f)
		}
	case *parse.ChainNode:
		walkGo(n.Node, f)
	case *parse.IfNode:
		walkBranch(&n.BranchNode, f)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, f)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, f)
	}
}

func walkBranch(b *parse.BranchNode, f func(parse.Node)) {
	walkGo(b.Pipe, f)
	if b.List != nil {
		walkGo(b.List, f)
	}
	if b.ElseList != nil {
		walkGo(b.ElseList, f)
	}
}

func (g *goTemplate) render(c *Context) (string, error) {
	t, err := g.t.Clone()
	if err != nil {
		return "", err
	}
	var b budget
	t.Funcs(template.FuncMap{stepFunc: func() (string, error) { return "", b.step(1) }})
	if err := t.Execute(&b, c.toMap(func(v float64) any { return Number(v) })); err != nil {
		if isLimit(err) {
			return "", fmt.Errorf("rendering stopped: %w", limitOf(err))
		}
		return "", err
	}
	return b.out.String(), nil
}

// limitOf is the budget limit err wraps.
func limitOf(err error) error {
	if errors.Is(err, errOutput) {
		return errOutput
	}
	return errSteps
}
