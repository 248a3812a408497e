package main

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/nodeguardian/nodeguardian/internal/cluster"
	"github.com/nodeguardian/nodeguardian/internal/live"
	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/metrics"
	"github.com/nodeguardian/nodeguardian/internal/source"
)

// Metric sources.
const (
	sourcePrometheus    = "prometheus"
	sourceMetricsServer = "metrics-server"
	sourceSnapshot      = "snapshot"
)

// clusterFlags are the flags that reach the live cluster and its metrics, with the usage
// text of the command cmd (plan, apply and diff also have --snapshot; snapshot and
// controller do not).
func clusterFlags(cmd string) []cli.Flag {
	sources := "`SOURCE`: prometheus or metrics-server (default: prometheus when $PROMETHEUS_URL is set, else metrics-server when $METRICS_SERVER_URL is set)"
	if cmd == "plan" || cmd == "apply" || cmd == "diff" {
		sources = "`SOURCE`: prometheus, metrics-server or snapshot (default: snapshot with --snapshot, else prometheus when $PROMETHEUS_URL is set, else metrics-server when $METRICS_SERVER_URL is set)"
	}
	return []cli.Flag{
		&cli.StringFlag{Name: "kubeconfig", Usage: "kubeconfig `FILE` (default: $KUBECONFIG, ~/.kube/config, or in-cluster)"},
		&cli.StringFlag{Name: "context", Usage: "kubeconfig context `NAME`"},
		&cli.Float64Flag{Name: "qps", Value: cluster.DefaultQPS, Usage: "at most `N` Kubernetes API requests per second (client side; the API server's Priority and Fairness also applies)"},
		&cli.DurationFlag{Name: "request-timeout", Value: cluster.DefaultRequestTimeout, Usage: "give up on one Kubernetes request after `DURATION` (0s: never), like kubectl's"},
		&cli.IntFlag{Name: "burst", Value: cluster.DefaultBurst, Usage: "at most `N` Kubernetes API requests in a burst above --qps"},
		&cli.BoolFlag{Name: "from-cluster", Usage: "also load NodeGuardianRule and AlertTemplate objects from the cluster"},
		&cli.StringFlag{Name: "metrics-source", Usage: sources},
		&cli.StringFlag{Name: "prometheus-url", EnvVars: []string{"PROMETHEUS_URL"}, Usage: "Prometheus base `URL`"},
		&cli.StringFlag{Name: "prometheus-bearer-token-file", Usage: "`FILE` holding a bearer token for Prometheus"},
		&cli.StringFlag{Name: "prometheus-username", Usage: "basic-auth `USER` for Prometheus"},
		&cli.StringFlag{Name: "prometheus-password-file", Usage: "`FILE` holding the basic-auth password for Prometheus"},
		&cli.StringFlag{Name: "prometheus-ca-file", Usage: "CA bundle `FILE` for Prometheus' TLS certificate"},
		&cli.BoolFlag{Name: "prometheus-insecure-skip-verify", Usage: "do not verify Prometheus' TLS certificate"},
		&cli.DurationFlag{Name: "prometheus-timeout", Value: 30 * time.Second, Usage: "timeout `DURATION` of one Prometheus query"},
		&cli.StringFlag{Name: "prometheus-max-response-size", Value: metrics.FormatSize(metrics.DefaultMaxResponseSize), Usage: "read at most `SIZE` of one Prometheus response (64Mi, 512MiB, or bytes); a larger one fails its query"},
		&cli.StringFlag{Name: "config", Usage: "metrics config `FILE`: node label and built-in query overrides (docs/metrics.md)"},
		&cli.BoolFlag{Name: "assume-sustained", Usage: "metrics-server: treat the latest value as held for a condition's whole duration"},
		&cli.TimestampFlag{Name: "now", Layout: time.RFC3339, Usage: sharedUsage(cmd, "now")},
	}
}

