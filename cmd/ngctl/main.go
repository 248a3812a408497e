// Command ngctl is NodeGuardian's command line: validate, format and convert rules, and
// (in later commands) plan and apply them. It only wires flags to the internal packages.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"
)

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// run executes ngctl with args and returns the exit code; tests call it directly.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp(stdin, stdout, stderr)
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
	return &cli.App{
		Name:           "ngctl",
		Usage:          "declarative node self-healing for Kubernetes",
		Reader:         stdin,
		Writer:         stdout,
		ErrWriter:      stderr,
		ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{
			validateCommand(),
			planCommand(),
			applyCommand(),
			showCommand(),
			snapshotCommand(),
			fmtCommand(),
			renderCommand(),
			schemaCommand(),
			testCommand(),
			versionCommand(),
		},
	}
}

// exitf returns an error that makes ngctl exit with code.
func exitf(code int, format string, a ...any) error {
	return cli.Exit(fmt.Sprintf(format, a...), code)
}
