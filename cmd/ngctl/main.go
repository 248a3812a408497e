// Command ngctl is NodeGuardian's command line: validate, format and convert rules, and
// (in later commands) plan and apply them. It only wires flags to the internal packages.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// run executes ngctl with args and returns the exit code; tests call it directly.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp(stdin, stdout, stderr)
	args, err := normalizeArgs(app, args)
	if err != nil {
		fmt.Fprintln(stderr, "ngctl:", err)
		return 1
	}
	if err := app.Run(args); err != nil {
		code := 1
		if ec, ok := err.(cli.ExitCoder); ok {
			code = ec.ExitCode()
		}
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(stderr, "ngctl:", msg)
		}
		return code
	}
	return 0
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:           "ngctl",
		Usage:          "declarative node self-healing for Kubernetes",
		Reader:         stdin,
		Writer:         stdout,
		ErrWriter:      stderr,
		ExitErrHandler: func(*cli.Context, error) {},
		HideVersion:    true, // --version is ours: versionFlag
		Flags:          []cli.Flag{versionFlag()},
		Action:         rootAction,
		Commands: []*cli.Command{
			validateCommand(),
			planCommand(),
			diffCommand(),
			failIncomplete(applyCommand()), // failIncomplete: plan.go
			showCommand(),
			snapshotCommand(),
			fmtCommand(),
			renderCommand(),
			schemaCommand(),
			testCommand(),
			alertCommand(),
			controllerCommand(),
			versionCommand(),
		},
	}
	// The most positional arguments a command takes; the others (fmt, test) take any number.
	maxArgs := map[string]int{"validate": 0, "plan": 0, "diff": 0, "apply": 1, "show": 1, "snapshot": 0, "render": 0, "schema": 1, "version": 0, "controller": 0}
	for _, cmd := range app.Commands {
		// A positional argument is never a "help" subcommand: "ngctl show h" reads the file h.
		cmd.HideHelpCommand = true
		cmd.OnUsageError = usageError
		if n, ok := maxArgs[cmd.Name]; ok {
			cmd.Before = checkArgCount(n)
		}
	}
	return app
}

// checkArgCount refuses more than most positional arguments, which the command would
// otherwise ignore: "ngctl plan rules/" must not plan without rules.
func checkArgCount(most int) cli.BeforeFunc {
	return func(c *cli.Context) error {
		if c.NArg() <= most {
			return nil
		}
		name, extra := commandPath(c), c.Args().Get(most)
		if most == 0 {
			if slices.ContainsFunc(c.Command.Flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), "filename") }) {
				return exitf(1, "ngctl %s takes no arguments (got %q); rule files are given with -f: ngctl %s -f %s", name, extra, name, extra)
			}
			return exitf(1, "ngctl %s takes no arguments (got %q); see ngctl %s --help", name, extra, name)
		}
		return exitf(1, "ngctl %s takes at most %s (got %q too); see ngctl %s --help", name, plural(most, "argument"), extra, name)
	}
}

// usageError replaces urfave/cli's "Incorrect Usage" and full help text with the error
// and where to look.
func usageError(c *cli.Context, err error, _ bool) error {
	return exitf(1, "%v; see ngctl %s --help", err, commandPath(c))
}

// exitf returns an error that makes ngctl exit with code.
func exitf(code int, format string, a ...any) error {
	return cli.Exit(fmt.Sprintf(format, a...), code)
}

// commandPath is the command's name as typed after ngctl: "plan", "alert render".
func commandPath(c *cli.Context) string {
	var names []string
	for _, ctx := range c.Lineage() {
		if ctx.Command == nil || ctx.Command.Name == "" || ctx.Command.Name == c.App.Name || len(names) > 0 && names[len(names)-1] == ctx.Command.Name {
			continue
		}
		names = append(names, ctx.Command.Name)
	}
	slices.Reverse(names)
	return strings.Join(names, " ")
}
