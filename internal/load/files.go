package load

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// File is a rule file held in memory: one read from a Git tree, for example.
type File struct {
	// Name names the file in diagnostics and origins, e.g. "origin/main:rules/a.hcl".
	Name string
	// Path decides the format: HCL when it ends in .hcl, else YAML. "" means Name.
	Path string
	// Data is the file's content.
	Data []byte
}

// isHCL reports whether the file is HCL, by its path's extension.
func (f File) isHCL() bool {
	p := f.Path
	if p == "" {
		p = f.Name
	}
	return strings.EqualFold(path.Ext(p), ".hcl")
}

// Files loads in-memory files with the checks of Paths: each file's schema and object
// checks, duplicate names across the files and template references. Files are read in
// the lexical order of their names, as Paths reads files from disk; a file larger than
// Paths accepts is an error.
func Files(files []File) (*Set, Diagnostics) {
	v, ds := compile()
	if ds != nil {
		return newSet(), ds
	}
	l := newLoader(v)
	sorted := append([]File(nil), files...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, f := range sorted {
		if len(f.Data) > maxFileSize {
			l.diags = append(l.diags, Diagnostic{Severity: Error, File: f.Name, Message: fmt.Sprintf("file is larger than %d MiB", maxFileSize>>20)})
			continue
		}
		l.file(f.Name, f.Data, f.isHCL())
	}
	return l.finish(true)
}

// IsRuleFile reports whether a file name is one Paths reads from a directory: *.yaml,
// *.yml or *.hcl.
func IsRuleFile(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".yaml", ".yml", ".hcl":
		return true
	}
	return false
}
