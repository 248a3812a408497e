package load

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/nodeguardian/nodeguardian/internal/srclimit"
)

// parseHCL reads the rule and alert_template blocks of an HCL file into documents of
// the same shape as YAML manifests. The second result holds file-level problems.
func parseHCL(src *source, file string, data []byte) ([]*document, Diagnostics) {
	if err := srclimit.CheckHCL(file, data); err != nil {
		return nil, Diagnostics{limitDiag(src, err)}
	}
	f, hdiags := hclsyntax.ParseConfig(data, file, hcl.InitialPos)
	ds := hclDiagnostics(src, hdiags, "")
	if hdiags.HasErrors() || f == nil {
		return nil, ds
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil, append(ds, src.diagAt(Error, pos{line: 1, col: 1}, "", "not an HCL native-syntax file"))
	}
	for _, a := range sortedAttributes(body) {
		ds = append(ds, src.diagAt(Error, hpos(a.NameRange.Start), "",
			fmt.Sprintf("unexpected attribute %q: a file holds only rule and alert_template blocks", a.Name)))
	}
	var docs []*document
	for _, blk := range body.Blocks {
		var k string
		switch blk.Type {
		case "rule":
			k = kindRule
		case "alert_template":
			k = kindTemplate
		default:
			ds = append(ds, src.diagAt(Error, hpos(blk.TypeRange.Start), "",
				fmt.Sprintf(`unknown block type %q; expected "rule" or "alert_template"`, blk.Type)))
			continue
		}
		if len(blk.Labels) != 1 {
			ds = append(ds, src.diagAt(Error, hpos(blk.TypeRange.Start), "",
				fmt.Sprintf(`%s blocks take exactly one label, the name: %s "my-name" { ... }`, blk.Type, blk.Type)))
			continue
		}
		docs = append(docs, hclDocument(src, blk, k))
	}
	return docs, ds
}

// limitDiag turns an error of srclimit.CheckHCL into a diagnostic at its position.
func limitDiag(src *source, err error) Diagnostic {
	var le *srclimit.Error
	if !errors.As(err, &le) {
		return src.diagAt(Error, pos{}, "", err.Error())
	}
	return src.diagAt(Error, pos{line: le.Line, col: le.Column}, "", le.Err.Error())
}

func hpos(p hcl.Pos) pos { return pos{line: p.Line, col: p.Column} }

// hclDiagnostics converts hcl diagnostics; field is the field they are about, if any.
func hclDiagnostics(src *source, hds hcl.Diagnostics, field string) Diagnostics {
	var out Diagnostics
	for _, hd := range hds {
		sev := Error
		if hd.Severity == hcl.DiagWarning {
			sev = Warning
		}
		var p pos
		if hd.Subject != nil {
			p = hpos(hd.Subject.Start)
		}
		msg := hd.Summary
		if hd.Detail != "" {
			msg += ": " + hd.Detail
		}
		out = append(out, src.diagAt(sev, p, field, msg))
	}
	return out
}

// hclDocument builds {apiVersion, kind, metadata: {name}, spec} from a top-level block.
func hclDocument(src *source, blk *hclsyntax.Block, k string) *document {
	start := hpos(blk.TypeRange.Start)
	d := newDocument(src, start)
	d.kind = k
	meta := map[string]any{"name": blk.Labels[0]}
	d.root = map[string]any{"apiVersion": apiVersion(), "kind": k, "metadata": meta}
	for _, p := range []string{"/apiVersion", "/kind", "/metadata", "/spec"} {
		d.index[p] = loc{key: start, val: start}
	}
	d.index["/metadata/name"] = loc{val: hpos(blk.LabelRanges[0].Start)}
	b := hclBuilder{d: d}
	d.root["spec"] = b.body(blk.Body, "/spec", meta, 0)
	return d
}

// hclBuilder turns HCL bodies into generic values, indexing their positions.
type hclBuilder struct{ d *document }

func (b hclBuilder) errorAt(r hcl.Range, fieldPtr, msg string) {
	b.d.diags = append(b.d.diags, b.d.src.diagAt(Error, hpos(r.Start), b.d.fieldPath(fieldPtr), msg))
}

// body converts a block body. meta is the object's metadata for the top-level body
// (which takes the labels and annotations attributes), nil below it.
func (b hclBuilder) body(body *hclsyntax.Body, ptr string, meta map[string]any, depth int) map[string]any {
	out := map[string]any{}
	if depth > maxDepth {
		b.errorAt(body.SrcRange, ptr, fmt.Sprintf("blocks are nested more than %d deep", maxDepth))
		b.d.broken[ptr] = true
		return out
	}
	attrs := sortedAttributes(body)
	blocks := body.Blocks
	for len(attrs) > 0 || len(blocks) > 0 {
		if len(blocks) == 0 || len(attrs) > 0 && attrs[0].SrcRange.Start.Byte < blocks[0].TypeRange.Start.Byte {
			b.attribute(attrs[0], ptr, out, meta)
			attrs = attrs[1:]
			continue
		}
		b.block(blocks[0], ptr, out, depth)
		blocks = blocks[1:]
	}
	return out
}

func sortedAttributes(body *hclsyntax.Body) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(body.Attributes))
	for _, a := range body.Attributes {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SrcRange.Start.Byte < out[j].SrcRange.Start.Byte })
	return out
}

