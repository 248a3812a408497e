package render

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// HCL block types of the two kinds.
const (
	blockRule          = "rule"
	blockAlertTemplate = "alert_template"
)

// heredocMarker closes the heredocs the renderer writes.
const heredocMarker = "EOT"

// writeHCL renders the objects as one HCL file, not yet formatted.
func writeHCL(objs []object) ([]byte, error) {
	f := hclwrite.NewEmptyFile()
	root := f.Body()
	for i, o := range objs {
		if i > 0 {
			root.AppendNewline()
		}
		blockType := blockRule
		if o.kind == v1.KindAlertTemplate {
			blockType = blockAlertTemplate
		}
		block := root.AppendNewBlock(blockType, []string{o.name})
		var fields []field
		if o.labels != nil {
			fields = append(fields, field{name: "labels", value: o.labels})
		}
		if o.annotations != nil {
			fields = append(fields, field{name: "annotations", value: o.annotations})
		}
		fields = append(fields, o.spec.fields...)
		if err := writeBody(block.Body(), fields, 1, true); err != nil {
			return nil, fmt.Errorf("%s %q: %w", blockType, o.name, err)
		}
	}
	return f.Bytes(), nil
}

// writeBody writes the fields of an object into an HCL body at nesting depth depth:
// first the attributes, then the blocks, each in field order. In the top body of a
// rule or template a blank line separates the attributes and each kind of block.
func writeBody(body *hclwrite.Body, fields []field, depth int, top bool) error {
	var blocks []field
	for _, f := range fields {
		if isBlock(f.value) {
			blocks = append(blocks, f)
			continue
		}
		toks, err := exprTokens(f.value, depth, true)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		body.SetAttributeRaw(snakeCase(f.name), toks)
	}
	for i, f := range blocks {
		if top && (i > 0 || len(blocks) < len(fields)) {
			body.AppendNewline()
		}
		name, items := snakeCase(f.name), []*node{f.value}
		if f.value.kind == kindList {
			name, items = singular(name), f.value.items
		}
		for j, item := range items {
			if len(item.fields) == 0 {
				body.AppendUnstructuredTokens(emptyBlockTokens(name))
				continue
			}
			block := body.AppendNewBlock(name, nil)
			if err := writeBody(block.Body(), item.fields, depth+1, false); err != nil {
				return fmt.Errorf("%s[%d]: %w", f.name, j, err)
			}
		}
	}
	return nil
}

// emptyBlockTokens writes a block without content on one line: `cordon {}`.
func emptyBlockTokens(name string) hclwrite.Tokens {
	return hclwrite.Tokens{
		{Type: hclsyntax.TokenIdent, Bytes: []byte(name)},
		{Type: hclsyntax.TokenOBrace, Bytes: []byte("{")},
		{Type: hclsyntax.TokenCBrace, Bytes: []byte("}")},
		{Type: hclsyntax.TokenNewline, Bytes: []byte("\n")},
	}
}

// isBlock reports whether a field is written as blocks: a struct, or a list of them.
func isBlock(n *node) bool {
	switch n.kind {
	case kindObject:
		return true
	case kindList:
		if len(n.items) == 0 {
			return false
		}
		for _, item := range n.items {
			if item.kind != kindObject {
				return false
			}
		}
		return true
	}
	return false
}

// exprTokens writes a value as an HCL expression. A multi-line string that is the
// whole value of an attribute at depth depth becomes a heredoc when allowed.
func exprTokens(n *node, depth int, allowHeredoc bool) (hclwrite.Tokens, error) {
	switch n.kind {
	case kindString:
		if allowHeredoc && heredocable(n.text) {
			return heredocTokens(n.text, depth), nil
		}
		return hclwrite.TokensForValue(cty.StringVal(n.text)), nil
	case kindNumber:
		return hclwrite.Tokens{{Type: hclsyntax.TokenNumberLit, Bytes: []byte(n.text)}}, nil
	case kindBool, kindNull:
		text := n.text
		if n.kind == kindNull {
			text = "null"
		}
		return hclwrite.Tokens{{Type: hclsyntax.TokenIdent, Bytes: []byte(text)}}, nil
	case kindList:
		elems := make([]hclwrite.Tokens, 0, len(n.items))
		for i, item := range n.items {
			toks, err := exprTokens(item, depth, false)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i, err)
			}
			elems = append(elems, toks)
		}
		return hclwrite.TokensForTuple(elems), nil
	case kindMap:
		attrs := make([]hclwrite.ObjectAttrTokens, 0, len(n.fields))
		for _, f := range n.fields {
			toks, err := exprTokens(f.value, depth, false)
			if err != nil {
				return nil, fmt.Errorf("key %q: %w", f.name, err)
			}
			// Keys are user data: always quoted, never read as a variable.
			attrs = append(attrs, hclwrite.ObjectAttrTokens{
				Name:  hclwrite.TokensForValue(cty.StringVal(f.name)),
				Value: toks,
			})
		}
		return hclwrite.TokensForObject(attrs), nil
	}
	return nil, fmt.Errorf("an object cannot be written as an attribute value")
}

// heredocable reports whether s reads back unchanged from a flush heredoc (<<-EOT)
// whose lines the renderer indents: a final newline, no carriage returns or other
// control characters, no line that is the marker, and at least one line that starts
// without white space (the parser strips the indentation common to all lines).
func heredocable(s string) bool {
	if !strings.HasSuffix(s, "\n") {
		return false
	}
	flush := false
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		for _, r := range line {
			if r != '\t' && !unicode.IsPrint(r) && !unicode.IsSpace(r) {
				return false
			}
			if r == '\r' {
				return false
			}
		}
		trimmed := strings.TrimLeftFunc(line, unicode.IsSpace)
		if trimmed == "" {
			continue
		}
		if strings.TrimSpace(line) == heredocMarker || unicode.Is(unicode.M, []rune(trimmed)[0]) {
			return false
		}
		if len(trimmed) == len(line) {
			flush = true
		}
	}
	return flush
}

// heredocTokens writes s as a flush heredoc for an attribute at depth depth: content
// lines indented one level deeper, blank lines kept as they are, and template
// introducers escaped.
func heredocTokens(s string, depth int) hclwrite.Tokens {
	indent := strings.Repeat("  ", depth+1)
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if strings.TrimLeftFunc(line, unicode.IsSpace) != "" {
			b.WriteString(indent)
		}
		b.WriteString(escapeTemplate(line))
		b.WriteByte('\n')
	}
	return hclwrite.Tokens{
		{Type: hclsyntax.TokenOHeredoc, Bytes: []byte("<<-" + heredocMarker + "\n")},
		{Type: hclsyntax.TokenStringLit, Bytes: []byte(b.String())},
		{Type: hclsyntax.TokenCHeredoc, Bytes: []byte(strings.Repeat("  ", depth) + heredocMarker)},
	}
}

// escapeTemplate doubles the template introducers ${ and %{ so they stay literal.
func escapeTemplate(s string) string {
	s = strings.ReplaceAll(s, "${", "$${")
	return strings.ReplaceAll(s, "%{", "%%{")
}
