package alert

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Limits of one rendering. A template that exceeds one fails with an error, so a huge
// loop or range ends instead of hanging.
const (
	// MaxOutput is the most bytes one rendering may produce.
	MaxOutput = 64 << 10
	// MaxSteps is the most loop iterations (range, for) one rendering may run; Jinja's
	// range() yields at most 1000 numbers in all.
	MaxSteps = 10000
	// MaxSource is the longest template source compiled.
	MaxSource = 64 << 10
)

// Syntax is the template language of a text.
type Syntax int

// The syntaxes DetectSyntax tells apart.
const (
	Plain Syntax = iota // no {{, {% or {#: the text is used as it is
	Go                  // Go text/template: {{ .nodeName }}
	Jinja               // Jinja (gonja): {{ node_name }}, {{ x | round(2) }}
)

// String is the syntax's name: "plain", "go" or "jinja".
func (s Syntax) String() string {
	switch s {
	case Go:
		return "go"
	case Jinja:
		return "jinja"
	}
	return "plain"
}

// HasPlaceholders reports whether text is a template at all ({{, {% or {#).
func HasPlaceholders(text string) bool {
	return strings.Contains(text, "{{") || strings.Contains(text, "{%") || strings.Contains(text, "{#")
}

// goWords are the keywords and built-in functions of Go templates.
func goWord(w string) bool {
	switch w {
	case "range", "if", "with", "end", "else", "define", "template", "block", "break", "continue", "nil",
		"and", "or", "not", "call", "html", "index", "slice", "js", "len", "print", "printf", "println",
		"urlquery", "eq", "ne", "lt", "le", "gt", "ge":
		return true
	}
	return false
}

// DetectSyntax picks the engine of a template: Plain without any {{, {% or {#; Jinja
// when the text has a {% statement or {# comment; otherwise Go when some {{ action
// (after an optional "-" trim marker) starts with ".", "$", "/*", a quoted string, or a
// Go keyword or built-in function (range, if, with, end, printf, len, index, ...)
// followed by a space or "}}" (so Jinja's range(3) stays Jinja); else Jinja.
func DetectSyntax(text string) Syntax {
	if !HasPlaceholders(text) {
		return Plain
	}
	if strings.Contains(text, "{%") || strings.Contains(text, "{#") {
		return Jinja
	}
	for rest := text; ; {
		i := strings.Index(rest, "{{")
		if i < 0 {
			return Jinja
		}
		rest = rest[i+2:]
		a := strings.TrimPrefix(rest, "-")
		a = strings.TrimLeftFunc(a, unicode.IsSpace)
		switch {
		case strings.HasPrefix(a, "."), strings.HasPrefix(a, "$"), strings.HasPrefix(a, "/*"), strings.HasPrefix(a, "`"):
			return Go
		}
		end := strings.IndexFunc(a, func(r rune) bool { return !unicode.IsLetter(r) })
		if end < 0 {
			end = len(a)
		}
		if w, after := a[:end], a[end:]; goWord(w) &&
			(after == "" || strings.HasPrefix(after, " ") || strings.HasPrefix(after, "}}") || strings.HasPrefix(after, "-}}") || strings.HasPrefix(after, "\n") || strings.HasPrefix(after, "\t")) {
			return Go
		}
	}
}

// Template is a compiled template. It is safe for concurrent use: every Render has its
// own budget.
type Template struct {
	name   string
	syntax Syntax
	text   string
	goT    *goTemplate
	jinja  *jinjaTemplate
}

// Compile parses text as the syntax DetectSyntax picks; name appears in errors. Errors
// name the line and column inside the text when the engine says them.
func Compile(name, text string) (t *Template, err error) {
	defer func() { // the engines are third-party code: no input may crash the caller
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("%s: template cannot be compiled: %v", name, r)
		}
	}()
	if len(text) > MaxSource {
		return nil, fmt.Errorf("%s: template is %d bytes, more than %d", name, len(text), MaxSource)
	}
	t = &Template{name: name, syntax: DetectSyntax(text), text: text}
	switch t.syntax {
	case Go:
		t.goT, err = compileGo(name, text)
	case Jinja:
		t.jinja, err = compileJinja(name, text)
	}
	if err != nil {
		return nil, fmt.Errorf("%s (%s syntax): %w", name, t.syntax, err)
	}
	return t, nil
}

// Syntax is the template's syntax.
func (t *Template) Syntax() Syntax { return t.syntax }

// Render renders the template with c. An error says why; the caller falls back to a
// built-in text (Fallback).
func (t *Template) Render(c *Context) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("%s: rendering failed: %v", t.name, r)
		}
	}()
	switch t.syntax {
	case Go:
		out, err = t.goT.render(c)
	case Jinja:
		out, err = t.jinja.render(c)
	default:
		out = t.text
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", t.name, err)
	}
	return out, nil
}

// Unknown lists the variables the template names that no Context has ("nodename",
// "actions.severity"), sorted and without duplicates. Names under metrics, thresholds
// and nodeLabels are never unknown: which exist depends on the rule and the node.
func (t *Template) Unknown() []string {
	unknown, _ := t.check()
	return unknown
}

// MetricRefs lists the metrics the template names by their value or threshold —
// "metrics.diskUtilizationPercent", "thresholds.cpu_load_ratio" — sorted and without
// duplicates: a rule whose conditions lack one renders the built-in message instead.
func (t *Template) MetricRefs() []string {
	_, refs := t.check()
	return refs
}

func (t *Template) check() (unknown, refs []string) {
	switch t.syntax {
	case Go:
		return t.goT.unknown()
	case Jinja:
		return t.jinja.unknown()
	}
	return nil, nil
}

// Render compiles and renders text in one step; plain text is returned as it is.
func Render(name, text string, c *Context) (string, error) {
	if !HasPlaceholders(text) {
		return text, nil
	}
	t, err := Compile(name, text)
	if err != nil {
		return "", err
	}
	return t.Render(c)
}

// Fallback is the built-in alert: subject "[NodeGuardian] <rule> <event> on <node>" and
// the reason as body. Event is "firing" or "recovered".
func Fallback(rule, event, node, reason string) (subject, body string) {
	return "[NodeGuardian] " + rule + " " + event + " on " + node, reason
}

// limitError is the error of a budget limit.
type limitError string

// Error is the limit's message.
func (e limitError) Error() string { return string(e) }

// The limits' errors.
const (
	errOutput limitError = "output longer than 65536 bytes"
	errSteps  limitError = "more than 10000 loop iterations"
)

// budget bounds one rendering: output bytes written and loop steps taken.
type budget struct {
	out    strings.Builder
	steps  int
	ranged int // numbers Jinja's range() yielded
}

// Write appends p unless the output would exceed MaxOutput.
func (b *budget) Write(p []byte) (int, error) {
	if b.out.Len()+len(p) > MaxOutput {
		return 0, errOutput
	}
	return b.out.Write(p)
}

// WriteString is Write for strings.
func (b *budget) WriteString(s string) (int, error) {
	if b.out.Len()+len(s) > MaxOutput {
		return 0, errOutput
	}
	return b.out.WriteString(s)
}

// step takes n loop steps.
func (b *budget) step(n int) error {
	if n < 0 || b.steps+n > MaxSteps {
		return errSteps
	}
	b.steps += n
	return nil
}

// isLimit reports whether err is one of the budget's limits.
func isLimit(err error) bool { return errors.Is(err, errOutput) || errors.Is(err, errSteps) }