// restConfig is the client configuration the flags name.
func restConfig(c *cli.Context) (*rest.Config, error) {
	kubeconfig, kubeContext := c.String("kubeconfig"), c.String("context")
	if !clusterConfigured(kubeconfig) {
		return nil, noClusterError(c)
	}
	if err := checkContext(kubeconfig, kubeContext); err != nil {
		return nil, err
	}
	cfg, err := cluster.RESTConfig(cluster.Options{
		Kubeconfig: kubeconfig, Context: kubeContext,
		QPS: float32(c.Float64("qps")), Burst: c.Int("burst"), RequestTimeout: requestTimeout(c.Duration("request-timeout")),
	})
	if errors.Is(err, clientcmd.ErrEmptyConfig) {
		return nil, noClusterError(c)
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	return cfg, nil
}

// clusterConfigured reports whether client-go has anything to load: --kubeconfig,
// $KUBECONFIG, ~/.kube/config, or the in-cluster service account.
func clusterConfigured(kubeconfig string) bool {
	if kubeconfig != "" || os.Getenv("KUBECONFIG") != "" {
		return true
	}
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" && os.Getenv("KUBERNETES_SERVICE_PORT") != "" {
		return true
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return true // let client-go say what it finds
	}
	_, err = os.Stat(filepath.Join(home, ".kube", "config"))
	return !errors.Is(err, fs.ErrNotExist)
}

