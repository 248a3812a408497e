package alert

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/builtins"
	controlStructures "github.com/nikolalohinski/gonja/v2/builtins/control_structures"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// budgetKey is where a Jinja rendering finds its budget: not a name a template can write.
const budgetKey = "\x00budget"

// jinjaStatements are the statements alert templates may use. Left out: include, import,
// from and extends (they read files), macro and call (recursion), set, with and do
// (values growing from one loop step to the next).
func jinjaStatements() []string {
	return []string{"if", "for", "break", "continue", "filter", "raw", "autoescape"}
}

// jinjaFilters are the filters alert templates may use: none that reads anything,
// pads or repeats text, or is random.
func jinjaFilters() []string {
	return []string{
		"abs", "attr", "capitalize", "default", "d", "dictsort", "e", "escape", "first", "float",
		"int", "join", "items", "last", "length", "count", "list", "lower", "map", "max", "min",
		"reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr",
		"sort", "string", "striptags", "sum", "title", "tojson", "trim", "truncate", "unique",
		"upper", "urlencode", "wordcount",
	}
}

// jinjaTemplate is a compiled Jinja template (gonja), with an environment of its own:
// the statements and filters above, a range() that takes steps of the budget, and a
// step at the start of every for body.
type jinjaTemplate struct {
	t      *exec.Template
	tokens []*tokens.Token
}

// tickCS is the statement inserted at the start of every for body: one budget step.
type tickCS struct{ loc *tokens.Token }

func (s *tickCS) Position() *tokens.Token { return s.loc }
func (s *tickCS) String() string          { return "step" }

// Execute takes one step of the rendering's budget.
func (s *tickCS) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	v, _ := r.Environment.Context.Get(budgetKey)
	b, ok := v.(*budget)
	if !ok {
		return errors.New("no budget")
	}
	return b.step(1)
}

func jinjaEnvironment() (*exec.Environment, *config.Config, error) {
	filters := map[string]exec.FilterFunction{}
	for _, name := range jinjaFilters() {
		if f, ok := builtins.Filters.Get(name); ok {
			filters[name] = f
		}
	}
	statements := map[string]parser.ControlStructureParser{}
	for _, name := range jinjaStatements() {
		if p, ok := controlStructures.All.Get(name); ok {
			statements[name] = p
		}
	}
	forParser, ok := statements["for"]
	if !ok {
		return nil, nil, errors.New("gonja has no for statement")
	}
	statements["for"] = func(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
		cs, err := forParser(p, args)
		if err != nil {
			return nil, err
		}
		if f, ok := cs.(*controlStructures.ForControlStructure); ok && f.BodyWrapper != nil {
			tick := &nodes.ControlStructureBlock{Location: f.BodyWrapper.Location, Name: "step", ControlStructure: &tickCS{loc: f.BodyWrapper.Location}}
			f.BodyWrapper.Nodes = append([]nodes.Node{tick}, f.BodyWrapper.Nodes...)
		}
		return cs, nil
	}
	cfg := config.New()
	cfg.KeepTrailingNewline = true
	cfg.StrictUndefined = true // an undefined name is a rendering error (the built-in message), as in Go templates
	env := &exec.Environment{
		Context:           exec.EmptyContext(),
		Filters:           exec.NewFilterSet(filters),
		Tests:             builtins.Tests,
		ControlStructures: exec.NewControlStructureSet(statements),
		Methods: exec.Methods{
			Bool:  exec.NewMethodSet(map[string]exec.Method[bool]{}),
			Int:   exec.NewMethodSet(map[string]exec.Method[int]{}),
			Float: exec.NewMethodSet(map[string]exec.Method[float64]{}),
			Str:   exec.NewMethodSet(map[string]exec.Method[string]{}),
			Dict:  exec.NewMethodSet(map[string]exec.Method[map[string]any]{}),
			List:  exec.NewMethodSet(map[string]exec.Method[[]any]{}),
		},
	}
	return env, cfg, nil
}

