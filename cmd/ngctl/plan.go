package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/engine"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/live"
	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/notify"
	"github.com/nodeguardian/nodeguardian/internal/plan"
	"github.com/nodeguardian/nodeguardian/internal/savedplan"
)

// Exit codes of plan --detailed-exitcode.
const (
	exitChanges = 2
)

// planFlags are the flags plan, apply and diff (cmd) share; the usage of those whose
// meaning differs by command is the command's own (sharedUsage).
func planFlags(cmd string) []cli.Flag {
	return append([]cli.Flag{
		rulesFileFlag(),
		&cli.StringFlag{Name: "snapshot", Usage: sharedUsage(cmd, "snapshot")},
		&cli.StringFlag{Name: "rule", Usage: sharedUsage(cmd, "rule")},
		&cli.StringFlag{Name: "node", Usage: sharedUsage(cmd, "node")},
		&cli.DurationFlag{Name: "staleness", Value: 5 * time.Minute, Usage: "a metric whose latest sample is older than this `DURATION` is Unknown"},
		&cli.DurationFlag{Name: "alert-repeat-interval", Value: plan.DefaultRepeatInterval, Usage: "send a firing rule's alert again after `DURATION` (0s: never; a template's repeatInterval wins)"},
		&cli.StringFlag{Name: "max-disruptive", Value: "30%", Usage: "at most `N` (or N%) of all nodes under disruptive effects at once"},
		&cli.BoolFlag{Name: "no-color", Usage: "never color the text output (it is colored only on a terminal, and never with $NO_COLOR)"},
		&cli.BoolFlag{Name: "allow-metric-errors", Usage: sharedUsage(cmd, "allow-metric-errors")},
	}, clusterFlags(cmd)...)
}

func planCommand() *cli.Command {
	return failIncomplete(&cli.Command{
		Name:  "plan",
		Usage: "show what NodeGuardian would change, like terraform plan",
		Flags: append(planFlags("plan"),
			outputFlag("text", "json", "markdown"),
			&cli.StringFlag{Name: "out", Usage: "also save the plan as JSON to `FILE`, for ngctl apply ... FILE"},
			&cli.BoolFlag{Name: "detailed-exitcode", Usage: "exit 0 without changes, 1 on error, 2 with changes"},
			alertConfigFlag(),
		),
		Action: func(c *cli.Context) error {
			_, p, err := computePlan(c)
			if err != nil {
				return err
			}
			if err := renderPlan(c, p, c.String("output")); err != nil {
				return err
			}
			if f := c.String("alert-config"); f != "" {
				cfg, err := notify.LoadConfig(f, os.Getenv)
				if err != nil {
					return exitf(1, "%v", err)
				}
				warnUnconfigured(c, p, cfg)
			}
			if out := c.String("out"); out != "" {
				if err := savePlan(out, p); err != nil {
					return exitf(1, "%v", err)
				}
				fmt.Fprintf(c.App.ErrWriter, "Saved the plan to %s; apply it with: %s\n", out, applyHint(c, out))
			}
			if c.Bool("detailed-exitcode") && p.HasChanges() {
				return exitf(exitChanges, "")
			}
			return nil
		},
	})
}

// incompleteKey is the context key of the *error in which computePlan records that a
// live plan is incomplete (live.Incomplete), for failIncomplete.
type incompleteKey struct{}

// failIncomplete makes cmd (plan, apply) exit 1 after it ran when a metric query of its
// live plan failed, unless --allow-metric-errors: the plan is printed and, for apply, the
// changes made — Unknown never acts — but the run is not reported as a success.
func failIncomplete(cmd *cli.Command) *cli.Command {
	action := cmd.Action
	cmd.Action = func(c *cli.Context) error {
		var incomplete error
		c.Context = context.WithValue(c.Context, incompleteKey{}, &incomplete)
		err := action(c)
		if incomplete == nil || c.Bool("allow-metric-errors") {
			return err
		}
		msg := incomplete.Error() + "; rerun when the metric source is back, or pass --allow-metric-errors"
		if ec, ok := err.(cli.ExitCoder); err != nil && !(ok && ec.ExitCode() == exitChanges) {
			fmt.Fprintln(c.App.ErrWriter, msg) // the command's own error comes last
			return err
		}
		return exitf(1, "%s", msg)
	}
	return cmd
}

// planInputs is everything a plan is computed from: rules and either a snapshot file or
// the live cluster with a metric source.
type planInputs struct {
	set      *load.Set
	snapshot *fleet.Snapshot // offline
	file     string
	src      *live.Sources // live
	state    *live.State   // live, after plan()
	opts     engine.Options
	ctx      context.Context
}

func readPlanInputs(c *cli.Context) (*planInputs, error) {
	set, err := loadRules(c)
	if err != nil {
		return nil, err
	}
	return readFleetInputs(c, set)
}