// checkContext refuses a --context the kubeconfig does not define, naming the contexts
// it does, instead of client-go's error or a fallback to the in-cluster configuration.
func checkContext(kubeconfig, name string) error {
	if name == "" {
		return nil
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	if err := cluster.CheckKubeconfig(rules); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	cfg, err := rules.Load()
	if err != nil {
		return fmt.Errorf("cluster: load kubeconfig: %w", err)
	}
	if _, ok := cfg.Contexts[name]; ok {
		return nil
	}
	where := "the kubeconfig (" + strings.Join(rules.GetLoadingPrecedence(), string(filepath.ListSeparator)) + ")"
	if kubeconfig != "" {
		where = "the kubeconfig " + kubeconfig
	}
	if len(cfg.Contexts) == 0 {
		return fmt.Errorf("--context %s: %s has no contexts; give the kubeconfig that defines it with --kubeconfig FILE", name, where)
	}
	return fmt.Errorf("--context %s: no such context in %s; its contexts: %s", name, where, strings.Join(slices.Sorted(maps.Keys(cfg.Contexts)), ", "))
}

// noClusterError says what to do when no cluster is configured, for the command and
// flags given, instead of client-go's hint about KUBERNETES_MASTER.
func noClusterError(c *cli.Context) error {
	if name := c.String("context"); name != "" {
		return fmt.Errorf("--context %s: no kubeconfig found ($KUBECONFIG is not set and ~/.kube/config does not exist); give the kubeconfig that defines it with --kubeconfig FILE", name)
	}
	switch commandPath(c) {
	case "controller":
		return errors.New("no cluster configured: ngctl controller runs in the cluster with its service account (deploy/, docs/controller.md); outside it, use --kubeconfig FILE / --context NAME")
	case "snapshot":
		return errors.New("no cluster configured: ngctl snapshot reads a live cluster; use --kubeconfig FILE / --context NAME")
	}
	if c.String("snapshot") != "" { // --from-cluster on an offline plan
		return errors.New("no cluster configured for --from-cluster: use --kubeconfig FILE / --context NAME, or give the rules with -f")
	}
	if commandPath(c) == "apply" {
		return errors.New("no cluster configured: use --snapshot FILE to apply to a snapshot file (a simulation), or --kubeconfig FILE / --context NAME")
	}
	return errors.New("no cluster configured: use --snapshot FILE for an offline plan, or --kubeconfig FILE / --context NAME")
}

// clusterClient connects to the cluster the flags name.
func clusterClient(c *cli.Context) (*cluster.Client, error) {
	cfg, err := restConfig(c)
	if err != nil {
		return nil, err
	}
	return cluster.New(cfg)
}

// liveSources builds the cluster client and the metric source the flags choose.
func liveSources(c *cli.Context) (live.Sources, error) {
	rc, err := restConfig(c)
	if err != nil {
		return live.Sources{}, err
	}
	cl, err := cluster.New(rc)
	if err != nil {
		return live.Sources{}, err
	}
	cfg := metrics.DefaultConfig()
	if f := c.String("config"); f != "" {
		if cfg, err = metrics.LoadConfig(f); err != nil {
			return live.Sources{}, err
		}
	}
	src := live.Sources{Cluster: cl, Config: cfg}
	opts, err := sourceOptions(c, rc, cfg)
	if err != nil {
		return src, err
	}
	src.Metrics, err = source.New(opts)
	return src, err
}

// sourceOptions turns the flags into the metric sources' options: the default source
// (--metrics-source), the Prometheus flags (also for rules' prometheusURL) and
// metrics-server through the cluster's configuration (also for rules' useMetricsServer).
func sourceOptions(c *cli.Context, rc *rest.Config, cfg metrics.Config) (source.Options, error) {
	opts := source.Options{MetricsServer: rc, Config: cfg,
		MetricsServerOptions: metrics.MetricsServerOptions{AssumeSustained: c.Bool("assume-sustained")}}
	switch kind := metricsSource(c); kind {
	case sourcePrometheus:
		if c.String("prometheus-url") == "" {
			return opts, fmt.Errorf("--metrics-source prometheus needs --prometheus-url or $PROMETHEUS_URL")
		}
		opts.Default = metrics.SourcePrometheus
		opts.Prometheus.URL = c.String("prometheus-url")
	case sourceMetricsServer:
		opts.Default = metrics.SourceMetricsServer
	case "":
		return opts, fmt.Errorf("no metric source: set --metrics-source, or $PROMETHEUS_URL or $METRICS_SERVER_URL")
	default:
		return opts, fmt.Errorf("unknown --metrics-source %q (want prometheus, metrics-server or snapshot)", kind)
	}
	maxSize, err := metrics.ParseSize(c.String("prometheus-max-response-size"))
	if err != nil {
		return opts, fmt.Errorf("invalid value for --prometheus-max-response-size: %w", err)
	}
	p := &opts.Prometheus
	p.BearerTokenFile, p.Username, p.PasswordFile = c.String("prometheus-bearer-token-file"), c.String("prometheus-username"), c.String("prometheus-password-file")
	p.CAFile, p.InsecureSkipVerify = c.String("prometheus-ca-file"), c.Bool("prometheus-insecure-skip-verify")
	p.Timeout, p.MinRange, p.MaxResponseSize = c.Duration("prometheus-timeout"), staleness(c), maxSize
	return opts, nil
}

func metricsSource(c *cli.Context) string {
	if s := c.String("metrics-source"); s != "" {
		return s
	}
	switch {
	case c.String("snapshot") != "":
		return sourceSnapshot
	case c.String("prometheus-url") != "":
		return sourcePrometheus
	case os.Getenv("METRICS_SERVER_URL") != "":
		return sourceMetricsServer
	}
	return ""
}

// loadRules loads -f files and, with --from-cluster, the cluster's objects; a name
// defined in both is an error.
func loadRules(c *cli.Context) (*load.Set, error) {
	paths := c.StringSlice("filename")
	if len(paths) == 0 && !c.Bool("from-cluster") {
		return nil, exitf(1, "no rules: give -f PATH or --from-cluster")
	}
	set := &load.Set{}
	if len(paths) > 0 {
		var diags load.Diagnostics
		set, diags = load.Paths(paths, c.App.Reader)
		if diags.HasErrors() {
			return nil, exitf(1, "%s", trimNL(diags.Errors().Error()))
		}
	}
	if !c.Bool("from-cluster") {
		return set, nil
	}
	cl, err := clusterClient(c)
	if err != nil {
		return nil, exitf(1, "%v", err)
	}
	rules, tmpls, err := cl.Rules(c.Context)
	if err != nil {
		return nil, exitf(1, "%v", err)
	}
	// Stored objects were checked against the CRD of their last write: check them again.
	if diags := load.Objects("cluster", rules, tmpls); diags.HasErrors() {
		return nil, exitf(1, "%s\nfix the objects in the cluster (kubectl edit nodeguardianrule NAME) or leave out --from-cluster", trimNL(diags.Errors().Error()))
	}
	if err := load.Merge(set, rules, tmpls); err != nil {
		return nil, exitf(1, "%v", err)
	}
	return set, nil
}

func trimNL(s string) string {
	for len(s) > 0 && s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
	}
	return s
}

// staleness is --staleness where the command has it (snapshot does not), else the default.
func staleness(c *cli.Context) time.Duration {
	if d := c.Duration("staleness"); d > 0 {
		return d
	}
	return 5 * time.Minute
}

// requestTimeout turns --request-timeout into cluster.Options': 0s means none.
func requestTimeout(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}
