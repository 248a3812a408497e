package alert

import (
	"slices"

	"text/template/parse"

	"github.com/nikolalohinski/gonja/v2/tokens"
)

// shape is what a name stands for, for the unknown-variable check.
type shape struct {
	kind   int      // shapeRoot, shapeAny, shapeList, shapeElem, shapeLeaf
	fields []string // of the elements (shapeList) or of the element (shapeElem)
	of     string   // the list's name (shapeList, shapeElem)
}

const (
	shapeUnknown = iota // not checked further ($x variables, results of functions)
	shapeRoot
	shapeAny // any key: metrics, thresholds, nodeLabels
	shapeList
	shapeElem
	shapeLeaf
)

// rootField is the shape of a top-level variable, and whether there is one.
func rootField(name string) (shape, bool) {
	if !slices.Contains(Variables(), name) {
		return shape{}, false
	}
	switch name {
	case "metrics", "thresholds", "nodeLabels", "node_labels":
		return shape{kind: shapeAny}, true
	}
	if f, ok := elementFields(name); ok {
		return shape{kind: shapeList, fields: f, of: name}, true
	}
	return shape{kind: shapeLeaf}, true
}

// field resolves one more name under s: its shape, or ok=false when s has no such name.
func (s shape) field(name string) (shape, bool) {
	switch s.kind {
	case shapeRoot:
		return rootField(name)
	case shapeAny:
		return shape{kind: shapeLeaf}, true
	case shapeElem:
		if slices.Contains(s.fields, name) {
			return shape{kind: shapeLeaf}, true
		}
		return shape{}, false
	case shapeList, shapeLeaf:
		return shape{}, false
	}
	return shape{}, true
}

// elem is the shape of what ranging over s gives.
func (s shape) elem() shape {
	switch s.kind {
	case shapeList:
		return shape{kind: shapeElem, fields: s.fields, of: s.of}
	case shapeAny:
		return shape{kind: shapeLeaf}
	}
	return shape{}
}

// path resolves names under s; it returns the shape and the first unknown prefix.
func (s shape) path(names []string) (shape, string) {
	for i, n := range names {
		next, ok := s.field(n)
		if !ok {
			if s.kind == shapeElem && i == 0 {
				return shape{}, s.of + "[]." + n
			}
			return shape{}, joinPath(names[:i+1])
		}
		s = next
	}
	return s, ""
}

func joinPath(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += "."
		}
		out += n
	}
	return out
}

// metricRef is "metrics.X" or "thresholds.X" when names, resolved from s, name one
// metric's value or threshold; "" otherwise.
func metricRef(s shape, names []string) string {
	if s.kind == shapeRoot && len(names) >= 2 && (names[0] == "metrics" || names[0] == "thresholds") {
		return names[0] + "." + names[1]
	}
	return ""
}

// unknown walks the Go template, following what dot is inside range and with; it also
// returns the metrics it names (metricRef).
func (g *goTemplate) unknown() (out, refs []string) {
	root := shape{kind: shapeRoot}
	resolve := func(s shape, names []string) shape {
		got, bad := s.path(names)
		if bad != "" {
			out = append(out, bad)
		}
		if r := metricRef(s, names); r != "" {
			refs = append(refs, r)
		}
		return got
	}
	var walk func(n parse.Node, dot shape)
	pipeShape := func(p *parse.PipeNode, dot shape) shape {
		if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
			walk(p, dot)
			return shape{}
		}
		switch a := p.Cmds[0].Args[0].(type) {
		case *parse.FieldNode:
			return resolve(dot, a.Ident)
		case *parse.VariableNode:
			if len(a.Ident) > 0 && a.Ident[0] == "$" {
				return resolve(root, a.Ident[1:])
			}
		case *parse.DotNode:
			return dot
		}
		walk(p, dot)
		return shape{}
	}
	walk = func(n parse.Node, dot shape) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c, dot)
			}
		case *parse.ActionNode:
			walk(n.Pipe, dot)
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				walk(c, dot)
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a, dot)
			}
		case *parse.FieldNode:
			resolve(dot, n.Ident)
		case *parse.VariableNode:
			if len(n.Ident) > 1 && n.Ident[0] == "$" {
				resolve(root, n.Ident[1:])
			}
		case *parse.IfNode:
			walk(n.Pipe, dot)
			walk(n.List, dot)
			walk(n.ElseList, dot)
		case *parse.RangeNode:
			s := pipeShape(n.Pipe, dot)
			if len(n.Pipe.Decl) > 0 {
				s = shape{} // {{ range $i, $x := ... }}: dot is still the element, $x not followed
			}
			walk(n.List, s.elem())
			walk(n.ElseList, dot)
		case *parse.WithNode:
			s := pipeShape(n.Pipe, dot)
			walk(n.List, s)
			walk(n.ElseList, dot)
		}
	}
	walk(g.t.Tree.Root, root)
	return sortedSet(out), sortedSet(refs)
}

