package load

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxFileSize bounds what is read from one file or from standard input.
const maxFileSize = 16 << 20

// Paths loads files and directories (searched recursively for *.yaml, *.yml and *.hcl,
// skipping hidden directories); "-" reads YAML from stdin. Files are read in lexical
// order (standard input first). Besides the checks of YAML and HCL it reports
// duplicate names across all files and warns about alert templates that are not among
// them.
func Paths(paths []string, stdin io.Reader) (*Set, Diagnostics) {
	v, ds := compile()
	if ds != nil {
		return newSet(), ds
	}
	l := newLoader(v)
	files, useStdin, ds := collect(paths)
	l.diags = append(l.diags, ds...)
	if useStdin {
		l.stdin(stdin)
	}
	for _, f := range files {
		data, err := readFile(f)
		if err != nil {
			l.diags = append(l.diags, Diagnostic{Severity: Error, File: f, Message: describe(err)})
			continue
		}
		l.file(f, data, strings.EqualFold(filepath.Ext(f), ".hcl"))
	}
	return l.finish(true)
}

func (l *loader) stdin(r io.Reader) {
	if r == nil {
		l.diags = append(l.diags, Diagnostic{Severity: Error, File: stdinName, Message: "cannot read standard input: no reader given"})
		return
	}
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	switch {
	case err != nil:
		l.diags = append(l.diags, Diagnostic{Severity: Error, File: stdinName, Message: fmt.Sprintf("cannot read standard input: %v", err)})
	case len(data) > maxFileSize:
		l.diags = append(l.diags, Diagnostic{Severity: Error, File: stdinName, Message: fmt.Sprintf("standard input is larger than %d MiB", maxFileSize>>20)})
	default:
		l.file("-", data, false)
	}
}

func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("file is larger than %d MiB", maxFileSize>>20)
	}
	return data, nil
}

// describe renders an I/O error without repeating the path, which the diagnostic
// already names: "cannot read: no such file or directory".
func describe(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return strings.Replace(err.Error(), pe.Error(), pe.Err.Error(), 1)
	}
	return err.Error()
}

// collect expands the arguments into a sorted list of distinct files.
func collect(paths []string) (files []string, useStdin bool, ds Diagnostics) {
	seen := map[string]bool{}
	add := func(f string) {
		if key := filepath.Clean(f); !seen[key] {
			seen[key] = true
			files = append(files, f)
		}
	}
	for _, p := range paths {
		if p == "-" {
			useStdin = true
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			ds = append(ds, Diagnostic{Severity: Error, File: p, Message: describe(fmt.Errorf("cannot read: %w", err))})
			continue
		}
		if !info.IsDir() {
			add(p)
			continue
		}
		found, walkDiags := walk(p)
		ds = append(ds, walkDiags...)
		for _, f := range found {
			add(f)
		}
	}
	sort.Strings(files)
	return files, useStdin, ds
}

// walk lists the rule files below dir.
func walk(dir string) ([]string, Diagnostics) {
	var files []string
	var ds Diagnostics
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			ds = append(ds, Diagnostic{Severity: Error, File: p, Message: describe(fmt.Errorf("cannot read: %w", err))})
			return nil
		}
		if e.IsDir() {
			if p != dir && strings.HasPrefix(e.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".hcl":
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		ds = append(ds, Diagnostic{Severity: Error, File: dir, Message: describe(fmt.Errorf("cannot read: %w", err))})
	}
	if len(files) == 0 && err == nil {
		ds = append(ds, Diagnostic{Severity: Warning, File: dir, Message: "no .yaml, .yml or .hcl files found"})
	}
	return files, ds
}
