package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/urfave/cli/v2"

	"github.com/nodeguardian/nodeguardian/internal/render"
	"github.com/nodeguardian/nodeguardian/internal/srclimit"
)

func fmtCommand() *cli.Command {
	return &cli.Command{
		Name:      "fmt",
		Usage:     "rewrite HCL rule files in canonical format",
		ArgsUsage: "[PATH...] (default: the current directory)",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "check", Usage: "do not write; exit 1 if a file would change"},
			&cli.BoolFlag{Name: "diff", Usage: "print the changes as a unified diff"},
		},
		Action: func(c *cli.Context) error {
			paths := c.Args().Slice()
			if len(paths) == 0 {
				paths = []string{"."}
			}
			files, empty, err := hclFiles(paths)
			if err != nil {
				return exitf(1, "%v", err)
			}
			// Like gofmt and terraform fmt, a directory without such files is no error; but
			// say so, lest a wrong path pass for a formatted one.
			for _, dir := range empty {
				fmt.Fprintf(c.App.ErrWriter, "ngctl fmt: no HCL rule files (*.hcl) in %s: nothing to format (YAML rules are printed in canonical form by ngctl render -f %s)\n", dir, dir)
			}
			var changed, broken int
			for _, f := range files {
				src, err := readBounded(f, srclimit.MaxHCLSize)
				if err != nil {
					return exitf(1, "%v", err)
				}
				out, err := render.FormatHCL(f, src)
				if err != nil {
					fmt.Fprintln(c.App.ErrWriter, err)
					broken++
					continue
				}
				if bytes.Equal(src, out) {
					continue
				}
				changed++
				fmt.Fprintln(c.App.Writer, f)
				if c.Bool("diff") {
					fmt.Fprint(c.App.Writer, unifiedDiff(f, src, out))
				}
				if !c.Bool("check") {
					if err := os.WriteFile(f, out, 0o644); err != nil {
						return exitf(1, "%v", err)
					}
				}
			}
			if broken > 0 || (c.Bool("check") && changed > 0) {
				return exitf(1, "")
			}
			return nil
		},
	}
}

// hclFiles expands paths into the *.hcl files they name, sorted, and lists the
// directories among paths that hold none. A file named explicitly is HCL whatever its
// extension, except YAML and JSON, which fmt refuses.
func hclFiles(paths []string) (files, empty []string, err error) {
	for _, p := range paths {
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return nil, nil, fmt.Errorf("fmt formats HCL rule files (*.hcl), and %s is not one: ngctl render -f %s prints YAML rules in canonical form (-o hcl converts them to HCL)", p, p)
			}
		}
		n := len(files)
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (path == p || strings.HasSuffix(path, ".hcl")) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("fmt: %w", err)
		}
		if len(files) == n {
			empty = append(empty, p)
		}
	}
	sort.Strings(files)
	return files, empty, nil
}

func unifiedDiff(name string, a, b []byte) string {
	s, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(string(a)), B: difflib.SplitLines(string(b)),
		FromFile: name, ToFile: name + " (formatted)", Context: 3,
	})
	return s
}

// readBounded reads a file, refusing one larger than limit bytes before reading it all.
func readBounded(file string, limit int) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes: split it into several files", file, limit)
	}
	return data, nil
}
