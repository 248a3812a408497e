package main

import (
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/fluxcd/pkg/runtime/features"
	"github.com/fluxcd/pkg/runtime/leaderelection"
	"github.com/fluxcd/pkg/runtime/logger"
	"github.com/spf13/pflag"
	"github.com/urfave/cli/v2"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/controller"
	"github.com/nodeguardian/nodeguardian/internal/metrics"
	"github.com/nodeguardian/nodeguardian/internal/plan"
	"github.com/nodeguardian/nodeguardian/internal/redact"
)

// controllerCommand runs NodeGuardian in the cluster (internal/controller).
func controllerCommand() *cli.Command {
	var (
		logOpts logger.Options
		leOpts  leaderelection.Options
		gates   features.FeatureGates
	)
	fs := pflag.NewFlagSet("controller", pflag.ContinueOnError)
	logOpts.BindFlags(fs)
	leOpts.BindFlags(fs)
	gates.BindFlags(fs)
	flags := append([]cli.Flag{
		&cli.StringFlag{Name: "metrics-addr", Value: controller.DefaultMetricsAddr, Usage: "serve /metrics on `ADDR` (0: off)"},
		&cli.StringFlag{Name: "health-addr", Value: controller.DefaultHealthAddr, Usage: "serve /healthz and /readyz on `ADDR` (0: off)"},
		&cli.StringFlag{Name: "leader-election-namespace", Usage: "`NAMESPACE` of the leader election Lease (default: $RUNTIME_NAMESPACE, else the service account's)"},
		&cli.BoolFlag{Name: "dry-run", Usage: "plan and report (status, Events, log) but change nothing"},
		alertConfigFlag(),
		&cli.DurationFlag{Name: "staleness", Value: controller.DefaultStaleness, Usage: "a metric whose latest sample is older than this `DURATION` is Unknown"},
		&cli.StringFlag{Name: "max-disruptive", Value: "30%", Usage: "at most `N` (or N%) of all nodes under disruptive effects at once"},
		&cli.DurationFlag{Name: "alert-repeat-interval", Value: plan.DefaultRepeatInterval, Usage: "send a firing rule's alert again after `DURATION` (0s: never; a template's repeatInterval wins)"},
	}, pflagFlags(fs)...)
	flags = append(flags, controllerClusterFlags()...)
	return &cli.Command{
		Name:  "controller",
		Usage: "run NodeGuardian in the cluster: watch rules and nodes, plan and apply on every checkInterval (docs/controller.md)",
		Flags: flags,
		Action: func(c *cli.Context) error {
			if err := copyPflags(c, fs); err != nil {
				return exitf(1, "%v", err)
			}
			o, err := controllerOptions(c, leOpts)
			if err != nil {
				return exitf(1, "%v", err)
			}
			if o.DisableNodeEvents, err = nodeEventsDisabled(&gates); err != nil {
				return exitf(1, "%v", err)
			}
			o.ReturnMemory = true
			cfg, err := restConfig(c)
			if err != nil {
				return exitf(1, "%v", err)
			}
			logger.SetLogger(logger.NewLogger(logOpts))
			ctx, stop := signal.NotifyContext(c.Context, syscall.SIGTERM, os.Interrupt)
			defer stop()
			if err := controller.Run(ctx, cfg, o); err != nil {
				return exitf(1, "controller: %v", err)
			}
			return nil
		},
	}
}

// nodeEventsDisabled loads the feature gates given with --feature-gates (Flux's flag)
// against the controller's, and says whether NodeEvents is off.
func nodeEventsDisabled(gates *features.FeatureGates) (bool, error) {
	if err := gates.SupportedFeatures(controller.Features()); err != nil {
		return false, fmt.Errorf("invalid value for --feature-gates: %w (known gates: %s)", err, controller.FeatureNodeEvents)
	}
	on, err := features.Enabled(controller.FeatureNodeEvents)
	return !on, err
}

