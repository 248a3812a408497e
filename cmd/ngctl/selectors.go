package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// checkRuleSelector refuses --rule NAME when no loaded rule has that name: a typo would
// otherwise plan nothing and look like "no changes".
func checkRuleSelector(in *planInputs) error {
	name := in.opts.Rule
	if name == "" {
		return nil
	}
	names := make([]string, 0, len(in.set.Rules))
	for _, r := range in.set.Rules {
		if r.Name == name {
			return nil
		}
		names = append(names, r.Name)
	}
	return exitf(1, "no rule named %q in the rules; rules: %s", name, someNames(names))
}

// checkNodeSelector refuses --node NAME when the fleet has no such node; live, the fleet
// is known only after planning.
func checkNodeSelector(in *planInputs) error {
	name := in.opts.Node
	if name == "" {
		return nil
	}
	var nodes []corev1.Node
	switch {
	case in.snapshot != nil:
		nodes = in.snapshot.Nodes
	case in.state != nil:
		nodes = in.state.Fleet.Nodes
	default:
		return nil
	}
	if slices.ContainsFunc(nodes, func(n corev1.Node) bool { return n.Name == name }) {
		return nil
	}
	names := make([]string, 0, len(nodes))
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	src := plan.Inputs{Source: in.opts.Source, SourcePath: in.opts.SourcePath}
	return exitf(1, "no node named %q in the fleet (%s); nodes: %s", name, src.SourceText(), someNames(names))
}

// liveOnlyFlags are read only on the live cluster: a snapshot holds its own metrics and
// time. The cluster connection flags serve --from-cluster too.
var liveOnlyFlags = []string{
	"now", "config", "assume-sustained", "prometheus-url", "prometheus-bearer-token-file",
	"prometheus-username", "prometheus-password-file", "prometheus-ca-file",
	"prometheus-insecure-skip-verify", "prometheus-timeout", "prometheus-max-response-size", "allow-metric-errors", "timeout",
}

// refuseLiveOnlyFlags refuses flags given on the command line that a plan on a snapshot
// would ignore ($PROMETHEUS_URL in the environment is not a flag given, and is ignored).
func refuseLiveOnlyFlags(c *cli.Context) error {
	given := c.LocalFlagNames()
	names := slices.Clone(liveOnlyFlags)
	if !c.Bool("from-cluster") {
		names = append(names, "kubeconfig", "context", "qps", "burst", "request-timeout")
	}
	for _, name := range names {
		fromEnv := name == "prometheus-url" && os.Getenv("PROMETHEUS_URL") == c.String(name) // urfave marks env values as set
		if slices.Contains(given, name) && !fromEnv {
			return exitf(1, "--%s applies to the live cluster only: with --snapshot FILE the fleet, its metrics and its time come from the file; drop --%s or --snapshot", name, name)
		}
	}
	return nil
}

// someNames lists names sorted, at most 10 of them.
func someNames(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	names = slices.Sorted(slices.Values(names))
	const most = 10
	if len(names) > most {
		return fmt.Sprintf("%s, ... (%d in all)", strings.Join(names[:most], ", "), len(names))
	}
	return strings.Join(names, ", ")
}

// applyHint is the command that applies a plan saved to file: the inputs of this plan.
func applyHint(c *cli.Context, file string) string {
	hint := []string{"ngctl", "apply"}
	for _, f := range c.StringSlice("filename") {
		hint = append(hint, "-f", f)
	}
	if c.Bool("from-cluster") {
		hint = append(hint, "--from-cluster")
	}
	if s := c.String("snapshot"); s != "" {
		hint = append(hint, "--snapshot", s)
	}
	for _, name := range []string{"rule", "node", "staleness", "max-disruptive", "alert-repeat-interval",
		"kubeconfig", "context", "metrics-source", "config"} { // never the Prometheus URL: it may hold credentials
		if c.IsSet(name) {
			hint = append(hint, "--"+name, fmt.Sprint(c.Value(name)))
		}
	}
	if f := c.String("alert-config"); f != "" && c.String("snapshot") == "" { // a simulation sends nothing
		hint = append(hint, "--alert-config", f)
	}
	return strings.Join(append(hint, file), " ")
}
