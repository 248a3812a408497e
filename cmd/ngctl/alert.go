package main

import (
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/alert"
	"github.com/nodeguardian/nodeguardian/internal/engine"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/load"
)

// alertCommand is `ngctl alert`, whose one subcommand is `ngctl alert render`.
func alertCommand() *cli.Command {
	return &cli.Command{
		Name:            "alert",
		Usage:           "work with alert templates: ngctl alert render --template NAME -f RULES",
		HideHelpCommand: true,
		Subcommands:     []*cli.Command{alertRenderCommand()},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return exitf(1, "unknown subcommand %q of ngctl alert; the subcommands: render (see ngctl alert --help)", c.Args().First())
			}
			return exitf(1, "ngctl alert needs a subcommand: ngctl alert render --template NAME -f RULES (see ngctl alert render --help)")
		},
	}
}

// alertRenderCommand is `ngctl alert render`: an AlertTemplate's subject and body,
// rendered as the plan would, like `amtool template render`. Without --snapshot the
// context is alert.Sample (docs/rules.md); with it, the context the plan of those rules
// on that snapshot gives rule --rule on node --node.
func alertRenderCommand() *cli.Command {
	return &cli.Command{
		Name:      "render",
		Usage:     "print an AlertTemplate's rendered subject and body, like amtool template render",
		UsageText: "ngctl alert render --template NAME -f RULES... [--snapshot FILE --node NAME --rule NAME] [--event firing|resolved]",
		Flags: []cli.Flag{
			rulesFileFlag(),
			&cli.StringFlag{Name: "template", Usage: "the AlertTemplate `NAME` to render (required)"},
			&cli.StringFlag{Name: "snapshot", Usage: "render with the context of a plan on the FleetSnapshot `FILE`"},
			&cli.StringFlag{Name: "node", Usage: "with --snapshot: the node `NAME`"},
			&cli.StringFlag{Name: "rule", Usage: "with --snapshot: the rule `NAME`"},
			&cli.StringFlag{Name: "event", Value: alert.StateFiring, Usage: "the `EVENT` to render: firing or resolved"},
		},
		HideHelpCommand: true,
		OnUsageError:    usageError,
		Before:          checkArgCount(0),
		Action:          alertRender,
	}
}

func alertRender(c *cli.Context) error {
	name := c.String("template")
	if name == "" || len(c.StringSlice("filename")) == 0 {
		return exitf(1, "alert render needs --template NAME and -f RULES")
	}
	event := c.String("event")
	if event != alert.StateFiring && event != alert.StateResolved {
		return exitf(1, "invalid value %q for flag --event: firing or resolved", event)
	}
	set, diags := load.Paths(c.StringSlice("filename"), c.App.Reader)
	if diags.HasErrors() {
		return exitf(1, "%s", trimNL(diags.Errors().Error()))
	}
	i := slices.IndexFunc(set.Templates, func(t *v1.AlertTemplate) bool { return t.Name == name })
	if i < 0 {
		return exitf(1, "alert render: no AlertTemplate %q in the files given", name)
	}
	ctx, err := alertRenderContext(c, set, event)
	if err != nil {
		return err
	}
	tmpl := set.Templates[i]
	subject, err := alert.Render("spec.subject", tmpl.Spec.Subject, &ctx)
	if err != nil {
		return exitf(1, "alert render: %s: %v", name, err)
	}
	body, err := alert.Render("spec.body", tmpl.Spec.Body, &ctx)
	if err != nil {
		return exitf(1, "alert render: %s: %v", name, err)
	}
	_, err = fmt.Fprintf(c.App.Writer, "Subject: %s\n\n%s", subject, body)
	if err == nil && (body == "" || body[len(body)-1] != '\n') {
		_, err = fmt.Fprintln(c.App.Writer)
	}
	return err
}

// alertRenderContext is the sample context, or with --snapshot the plan's context.
func alertRenderContext(c *cli.Context, set *load.Set, event string) (alert.Context, error) {
	file := c.String("snapshot")
	if file == "" {
		if c.String("node") != "" || c.String("rule") != "" {
			return alert.Context{}, exitf(1, "alert render: --node and --rule need --snapshot FILE")
		}
		ctx := alert.Sample()
		ctx.State = event
		return ctx, nil
	}
	node, rule := c.String("node"), c.String("rule")
	if node == "" || rule == "" {
		return alert.Context{}, exitf(1, "alert render: --snapshot needs --node NAME and --rule NAME")
	}
	snap, err := fleet.Load(file)
	if err != nil {
		return alert.Context{}, exitf(1, "%v", err)
	}
	f, err := engine.FromSnapshot(snap)
	if err != nil {
		return alert.Context{}, exitf(1, "%s: %v", file, err)
	}
	planEvent := "firing"
	if event == alert.StateResolved {
		planEvent = "recovered"
	}
	opts := engine.Options{Now: snap.Time.Time, Interval: snap.Interval.Duration, Source: "snapshot", SourcePath: file}
	ctx, err := engine.AlertContext(set.Rules, set.Templates, f, opts, rule, node, planEvent)
	if err != nil {
		return alert.Context{}, exitf(1, "alert render: %v", err)
	}
	return ctx, nil
}