func (b hclBuilder) attribute(a *hclsyntax.Attribute, ptr string, out, meta map[string]any) {
	target, tptr, field := out, ptr, a.Name
	if meta != nil && (a.Name == "labels" || a.Name == "annotations") {
		target, tptr = meta, "/metadata"
	} else if f, ok := b.field(a.Name, a.NameRange, ptr, false); ok {
		field = f
	} else {
		return
	}
	p := ptrJoin(tptr, field)
	if b.duplicate(p, a.Name, a.NameRange) {
		return
	}
	b.d.index[p] = loc{key: hpos(a.NameRange.Start), val: hpos(a.Expr.Range().Start), name: a.Name}
	target[field] = b.expr(a.Expr, p)
}

func (b hclBuilder) block(blk *hclsyntax.Block, ptr string, out map[string]any, depth int) {
	at := hpos(blk.TypeRange.Start)
	if len(blk.Labels) > 0 {
		b.errorAt(blk.LabelRanges[0], ptr, fmt.Sprintf("%s blocks take no label", blk.Type))
	}
	if lf := listField(blk.Type); lf != "" {
		p := ptrJoin(ptr, lf)
		list, _ := out[lf].([]any)
		if _, seen := b.d.index[p]; !seen {
			b.d.index[p] = loc{key: at, val: at, name: blk.Type}
		}
		ip := ptrIndex(p, len(list))
		b.d.index[ip] = loc{val: at, item: true}
		out[lf] = append(list, b.body(blk.Body, ip, nil, depth+1))
		return
	}
	field, ok := b.field(blk.Type, blk.TypeRange, ptr, true)
	if !ok {
		return
	}
	p := ptrJoin(ptr, field)
	if b.duplicate(p, blk.Type, blk.TypeRange) {
		return
	}
	b.d.index[p] = loc{key: at, val: at, name: blk.Type}
	out[field] = b.body(blk.Body, p, nil, depth+1)
}

// field maps an attribute or block name to its YAML field name, reporting names that
// are written the wrong way (an attribute where a block belongs, camelCase, ...).
func (b hclBuilder) field(name string, r hcl.Range, ptr string, isBlock bool) (string, bool) {
	field := fieldName(name)
	var msg string
	switch {
	case pluralBlock(name) != "":
		msg = fmt.Sprintf("write one %q block per item instead of %q", pluralBlock(name), name)
	case listField(name) != "":
		msg = fmt.Sprintf("%q must be written as blocks, one per item: %s { ... }", name, name)
	case isObjectBlock(name) && !isBlock:
		msg = fmt.Sprintf("%q must be a block: %s { ... }", name, name)
	case isMapAttribute(name) && isBlock:
		msg = fmt.Sprintf("%q must be an attribute holding an object: %s = { ... }", name, name)
	case hclName(field) != name:
		msg = fmt.Sprintf("unknown field %q (HCL names are snake_case, such as %q)", name, hclName(field))
	default:
		return field, true
	}
	b.errorAt(r, ptr, msg)
	b.d.broken[ptrJoin(ptr, field)] = true
	return "", false
}

func (b hclBuilder) duplicate(p, name string, r hcl.Range) bool {
	first, dup := b.d.index[p]
	if dup {
		b.errorAt(r, ptrParent(p), fmt.Sprintf("duplicate %q (first at line %d)", name, first.key.line))
	}
	return dup
}

// expr evaluates a literal expression; references and function calls are errors.
func (b hclBuilder) expr(e hclsyntax.Expression, ptr string) any {
	v, hds := e.Value(nil)
	if hds.HasErrors() {
		b.d.diags = append(b.d.diags, hclDiagnostics(b.d.src, hds, b.d.fieldPath(ptr))...)
		b.d.broken[ptr] = true
		return nil
	}
	b.indexExpr(e, ptr)
	out, err := ctyToAny(v)
	if err != nil {
		b.errorAt(e.Range(), ptr, err.Error())
		b.d.broken[ptr] = true
		return nil
	}
	return out
}

// indexExpr records the positions of the keys and items of object and tuple literals.
func (b hclBuilder) indexExpr(e hclsyntax.Expression, ptr string) {
	switch x := e.(type) {
	case *hclsyntax.ObjectConsExpr:
		for _, item := range x.Items {
			kv, hds := item.KeyExpr.Value(nil)
			if hds.HasErrors() || !kv.IsKnown() || kv.IsNull() || kv.Type() != cty.String {
				continue
			}
			p := ptrJoin(ptr, kv.AsString())
			b.d.index[p] = loc{key: hpos(item.KeyExpr.Range().Start), val: hpos(item.ValueExpr.Range().Start), name: kv.AsString()}
			b.indexExpr(item.ValueExpr, p)
		}
	case *hclsyntax.TupleConsExpr:
		for i, item := range x.Exprs {
			p := ptrIndex(ptr, i)
			b.d.index[p] = loc{val: hpos(item.Range().Start), item: true}
			b.indexExpr(item, p)
		}
	}
}

// ctyToAny converts a literal value to a generic JSON-like value.
func ctyToAny(v cty.Value) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	if !v.IsKnown() {
		return nil, errors.New("value is not known")
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString(), nil
	case t == cty.Bool:
		return v.True(), nil
	case t == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		if math.IsInf(f, 0) {
			return nil, fmt.Errorf("number %s is out of range", v.AsBigFloat().Text('g', 10))
		}
		return f, nil
	case t.IsObjectType() || t.IsMapType():
		m := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			x, err := ctyToAny(ev)
			if err != nil {
				return nil, err
			}
			m[k.AsString()] = x
		}
		return m, nil
	case t.IsTupleType() || t.IsListType() || t.IsSetType():
		l := []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			x, err := ctyToAny(ev)
			if err != nil {
				return nil, err
			}
			l = append(l, x)
		}
		return l, nil
	}
	return nil, fmt.Errorf("unsupported value of type %s", t.FriendlyName())
}