// readFleetInputs reads what a plan of set is computed on, as the flags name it: the
// engine options and the snapshot, or the live cluster's sources.
func readFleetInputs(c *cli.Context, set *load.Set) (*planInputs, error) {
	maxDisruptive, err := v1.ParseBudget(c.String("max-disruptive"))
	if err != nil {
		return nil, exitf(1, "invalid value for --max-disruptive: %v (0 allows none)", err)
	}
	repeat, err := alertRepeatInterval(c)
	if err != nil {
		return nil, err
	}
	in := &planInputs{set: set, ctx: c.Context, opts: engine.Options{
		Staleness:      c.Duration("staleness"),
		RepeatInterval: repeat,
		MaxDisruptive:  &maxDisruptive,
		Rule:           c.String("rule"),
		Node:           c.String("node"),
	}}
	if kind := metricsSource(c); c.String("snapshot") != "" || kind == sourceSnapshot {
		if kind != sourceSnapshot {
			return nil, exitf(1, "--snapshot holds its own metrics; --metrics-source %s needs the live cluster", kind)
		}
		in.file = c.String("snapshot")
		if in.file == "" {
			return nil, exitf(1, "--metrics-source snapshot needs --snapshot FILE")
		}
		if err := refuseLiveOnlyFlags(c); err != nil {
			return nil, err
		}
		if in.snapshot, err = fleet.Load(in.file); err != nil {
			return nil, exitf(1, "%v", err)
		}
		for _, w := range in.snapshot.Warnings {
			fmt.Fprintf(c.App.ErrWriter, "warning: %v\n", w)
		}
		in.opts.Now, in.opts.Interval = in.snapshot.Time.Time, in.snapshot.Interval.Duration
		in.opts.Source, in.opts.SourcePath = "snapshot", in.file
		return in, nil
	}
	src, err := liveSources(c)
	if err != nil {
		return nil, exitf(1, "%v", err)
	}
	in.src = &src
	in.opts.Now = time.Now().UTC().Truncate(time.Second)
	if t := c.Timestamp("now"); t != nil {
		in.opts.Now = t.UTC()
	}
	in.opts.Source = "cluster"
	return in, nil
}

// computePlan reads the inputs the flags name and computes the plan.
func computePlan(c *cli.Context) (*planInputs, *plan.Plan, error) {
	in, err := readPlanInputs(c)
	if err != nil {
		return nil, nil, err
	}
	if err := checkRuleSelector(in); err != nil {
		return nil, nil, err
	}
	p, err := in.plan()
	if err != nil {
		return nil, nil, exitf(1, "%v", err)
	}
	if err := checkNodeSelector(in); err != nil {
		return nil, nil, err
	}
	if rec, ok := c.Context.Value(incompleteKey{}).(*error); ok {
		*rec = live.Incomplete(in.state)
	}
	return in, p, nil
}

func (in *planInputs) plan() (*plan.Plan, error) {
	if in.src != nil {
		p, st, err := live.Plan(in.ctx, *in.src, in.set.Rules, in.set.Templates, in.opts)
		in.state = st
		return p, err
	}
	f, err := engine.FromSnapshot(in.snapshot)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.file, err)
	}
	return engine.Plan(in.set.Rules, in.set.Templates, f, in.opts)
}

func renderPlan(c *cli.Context, p *plan.Plan, format string) error {
	w := c.App.Writer
	switch format {
	case "text":
		return plan.RenderText(w, p, plan.RenderOptions{Color: useColor(c, w)})
	case "json":
		return plan.RenderJSON(w, p)
	case "markdown", "md":
		return plan.RenderMarkdown(w, p)
	}
	return exitf(1, "unknown output %q (want text, json or markdown)", format)
}

// useColor colors text only on a terminal, never with --no-color or NO_COLOR.
func useColor(c *cli.Context, w io.Writer) bool {
	if c.Bool("no-color") || os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func savePlan(file string, p *plan.Plan) error {
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	if err := plan.RenderJSON(f, p); err != nil {
		f.Close()
		return fmt.Errorf("save plan %s: %w", file, err)
	}
	return f.Close()
}

// loadPlan reads a saved plan, refusing one whose content does not match its ID.
func loadPlan(file string) (*plan.Plan, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return savedplan.Read(f, file, 0)
}

// confirm asks for "yes" on the app's reader, as terraform apply does.
func confirm(c *cli.Context) bool {
	fmt.Fprint(c.App.Writer, "\nDo you want to apply these changes? Only 'yes' will be accepted.\n  Enter a value: ")
	line, _ := bufio.NewReader(c.App.Reader).ReadString('\n')
	return strings.TrimSpace(line) == "yes"
}

func showCommand() *cli.Command {
	return &cli.Command{
		Name:      "show",
		Usage:     "show a saved plan",
		ArgsUsage: "PLAN.json",
		Flags: []cli.Flag{
			outputFlag("text", "json", "markdown"),
			&cli.BoolFlag{Name: "no-color", Usage: "never color the text output (it is colored only on a terminal, and never with $NO_COLOR)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return exitf(1, "show needs one saved plan file: ngctl show PLAN.json (from ngctl plan -out PLAN.json)")
			}
			p, err := loadPlan(c.Args().First())
			if err != nil {
				return exitf(1, "%v", err)
			}
			return renderPlan(c, p, c.String("output"))
		},
	}
}

// repeatInterval turns --alert-repeat-interval into the engine's: 0s means never.
func repeatInterval(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}
