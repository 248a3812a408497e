package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
)

// sourceDocs is what reflection cannot see: doc comments and constants.
type sourceDocs struct {
	types  map[string]string            // type name → doc comment
	fields map[string]map[string]string // type name → field name → doc and line comments
	enums  map[string][]string          // type name → its string constants, in source order
}

// readSource reads the doc comments and typed string constants of the Go files (tests
// excluded) in dir.
func readSource(dir string) (*sourceDocs, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	d := &sourceDocs{types: map[string]string{}, fields: map[string]map[string]string{}, enums: map[string][]string{}}
	fset := token.NewFileSet()
	read := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		read++
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok {
				continue
			}
			switch gd.Tok {
			case token.TYPE:
				d.addTypes(gd)
			case token.CONST:
				d.addConsts(gd)
			}
		}
	}
	if read == 0 {
		return nil, fmt.Errorf("no Go files in %s", dir)
	}
	return d, nil
}

// addTypes records the doc comments of the types declared by gd and of their fields.
func (d *sourceDocs) addTypes(gd *ast.GenDecl) {
	for _, spec := range gd.Specs {
		ts := spec.(*ast.TypeSpec)
		doc := ts.Doc
		if doc == nil && len(gd.Specs) == 1 {
			doc = gd.Doc
		}
		d.types[ts.Name.Name] = text(doc)
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			continue
		}
		fields := map[string]string{}
		for _, f := range st.Fields.List {
			doc := strings.TrimSpace(text(f.Doc) + "\n" + text(f.Comment))
			for _, n := range f.Names {
				fields[n.Name] = doc
			}
		}
		d.fields[ts.Name.Name] = fields
	}
}

// addConsts records the string constants gd declares with an explicit named type.
func (d *sourceDocs) addConsts(gd *ast.GenDecl) {
	for _, spec := range gd.Specs {
		vs := spec.(*ast.ValueSpec)
		typ, ok := vs.Type.(*ast.Ident)
		if !ok {
			continue
		}
		for _, v := range vs.Values {
			lit, ok := v.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}
			if s, err := strconv.Unquote(lit.Value); err == nil {
				d.enums[typ.Name] = append(d.enums[typ.Name], s)
			}
		}
	}
}

// text is a comment's text without comment markers or surrounding space.
func text(c *ast.CommentGroup) string {
	return strings.TrimSpace(c.Text())
}
