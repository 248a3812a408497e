package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/load"
)

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check rule and alert-template files",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			rulesFileFlag(),
			outputFlag("text", "json"),
			&cli.BoolFlag{Name: "strict", Usage: "fail on warnings too"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "say what was skipped"},
		},
		Action: func(c *cli.Context) error {
			if len(c.StringSlice("filename")) == 0 {
				return exitf(1, "validate needs -f PATH")
			}
			set, diags := load.Paths(c.StringSlice("filename"), c.App.Reader)
			diags = append(diags, noObjects(set, c.StringSlice("filename"), diags)...)
			failed := diags.HasErrors() || (c.Bool("strict") && len(diags.Warnings()) > 0)
			var err error
			switch c.String("output") {
			case "text":
				writeValidateText(c.App.Writer, c.App.ErrWriter, set, diags, c.Bool("verbose"))
			case "json":
				err = writeValidateJSON(c.App.Writer, set, diags, !failed)
			default:
				return exitf(1, "unknown output %q (want text or json)", c.String("output"))
			}
			if err != nil {
				return err
			}
			if failed {
				return exitf(1, "")
			}
			return nil
		},
	}
}

// noObjects is an error when the inputs hold no rule and no template at all, valid or
// not: a wrong path or a stream of other kinds only must not pass as valid. There is one
// for each path given, naming it as its file. It is left out after an error in reading
// the inputs (diags: a file that cannot be read, is too large or does not parse), which
// fails the run already and is why nothing was found.
func noObjects(set *load.Set, paths []string, diags load.Diagnostics) load.Diagnostics {
	if set.Documents > 0 || diags.HasErrors() {
		return nil
	}
	counts := fmt.Sprintf("%s read, %s of other kinds skipped", plural(set.Files, "file"), plural(set.Skipped, "document"))
	if len(paths) > 1 {
		counts += " in all"
	}
	var ds load.Diagnostics
	for _, p := range paths {
		if p == "-" {
			p = "<stdin>"
		}
		ds = append(ds, load.Diagnostic{Severity: load.Error, File: p,
			Message: fmt.Sprintf("no NodeGuardian objects (%s or %s) (%s)", v1.KindRule, v1.KindAlertTemplate, counts)})
	}
	return ds
}

func summary(set *load.Set) string {
	return fmt.Sprintf("%s, %s", plural(len(set.Rules), "rule"), plural(len(set.Templates), "alert template"))
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func writeValidateText(out, errOut io.Writer, set *load.Set, diags load.Diagnostics, verbose bool) {
	if len(diags) > 0 {
		fmt.Fprint(errOut, diags.Error())
		if s := diags.Error(); len(s) > 0 && s[len(s)-1] != '\n' {
			fmt.Fprintln(errOut)
		}
	}
	if verbose {
		fmt.Fprintf(out, "%s read, %s of other kinds skipped\n", plural(set.Files, "file"), plural(set.Skipped, "document"))
	}
	errs, warns := len(diags.Errors()), len(diags.Warnings())
	switch {
	case errs > 0:
		fmt.Fprintf(out, "%s: invalid (%s, %s)\n", summary(set), plural(errs, "error"), plural(warns, "warning"))
	case warns > 0:
		fmt.Fprintf(out, "%s: valid (%s)\n", summary(set), plural(warns, "warning"))
	default:
		fmt.Fprintf(out, "%s: valid\n", summary(set))
	}
}

type jsonDiagnostic struct {
	Severity string `json:"severity"`
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message"`
}

func writeValidateJSON(out io.Writer, set *load.Set, diags load.Diagnostics, valid bool) error {
	doc := struct {
		Valid          bool             `json:"valid"`
		Rules          int              `json:"rules"`
		AlertTemplates int              `json:"alertTemplates"`
		Files          int              `json:"files"`
		Skipped        int              `json:"skipped"`
		Diagnostics    []jsonDiagnostic `json:"diagnostics"`
	}{Valid: valid, Rules: len(set.Rules), AlertTemplates: len(set.Templates), Files: set.Files, Skipped: set.Skipped,
		Diagnostics: []jsonDiagnostic{}}
	for _, d := range diags {
		sev := "error"
		if d.Severity == load.Warning {
			sev = "warning"
		}
		doc.Diagnostics = append(doc.Diagnostics, jsonDiagnostic{sev, d.File, d.Line, d.Column, d.Field, d.Message})
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // "<stdin>", not "\u003cstdin\u003e"
	return enc.Encode(doc)
}