func compileJinja(name, text string) (*jinjaTemplate, error) {
	env, cfg, err := jinjaEnvironment()
	if err != nil {
		return nil, err
	}
	toks := tokens.LexAll(text, cfg)
	var all []*tokens.Token
	for ; !toks.End(); toks.Next() {
		tok := toks.Current()
		if tok.Type == tokens.Power {
			return nil, fmt.Errorf("line %d column %d: ** is not supported in alert templates", tok.Line, tok.Col)
		}
		all = append(all, tok)
	}
	if err := checkMultiply(all); err != nil {
		return nil, err
	}
	if tok := toks.Current(); tok != nil && tok.Type == tokens.Error {
		return nil, fmt.Errorf("line %d column %d: %s", tok.Line, tok.Col, tok.Val)
	}
	loader, err := loaders.NewMemoryLoader(map[string]string{"/" + name: text})
	if err != nil {
		return nil, err
	}
	t, err := exec.NewTemplate("/"+name, cfg, loader, env)
	if err != nil {
		return nil, cleanJinjaError(err, text)
	}
	return &jinjaTemplate{t: t, tokens: all}, nil
}

// cleanJinjaError drops the template source gonja puts into its parse errors.
func cleanJinjaError(err error, text string) error {
	msg := err.Error()
	if i := strings.Index(msg, text); i >= 0 && text != "" {
		msg = msg[:i] + "…" + msg[i+len(text):]
	}
	msg = strings.TrimPrefix(msg, "failed to parse template '…': ")
	return errors.New(msg)
}

func (j *jinjaTemplate) render(c *Context) (string, error) {
	var b budget
	data := c.Map()
	data[budgetKey] = &b
	data["range"] = func(_ *exec.Evaluator, params *exec.VarArgs) ([]int, error) {
		return budgetRange(&b, params)
	}
	if err := j.t.Execute(&b, exec.NewContext(data)); err != nil {
		if isLimit(err) {
			return "", fmt.Errorf("rendering stopped: %w", limitOf(err))
		}
		return "", errors.New(strings.TrimPrefix(err.Error(), "unable to execute template: "))
	}
	return b.out.String(), nil
}

// maxFactor is the largest number a * may have as a literal operand.
const maxFactor = 1000

// checkMultiply bounds what * can build, since 'text' * n repeats text: at most one *
// per expression, neither operand a string literal, a number literal at most maxFactor.
func checkMultiply(toks []*tokens.Token) error {
	stars := 0
	for i, tok := range toks {
		switch tok.Type {
		case tokens.VariableBegin, tokens.BlockBegin:
			stars = 0
		case tokens.Multiply:
			if stars++; stars > 1 {
				return fmt.Errorf("line %d column %d: at most one * per expression in alert templates", tok.Line, tok.Col)
			}
			for _, k := range []int{i - 1, i + 1} {
				if k < 0 || k >= len(toks) {
					continue
				}
				switch o := toks[k]; o.Type {
				case tokens.String:
					return fmt.Errorf("line %d column %d: * cannot repeat a string literal in alert templates", tok.Line, tok.Col)
				case tokens.Integer, tokens.Float:
					if f, err := strconv.ParseFloat(o.Val, 64); err != nil || math.Abs(f) > maxFactor {
						return fmt.Errorf("line %d column %d: * by %s: at most %d in alert templates", tok.Line, tok.Col, o.Val, maxFactor)
					}
				}
			}
		}
	}
	return nil
}

// maxRange is the most numbers range() yields in one rendering, all calls together.
const maxRange = 1000

// budgetRange is Jinja's range([start,] stop[, step]); every number it yields is a step.
func budgetRange(b *budget, params *exec.VarArgs) ([]int, error) {
	start, stop, step := 0, 0, 1
	ints := make([]int, 0, 3)
	for _, a := range params.Args {
		if !a.IsInteger() {
			return nil, errors.New("range: arguments must be integers")
		}
		ints = append(ints, a.Integer())
	}
	switch len(ints) {
	case 1:
		stop = ints[0]
	case 2:
		start, stop = ints[0], ints[1]
	case 3:
		start, stop, step = ints[0], ints[1], ints[2]
	default:
		return nil, errors.New("range: expected [start,] stop[, step]")
	}
	if step == 0 {
		return nil, errors.New("range: step cannot be 0")
	}
	var out []int
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		if b.ranged++; b.ranged > maxRange {
			return nil, fmt.Errorf("range: more than %d numbers", maxRange)
		}
		out = append(out, i)
	}
	return out, nil
}
