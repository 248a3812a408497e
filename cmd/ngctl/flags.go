package main

import "github.com/urfave/cli/v2"

// rulesFileFlag is -f PATH (repeatable): the rule files of plan, apply, snapshot and render.
func rulesFileFlag() cli.Flag {
	return &cli.StringSliceFlag{
		Name:    "filename",
		Aliases: []string{"f"},
		Usage:   "rule file or directory `PATH` (recursive: *.yaml, *.yml, *.hcl), repeatable; - reads YAML from stdin",
	}
}

// outputFlag is -o FORMAT with the formats a command writes, the first the default.
func outputFlag(formats ...string) cli.Flag {
	usage := "`FORMAT`: " + formats[0]
	if len(formats) > 1 {
		usage = "`FORMAT`: " + joinOr(formats)
	}
	return &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: formats[0], Usage: usage}
}

// joinOr joins words as "a, b or c".
func joinOr(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	out := s[0]
	for _, x := range s[1 : len(s)-1] {
		out += ", " + x
	}
	return out + " or " + s[len(s)-1]
}
