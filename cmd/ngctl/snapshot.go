package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nodeguardian/nodeguardian/internal/engine"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/live"
)

func snapshotCommand() *cli.Command {
	return &cli.Command{
		Name:  "snapshot",
		Usage: "write the live fleet and the metric windows the rules need as a FleetSnapshot, to reproduce a live plan offline",
		Flags: snapshotFlags(),
		Action: func(c *cli.Context) error {
			if c.String("output") == "" {
				return exitf(1, "snapshot needs -o FILE, the snapshot file to write")
			}
			if metricsSource(c) == sourceSnapshot {
				return exitf(1, "--metrics-source snapshot: ngctl snapshot reads live metrics; use prometheus or metrics-server")
			}
			set, err := loadRules(c)
			if err != nil {
				return err
			}
			src, err := liveSources(c)
			if err != nil {
				return exitf(1, "%v", err)
			}
			now := time.Now().UTC().Truncate(time.Second)
			if t := c.Timestamp("now"); t != nil {
				now = t.UTC()
			}
			// The same reads as a live plan, pods and PDBs included where evictions are planned.
			_, st, err := live.Plan(c.Context, src, set.Rules, set.Templates, engine.Options{Now: now, Source: "cluster"})
			if err != nil {
				return exitf(1, "%v", err)
			}
			for _, w := range st.Opts.Warnings {
				fmt.Fprintf(c.App.ErrWriter, "warning: %s\n", w.Message)
			}
			snap := st.Snapshot()
			if err := fleet.Write(c.String("output"), snap); err != nil {
				return exitf(1, "%v", err)
			}
			fmt.Fprintf(c.App.Writer, "Wrote %s: %s, %s, %d metric series at %s.\n", c.String("output"),
				plural(len(snap.Nodes), "node"), plural(len(snap.Pods), "pod"),
				countSeries(snap), now.Format(time.RFC3339))
			return nil
		},
	}
}

// snapshotFlags are the flags of ngctl snapshot: the rules (which metric windows to read),
// the file to write, and how to reach the cluster and its metrics. None of plan's
// planning flags (--node, --max-disruptive, ...) applies.
func snapshotFlags() []cli.Flag {
	return append([]cli.Flag{
		rulesFileFlag(),
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "the snapshot `FILE` to write (required)"},
	}, clusterFlags("snapshot")...)
}

func countSeries(s *fleet.Snapshot) int {
	n := 0
	for _, m := range s.Series {
		n += len(m)
	}
	return n
}