// sortedSet is s sorted, without duplicates.
func sortedSet(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// unknown scans the Jinja tokens: names in expressions that are neither variables of the
// context nor bound by a for, and attributes of list elements the elements do not have;
// and the metrics it names (metricRef).
func (j *jinjaTemplate) unknown() (out, refs []string) {
	locals := map[string]shape{"loop": {}}
	inExpr, stmtStart := false, false
	var prev *tokens.Token
	for i, tok := range j.tokens {
		switch tok.Type {
		case tokens.VariableBegin:
			inExpr, prev = true, nil
			continue
		case tokens.BlockBegin:
			inExpr, stmtStart, prev = true, true, nil
			continue
		case tokens.VariableEnd, tokens.BlockEnd:
			inExpr = false
			continue
		case tokens.Whitespace:
			continue
		}
		if !inExpr {
			continue
		}
		if tok.Type == tokens.Name && stmtStart {
			stmtStart = false
			if tok.Val == "for" {
				j.bindFor(i, locals)
			}
			prev = tok
			continue
		}
		stmtStart = false
		if tok.Type == tokens.Name && !j.skipName(i, prev, locals) {
			names := []string{tok.Val}
			for k := i + 1; k+1 < len(j.tokens) && j.tokens[k].Type == tokens.Dot && j.tokens[k+1].Type == tokens.Name; k += 2 {
				names = append(names, j.tokens[k+1].Val)
			}
			start := shape{kind: shapeRoot}
			if s, ok := locals[names[0]]; ok {
				start, names = s, names[1:]
			}
			if _, bad := start.path(names); bad != "" {
				out = append(out, bad)
			}
			if r := metricRef(start, names); r != "" {
				refs = append(refs, r)
			}
		}
		prev = tok
	}
	return sortedSet(out), sortedSet(refs)
}

// bindFor records the names a "for" at token i binds: "for p in topPods" makes p an
// element of topPods.
func (j *jinjaTemplate) bindFor(i int, locals map[string]shape) {
	var names []string
	k := i + 1
	for ; k < len(j.tokens) && j.tokens[k].Type != tokens.In && j.tokens[k].Type != tokens.BlockEnd; k++ {
		if j.tokens[k].Type == tokens.Name {
			names = append(names, j.tokens[k].Val)
		}
	}
	elem := shape{}
	for k++; k < len(j.tokens) && j.tokens[k].Type == tokens.Whitespace; k++ {
	}
	if k < len(j.tokens) && j.tokens[k].Type == tokens.Name && len(names) == 1 {
		if s, ok := rootField(j.tokens[k].Val); ok && (k+1 >= len(j.tokens) || j.tokens[k+1].Type != tokens.Dot) {
			elem = s.elem()
		}
	}
	for _, n := range names {
		locals[n] = elem
	}
}

// skipName: names that are not variable references — after . | is or "filter", before
// ( or = (calls, keyword arguments), the literals, for-bound names checked via locals.
func (j *jinjaTemplate) skipName(i int, prev *tokens.Token, locals map[string]shape) bool {
	tok := j.tokens[i]
	if prev != nil && (prev.Type == tokens.Dot || prev.Type == tokens.Pipe || prev.Type == tokens.Is ||
		(prev.Type == tokens.Name && (prev.Val == "filter" || prev.Val == "for"))) {
		return true
	}
	if next := j.next(i); next != nil && (next.Type == tokens.LeftParenthesis || next.Type == tokens.Assign) {
		return true
	}
	switch tok.Val {
	case "true", "false", "none", "True", "False", "None", "if", "else", "in", "not", "and", "or", "is", "recursive":
		return true
	}
	return false
}

func (j *jinjaTemplate) next(i int) *tokens.Token {
	for k := i + 1; k < len(j.tokens); k++ {
		if j.tokens[k].Type != tokens.Whitespace {
			return j.tokens[k]
		}
	}
	return nil
}