// controllerOptions turns the flags into controller.Options.
func controllerOptions(c *cli.Context, le leaderelection.Options) (controller.Options, error) {
	budget, err := v1.ParseBudget(c.String("max-disruptive"))
	if err != nil {
		return controller.Options{}, exitf(1, "invalid value for --max-disruptive: %v (0 allows none)", err)
	}
	maxSize, err := metrics.ParseSize(c.String("prometheus-max-response-size"))
	if err != nil {
		return controller.Options{}, exitf(1, "invalid value for --prometheus-max-response-size: %v", err)
	}
	// Checked before anything connects; the error shows the URL redacted.
	if u := c.String("prometheus-url"); u != "" {
		if _, err := redact.ParseBaseURL(u); err != nil {
			return controller.Options{}, exitf(1, "invalid value for --prometheus-url: %v", err)
		}
	}
	o := controller.Options{
		MetricsAddr: c.String("metrics-addr"), HealthAddr: c.String("health-addr"),
		LeaderElection: le, LeaderElectionNamespace: c.String("leader-election-namespace"),
		DryRun: c.Bool("dry-run"), AlertConfig: c.String("alert-config"), MetricsSource: c.String("metrics-source"),
		Staleness: c.Duration("staleness"), MaxDisruptive: &budget,
		Prometheus: metrics.PrometheusOptions{
			URL: c.String("prometheus-url"), BearerTokenFile: c.String("prometheus-bearer-token-file"),
			Username: c.String("prometheus-username"), PasswordFile: c.String("prometheus-password-file"),
			CAFile: c.String("prometheus-ca-file"), InsecureSkipVerify: c.Bool("prometheus-insecure-skip-verify"),
			Timeout: c.Duration("prometheus-timeout"), MinRange: c.Duration("staleness"), MaxResponseSize: maxSize,
		},
	}
	if o.RepeatInterval, err = alertRepeatInterval(c); err != nil {
		return controller.Options{}, err
	}
	if f := c.String("config"); f != "" {
		cfg, err := metrics.LoadConfig(f)
		if err != nil {
			return o, err
		}
		o.MetricsConfig = &cfg
	}
	return o, nil
}

// controllerClusterFlags are the cluster and Prometheus flags of plan and apply that the
// controller takes too.
func controllerClusterFlags() []cli.Flag {
	keep := []string{"kubeconfig", "context", "qps", "burst", "request-timeout", "metrics-source", "prometheus-url", "prometheus-bearer-token-file",
		"prometheus-username", "prometheus-password-file", "prometheus-ca-file", "prometheus-insecure-skip-verify",
		"prometheus-timeout", "prometheus-max-response-size", "config"}
	var out []cli.Flag
	for _, f := range clusterFlags("controller") {
		if slices.Contains(keep, f.Names()[0]) {
			out = append(out, f)
		}
	}
	return out
}

// pflagFlags declares the flags of Flux's option structs (bound to fs by their
// BindFlags) as ngctl flags of the same names, defaults and usage.
func pflagFlags(fs *pflag.FlagSet) []cli.Flag {
	var out []cli.Flag
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Value.Type() == "bool" {
			def, _ := strconv.ParseBool(f.DefValue)
			out = append(out, &cli.BoolFlag{Name: f.Name, Value: def, Usage: f.Usage})
			return
		}
		out = append(out, &cli.StringFlag{Name: f.Name, Value: f.DefValue, Usage: "`" + pflagPlaceholder(f) + "`: " + lowerFirst(f.Usage)})
	})
	return out
}

// lowerFirst makes a sentence follow "WORD: ".
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// pflagPlaceholder is the word that stands for the value of a Flux flag in the help
// (urfave/cli shows "value" otherwise): DURATION, FORMAT, LEVEL, GATES.
func pflagPlaceholder(f *pflag.Flag) string {
	switch {
	case f.Value.Type() == "duration":
		return "DURATION"
	case f.Name == "log-encoding":
		return "FORMAT"
	case f.Name == "log-level":
		return "LEVEL"
	case f.Name == "feature-gates":
		return "GATES"
	}
	name, _ := pflag.UnquoteUsage(f)
	if name == "" {
		name = "value"
	}
	return strings.ToUpper(name)
}

// copyPflags sets the Flux option structs from the ngctl flags given.
func copyPflags(c *cli.Context, fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || !c.IsSet(f.Name) {
			return
		}
		v := c.String(f.Name)
		if f.Value.Type() == "bool" {
			v = strconv.FormatBool(c.Bool(f.Name))
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = exitf(1, "invalid value %q for flag --%s: %v", v, f.Name, e)
		}
	})
	return err
}
