package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// normalizeArgs puts every flag of a command line before its positional arguments, as
// kubectl and terraform accept them anywhere ("ngctl show plan.json -o json"): urfave/cli
// stops parsing flags at the first positional argument and would otherwise read the rest
// as arguments, or ignore them. Everything after "--" stays positional; the positional
// arguments are passed after a "--" of their own so that none is read as a flag.
//
// --help or -h anywhere before "--" shows the help of the command (or subcommand, such
// as "alert render") and nothing else: urfave/cli would read a positional argument after
// it as a help topic.
//
// It knows from each command's flag definitions which flags take a value (bool flags do
// not; "--flag=value" carries its own), and it checks values that urfave/cli would only
// reject with the Go flag package's terse "parse error": durations, numbers and times.
// An unknown command or flag is an error naming it.
func normalizeArgs(app *cli.App, args []string) ([]string, error) {
	if len(args) < 2 {
		return args, nil
	}
	out := []string{args[0]}
	i := 1
	// Global flags (--help, --version) come before the command.
	for ; i < len(args) && isFlag(args[i]); i++ {
		if _, ok := lookupFlag(app.Flags, args[i]); !ok {
			return nil, fmt.Errorf("unknown flag %s; see ngctl --help", flagText(args[i]))
		}
		out = append(out, args[i])
	}
	if i == len(args) {
		return out, nil
	}
	name := args[i]
	if name == "--" {
		return append(out, args[i:]...), nil
	}
	cmd := app.Command(name)
	if cmd == nil {
		if name == "help" || name == "h" {
			return append(out, args[i:]...), nil
		}
		return nil, fmt.Errorf("unknown command %q; see ngctl --help for the commands", name)
	}
	out = append(out, name)
	path := name
	// Subcommands: "ngctl alert render".
	for i++; i < len(args) && len(cmd.Subcommands) > 0; i++ {
		sub := cmd.Command(args[i])
		if sub == nil {
			break
		}
		cmd, path = sub, path+" "+args[i]
		out = append(out, args[i])
	}
	rest, err := commandArgs(cmd, path, args[i:])
	if err != nil {
		return nil, err
	}
	return append(out, rest...), nil
}

// commandArgs orders the words after the command path (see normalizeArgs): its flags
// first, then "--" and its positional arguments; only "--help" when help is asked for.
func commandArgs(cmd *cli.Command, path string, rest []string) ([]string, error) {
	var out, positional []string
	for j := 0; j < len(rest); j++ {
		arg := rest[j]
		if arg == "--" {
			positional = append(positional, rest[j+1:]...)
			break
		}
		if !isFlag(arg) {
			positional = append(positional, arg)
			continue
		}
		f, ok := lookupFlag(cmd.Flags, arg)
		if !ok {
			return nil, unknownFlagError(cmd, path, arg)
		}
		value, inline := flagValue(arg)
		if !takesValue(f) {
			if inline {
				if _, err := strconv.ParseBool(value); err != nil {
					return nil, fmt.Errorf("invalid value %q for flag --%s: true or false", value, f.Names()[0])
				}
			}
			if f == cli.HelpFlag && (!inline || value == "true" || value == "1") {
				return []string{"--help"}, nil
			}
			out = append(out, arg)
			continue
		}
		out = append(out, arg)
		if !inline {
			if j+1 == len(rest) {
				return nil, fmt.Errorf("flag %s needs a value; see ngctl %s --help", flagText(arg), path)
			}
			j++
			value = rest[j]
			out = append(out, value)
		}
		if err := checkFlagValue(f, value); err != nil {
			return nil, err
		}
	}
	if len(positional) > 0 {
		out = append(out, "--")
		out = append(out, positional...)
	}
	return out, nil
}

// unknownFlagError names a flag the command path does not have; on a command of
// subcommands (alert), a flag of a subcommand says where it goes.
func unknownFlagError(cmd *cli.Command, path, arg string) error {
	for _, sub := range cmd.Subcommands {
		if _, ok := lookupFlag(sub.Flags, arg); ok {
			return fmt.Errorf("flag %s goes after the subcommand: ngctl %s %s %s ...; see ngctl %s %s --help", flagText(arg), path, sub.Name, flagText(arg), path, sub.Name)
		}
	}
	return fmt.Errorf("unknown flag %s for ngctl %s; see ngctl %s --help", flagText(arg), path, path)
}

// isFlag reports whether a command-line word is a flag: "-x", "--xyz", "-xyz=v"; "-" (stdin)
// and "--" (the end of flags) are not.
func isFlag(arg string) bool {
	return len(arg) > 1 && arg[0] == '-' && arg != "--"
}

// flagName is the name of a flag word without dashes and value: "--output=json" → "output".
func flagName(arg string) string {
	name := strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-")
	name, _, _ = strings.Cut(name, "=")
	return name
}

// flagText is a flag word as the user wrote it, without its value: "--output=json" → "--output".
func flagText(arg string) string {
	text, _, _ := strings.Cut(arg, "=")
	return text
}

// flagValue is the value of a "--flag=value" word.
func flagValue(arg string) (string, bool) {
	_, value, ok := strings.Cut(arg, "=")
	return value, ok
}

// lookupFlag finds the definition of a flag word among flags (names and aliases, one or
// two dashes, as the Go flag package accepts them) and the implicit --help / -h.
func lookupFlag(flags []cli.Flag, arg string) (cli.Flag, bool) {
	name := flagName(arg)
	if name == "" || strings.HasPrefix(name, "-") {
		return nil, false
	}
	for _, f := range append(slices.Clip(flags), cli.HelpFlag) {
		if slices.Contains(f.Names(), name) {
			return f, true
		}
	}
	return nil, false
}

// takesValue reports whether a flag needs a value ("-o json"); bool flags do not.
func takesValue(f cli.Flag) bool {
	if d, ok := f.(cli.DocGenerationFlag); ok {
		return d.TakesValue()
	}
	return true
}

// checkFlagValue checks a value the Go flag package would parse, to say what it should
// look like instead of "parse error".
func checkFlagValue(f cli.Flag, value string) error {
	var err error
	var want string
	switch f := f.(type) {
	case *cli.DurationFlag:
		_, err = time.ParseDuration(value)
		want = "a duration such as 5m or 90s"
	case *cli.IntFlag:
		_, err = strconv.ParseInt(value, 0, strconv.IntSize)
		want = "a whole number such as 100"
	case *cli.Float64Flag:
		_, err = strconv.ParseFloat(value, 64)
		want = "a number such as 50 or 12.5"
	case *cli.TimestampFlag:
		_, err = time.Parse(f.Layout, value)
		want = "a time such as 2026-11-29T12:00:00Z (RFC 3339)"
	}
	if err != nil {
		return fmt.Errorf("invalid value %q for flag --%s: %s", value, f.Names()[0], want)
	}
	return nil
}
