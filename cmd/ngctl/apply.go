package main

import (
	"fmt"
	"io"
	"os"
	"sort"

	"golang.org/x/term"

	"github.com/urfave/cli/v2"

	"github.com/nodeguardian/nodeguardian/internal/apply"
	"github.com/nodeguardian/nodeguardian/internal/deliver"
	"github.com/nodeguardian/nodeguardian/internal/live"
	"github.com/nodeguardian/nodeguardian/internal/plan"
	"github.com/nodeguardian/nodeguardian/internal/savedplan"
)

func applyCommand() *cli.Command {
	return &cli.Command{
		Name:      "apply",
		Usage:     "make the planned changes (to a snapshot: a simulation written to --write-snapshot)",
		ArgsUsage: "[PLAN.json]",
		Flags: append(append(planFlags("apply"),
			&cli.StringFlag{Name: "write-snapshot", Usage: "write the resulting snapshot to `FILE` (default: rewrite --snapshot in place, keeping the old one as FILE.backup)"},
			&cli.BoolFlag{Name: "auto-approve", Usage: "do not ask for confirmation"},
		), alertFlags()...),
		Action: func(c *cli.Context) error {
			if err := checkSnapshotOut(c); err != nil {
				return err
			}
			if err := checkAlertFlags(c); err != nil {
				return err
			}
			in, p, err := computePlan(c)
			if err != nil {
				return err
			}
			if c.NArg() > 0 {
				if p, err = checkSaved(c.Args().First(), in, p); err != nil {
					return exitf(1, "%v", err)
				}
			}
			if err := plan.RenderText(c.App.Writer, p, plan.RenderOptions{Color: useColor(c, c.App.Writer)}); err != nil {
				return err
			}
			sender, err := alertSender(c, in, p)
			if err != nil {
				return err
			}
			if !p.HasChanges() {
				return writeUnchanged(c, in)
			}
			if !c.Bool("auto-approve") && !confirm(c) {
				return exitf(1, "apply cancelled: answer yes to apply, or pass --auto-approve")
			}
			if in.src != nil {
				return applyLive(c, in, p, sender)
			}
			var delivered apply.Deliveries
			if sender != nil {
				delivered = sendSnapshotAlerts(c, sender, p)
			}
			res, err := apply.ToSnapshotDelivered(p, in.snapshot, delivered)
			if err != nil {
				return exitf(1, "apply: %v", err)
			}
			reportAlerts(c, sender)
			return writeSnapshotResult(c, in, res, sender != nil)
		},
	}
}

// applyLive applies a plan to the cluster: one PATCH per node, then evictions; a node that
// fails does not stop the others, and the exit code is 1 when any failed.
func applyLive(c *cli.Context, in *planInputs, p *plan.Plan, sender *deliver.Sender) error {
	tty := useColor(c, c.App.Writer) || isTerminal(c.App.Writer)
	opts := live.ApplyOptions{
		Timeout: c.Duration("timeout"),
		Progress: func(node string, err error) {
			if !tty {
				return
			}
			if err != nil {
				fmt.Fprintf(c.App.Writer, "%s: failed: %v\n", node, err)
				return
			}
			fmt.Fprintf(c.App.Writer, "%s: done\n", node)
		},
	}
	if sender != nil {
		opts.Deliver = sender.Deliver
	}
	res, err := live.Apply(c.Context, *in.src, in.state, p, opts)
	if err != nil {
		return exitf(1, "%v", err)
	}
	for _, a := range res.Alerts {
		fmt.Fprintf(c.App.Writer, "alert %s on %s via %s: %s\n", a.Rule, a.Node, channelsText(a), a.Subject)
	}
	reportAlerts(c, sender)
	for _, b := range res.Blocked {
		fmt.Fprintf(c.App.Writer, "not evicted: %s\n", b)
	}
	names := make([]string, 0, len(res.Failed))
	for n := range res.Failed {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(c.App.ErrWriter, "node %s failed: %v\n", n, res.Failed[n])
	}
	fmt.Fprintf(c.App.Writer, "\nApply complete: %s changed, %s evicted, %d deferred.\n",
		plural(res.NodesChanged, "node"), plural(res.PodsEvicted, "pod"), len(p.Deferred))
	if len(res.Failed) > 0 {
		return exitf(1, "%s failed; run ngctl apply again to converge", plural(len(res.Failed), "node"))
	}
	return nil
}

// checkSaved reads a saved plan and returns the plan to apply: offline, the plan
// computed now, when the file is that plan; live, the file's plan, when every change in
// it is one the rules make now and the nodes it changes did not change since, with the
// alert text the rules render now (savedplan.Load).
func checkSaved(file string, in *planInputs, now *plan.Plan) (*plan.Plan, error) {
	var versions map[string]string // offline
	if in.src != nil {
		versions = in.state.Opts.NodeVersions
	}
	return savedplan.Load(file, now, versions, in.opts.TTL)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
