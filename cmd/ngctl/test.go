package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nodeguardian/nodeguardian/internal/ruletest"
)

func testCommand() *cli.Command {
	return &cli.Command{
		Name:      "test",
		Usage:     "run rule unit tests (docs/testing-rules.md)",
		ArgsUsage: "FILE|DIR...",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "junit", Usage: "also write the results as JUnit XML to `FILE`"},
			&cli.StringFlag{Name: "run", Usage: "run only the tests whose name matches `REGEXP` (an error when none does)"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Len() == 0 {
				return exitf(1, "test: no test file given; e.g. ngctl test examples/tests")
			}
			files, err := testFiles(c.Args().Slice())
			if err != nil {
				return exitf(1, "test: %v", err)
			}
			var filter *regexp.Regexp
			if expr := c.String("run"); expr != "" {
				re, err := regexp.Compile(expr)
				if err != nil {
					return exitf(1, "test: --run: %v", err)
				}
				filter = re
			}
			reports := runTestFiles(c.Context, files, filter)
			passed, failed := 0, 0
			for _, r := range reports {
				fmt.Fprintf(c.App.Writer, "=== %s\n", r.File)
				if err := r.WriteText(c.App.Writer); err != nil {
					return exitf(1, "%v", err)
				}
				passed += r.Passed()
				failed += r.Failed()
			}
			fmt.Fprintf(c.App.Writer, "%d passed, %d failed\n", passed, failed)
			if path := c.String("junit"); path != "" {
				if err := writeJUnitFile(path, reports); err != nil {
					return exitf(1, "test: %v", err)
				}
			}
			if failed > 0 {
				return exitf(1, "")
			}
			if filter != nil && passed == 0 {
				// Unlike go test -run (a warning, exit 0): a --run that matches nothing is
				// most likely a typo, and a CI step that tests nothing must not pass.
				return exitf(1, "no test matches --run %q; run ngctl test without --run to list the tests", c.String("run"))
			}
			return nil
		},
	}
}

// testFiles expands directories into the *.yaml and *.yml files below them (hidden
// directories skipped), sorted; files are kept as given.
func testFiles(args []string) ([]string, error) {
	var out []string
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil || !info.IsDir() {
			out = append(out, arg) // a missing file is reported with the others
			continue
		}
		var found []string
		err = filepath.WalkDir(arg, func(p string, e fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case e.IsDir() && p != arg && strings.HasPrefix(e.Name(), "."):
				return filepath.SkipDir
			case !e.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")):
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read directory %s: %w", arg, err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("no *.yaml or *.yml test files in %s", arg)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// runTestFiles loads and runs every test file; a file that cannot be loaded becomes a
// report with its error.
func runTestFiles(ctx context.Context, files []string, filter *regexp.Regexp) []ruletest.Report {
	if ctx == nil {
		ctx = context.Background()
	}
	reports := make([]ruletest.Report, 0, len(files))
	for _, file := range files {
		f, err := ruletest.Load(file)
		if err != nil {
			reports = append(reports, ruletest.Report{File: file, Err: err})
			continue
		}
		if filter != nil {
			var keep []ruletest.Test
			for _, t := range f.Tests {
				if filter.MatchString(t.Name) {
					keep = append(keep, t)
				}
			}
			f.Tests = keep
		}
		reports = append(reports, ruletest.Run(ctx, f))
	}
	return reports
}

// writeJUnitFile writes the reports as JUnit XML to path.
func writeJUnitFile(path string, reports []ruletest.Report) error {
	var buf bytes.Buffer
	if err := ruletest.WriteJUnit(&buf, reports); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	return nil
}
