package main

import (
	"fmt"
	"io"
	"log"
	"os"
	"sort"
	"strings"

	"golang.org/x/term"

	"github.com/urfave/cli/v2"

	"github.com/nodeguardian/nodeguardian/internal/apply"
	"github.com/nodeguardian/nodeguardian/internal/cluster"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

func applyCommand() *cli.Command {
	return &cli.Command{
		Name:      "apply",
		Usage:     "make the planned changes (to a snapshot: a simulation written to --write-snapshot)",
		ArgsUsage: "[PLAN.json]",
		Flags: append(planFlags(),
			&cli.StringFlag{Name: "write-snapshot", Usage: "write the resulting snapshot to `FILE` (default: rewrite --snapshot in place, keeping the old one as FILE.backup)"},
			&cli.BoolFlag{Name: "auto-approve", Usage: "do not ask for confirmation"},
		),
		Action: func(c *cli.Context) error {
			if err := checkSnapshotOut(c); err != nil {
				return err
			}
			in, p, err := computePlan(c)
			if err != nil {
				return err
			}
			if c.NArg() > 0 {
				if p, err = checkSaved(c.Args().First(), p, in.src == nil); err != nil {
					return exitf(1, "%v", err)
				}
				if in.src != nil {
					if err := in.src.Cluster.CheckVersions(c.Context, p); err != nil {
						return exitf(1, "plan is stale: %v", err)
					}
				}
			}
			if err := plan.RenderText(c.App.Writer, p, plan.RenderOptions{Color: useColor(c, c.App.Writer)}); err != nil {
				return err
			}
			if !p.HasChanges() {
				return writeUnchanged(c, in)
			}
			if !c.Bool("auto-approve") && !confirm(c) {
				return exitf(1, "apply cancelled: answer yes to apply, or pass --auto-approve")
			}
			if in.src != nil {
				return applyLive(c, in, p)
			}
			res, err := apply.ToSnapshot(p, in.snapshot)
			if err != nil {
				return exitf(1, "apply: %v", err)
			}
			return writeSnapshotResult(c, in, res)
		},
	}
}

// applyLive applies a plan to the cluster: one PATCH per node, then evictions; a node that
// fails does not stop the others, and the exit code is 1 when any failed.
func applyLive(c *cli.Context, in *planInputs, p *plan.Plan) error {
	tty := useColor(c, c.App.Writer) || isTerminal(c.App.Writer)
	res, err := in.src.Cluster.Apply(c.Context, p, in.state.Replan, cluster.ApplyOptions{
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
	})
	if err != nil {
		return exitf(1, "apply: %v", err)
	}
	for _, a := range res.Alerts {
		fmt.Fprintf(c.App.Writer, "alert %s on %s via %s: %s\n", a.Rule, a.Node, strings.Join(a.Channels, ", "), a.Subject)
		log.Printf("alert rule=%s node=%s event=%s channels=%s subject=%q", a.Rule, a.Node, a.Event, strings.Join(a.Channels, ","), a.Subject)
	}
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

// checkSaved reads a saved plan and refuses it when it expired or when the plan computed
// now from the same flags differs from it (its rules changed; offline, its fleet too —
// live, node resourceVersions are checked by the caller, as metrics always move).
func checkSaved(file string, now *plan.Plan, offline bool) (*plan.Plan, error) {
	saved, err := loadPlan(file)
	if err != nil {
		return nil, err
	}
	if now.CreatedAt.After(saved.ExpiresAt) {
		return nil, fmt.Errorf("plan is stale: %s expired at %s (now %s); run ngctl plan again", file,
			saved.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z"), now.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"))
	}
	var why []string
	if saved.Inputs.RulesHash != now.Inputs.RulesHash {
		why = append(why, "the rules changed")
	}
	if offline && saved.Inputs.FleetHash != now.Inputs.FleetHash {
		why = append(why, "the fleet changed")
	}
	if offline && len(why) == 0 && saved.ID != now.ID {
		why = append(why, "the plan computed now differs")
	}
	if len(why) > 0 {
		return nil, fmt.Errorf("plan is stale: %s was made from other inputs (%s); run ngctl plan again", file, joinAnd(why))
	}
	return saved, nil
}

func joinAnd(s []string) string {
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
	return out + " and " + s[len(s)-1]
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
