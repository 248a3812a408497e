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

// sharedFlagUsage is the usage text of the flags several commands share whose meaning
// differs by command: what --node does on apply (apply only that node) is not what it
// does on plan (show only that node).
var sharedFlagUsage = map[string]map[string]string{
	"plan": {
		"snapshot":            "plan against the FleetSnapshot `FILE` instead of the live cluster",
		"rule":                "plan only the rule `NAME`",
		"node":                "show only the changes of the node `NAME` (the plan is computed for the whole fleet)",
		"allow-metric-errors": "exit 0 even when a metric query failed (its conditions are Unknown; by default the plan is incomplete and ngctl exits 1)",
		"now":                 "evaluate as of `TIME` (RFC 3339, e.g. 2026-11-29T12:00:00Z) instead of the clock, to reproduce a plan",
	},
	"apply": {
		"snapshot":            "apply to the FleetSnapshot `FILE` instead of the live cluster: a simulation that rewrites FILE (or writes --write-snapshot)",
		"rule":                "apply only the changes of the rule `NAME`",
		"node":                "apply only the changes of the node `NAME`; the other nodes are left as they are",
		"allow-metric-errors": "exit 0 even when a metric query failed (its conditions are Unknown and change nothing; by default the other changes are made and ngctl exits 1)",
		"now":                 "plan the changes as of `TIME` (RFC 3339, e.g. 2026-11-29T12:00:00Z) instead of the clock",
	},
	"diff": {
		"snapshot":            "compare the plans against the FleetSnapshot `FILE` instead of the live cluster",
		"rule":                "compare only the plans of the rule `NAME`",
		"node":                "compare only the changes of the node `NAME`",
		"allow-metric-errors": "exit 0 even when a metric query failed (its conditions are Unknown; by default the plans are incomplete and ngctl exits 1)",
		"now":                 "evaluate both versions as of `TIME` (RFC 3339, e.g. 2026-11-29T12:00:00Z) instead of the clock",
	},
	"snapshot": {
		"now": "record the snapshot as taken at `TIME` (RFC 3339, e.g. 2026-11-29T12:00:00Z), reading the metric windows up to it, instead of the clock",
	},
}

// sharedUsage is the usage of the shared flag name on the command cmd: its own, else
// plan's (the controller drops --now).
func sharedUsage(cmd, name string) string {
	if usage, ok := sharedFlagUsage[cmd][name]; ok {
		return usage
	}
	return sharedFlagUsage["plan"][name]
}
