package metrics

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/srclimit"
)

// Node labels with a meaning of their own.
const (
	// LabelNode is the default node label: its value is the Kubernetes node name.
	LabelNode = "node"
	// LabelInstance is node-exporter's scrape address; its ":port" is stripped.
	LabelInstance = "instance"
)

// Config says how the built-in metrics are computed from Prometheus.
type Config struct {
	// NodeLabel is the label whose value is the node name: "node" (the default) or
	// "instance" (host:port, the port is stripped). Any other valid label name is taken
	// as is.
	NodeLabel string
	// Queries maps built-in metric names to PromQL, overriding the built-in queries.
	// Each query must return one series per node carrying NodeLabel.
	Queries map[string]string
}

// DefaultConfig is the configuration used without --config: the "node" label and the
// built-in queries.
func DefaultConfig() Config {
	return Config{NodeLabel: LabelNode}
}

// label is the node label with the default applied.
func (c Config) label() string {
	if c.NodeLabel == "" {
		return LabelNode
	}
	return c.NodeLabel
}

// Query is the PromQL of a built-in metric: the configured override, else the built-in
// query aggregated by the node label. It returns "" for a metric that is not built in.
func (c Config) Query(metric string) string {
	if q, ok := c.Queries[metric]; ok {
		return q
	}
	return BuiltinQuery(metric, c.label())
}

// BuiltinQuery is the default PromQL of a built-in metric over node-exporter series,
// aggregated by label (max/count by the label, so that two scrape jobs of one exporter
// neither double nor split a node). It returns "" for a metric that is not built in.
func BuiltinQuery(metric, label string) string {
	switch metric {
	case v1.MetricMemoryUtilization:
		return fmt.Sprintf(`100 * (1 - max by (%[1]s) (node_memory_MemAvailable_bytes) / max by (%[1]s) (node_memory_MemTotal_bytes))`, label)
	case v1.MetricDiskUtilization:
		return fmt.Sprintf(`100 * (1 - max by (%[1]s) (node_filesystem_avail_bytes{mountpoint="/"}) / max by (%[1]s) (node_filesystem_size_bytes{mountpoint="/"}))`, label)
	case v1.MetricCPULoadRatio:
		return fmt.Sprintf(`max by (%[1]s) (node_load1) / count by (%[1]s) (count by (%[1]s, cpu) (node_cpu_seconds_total{mode="idle"}))`, label)
	case v1.MetricCPUUtilization:
		return fmt.Sprintf(`100 * (1 - avg by (%[1]s) (rate(node_cpu_seconds_total{mode="idle"}[2m])))`, label)
	}
	return ""
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Validate checks the node label and the query overrides.
func (c Config) Validate() error {
	if c.NodeLabel != "" && !labelName.MatchString(c.NodeLabel) {
		return fmt.Errorf("nodeLabel %q is not a valid Prometheus label name", c.NodeLabel)
	}
	names := make([]string, 0, len(c.Queries))
	for m := range c.Queries {
		names = append(names, m)
	}
	sort.Strings(names)
	for _, m := range names {
		if !v1.IsBuiltinMetric(m) {
			return fmt.Errorf("queries: %q is not a built-in metric (one of %s); custom metrics take their query in the rule", m, strings.Join(v1.BuiltinMetrics(), ", "))
		}
		if strings.TrimSpace(c.Queries[m]) == "" {
			return fmt.Errorf("queries: %s: empty query", m)
		}
	}
	return nil
}

// LoadConfig reads a metrics configuration file (YAML):
//
//	nodeLabel: node        # or instance
//	queries:
//	  cpuLoadRatio: 'max by (node) (node_load15) / count by (node) (node_cpu_seconds_total{mode="idle"})'
//
// Unknown fields, unknown metrics, duplicate keys and wrong types are errors naming
// file:line. An empty file gives DefaultConfig.
func LoadConfig(file string) (Config, error) {
	data, err := srclimit.ReadFile(file, srclimit.MaxConfigSize)
	if err != nil {
		return Config{}, fmt.Errorf("metrics config: %w", err)
	}
	return ParseConfig(file, data)
}

// ParseConfig parses the YAML of LoadConfig; file names the source in errors.
func ParseConfig(file string, data []byte) (Config, error) {
	cfg := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, nil
		}
		return Config{}, syntaxError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return Config{}, syntaxError(file, err)
		}
		return Config{}, fmt.Errorf("%s:%d: only one YAML document is allowed", file, extra.Line)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return cfg, nil
	}
	if err := decodeConfig(file, root, &cfg); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// syntaxError turns "yaml: line 3: ..." into "file:3: ...".
func syntaxError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	var rest string
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		if _, after, ok := strings.Cut(msg, ":"); ok {
			rest = strings.TrimSpace(after)
		}
		return fmt.Errorf("%s:%d: %s", file, line, rest)
	}
	return fmt.Errorf("%s: %w", file, err)
}

func decodeConfig(file string, root *yaml.Node, cfg *Config) error {
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: the metrics config must be a mapping (nodeLabel, queries)", file, root.Line)
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if first, dup := seen[k.Value]; dup {
			return fmt.Errorf("%s:%d: %s: duplicate key, first at line %d", file, k.Line, k.Value, first)
		}
		seen[k.Value] = k.Line
		switch k.Value {
		case "nodeLabel":
			s, err := scalarString(file, "nodeLabel", v)
			if err != nil {
				return err
			}
			cfg.NodeLabel = s
			if err := (Config{NodeLabel: s}).Validate(); err != nil {
				return fmt.Errorf("%s:%d: %w", file, v.Line, err)
			}
		case "queries":
			q, err := decodeQueries(file, v)
			if err != nil {
				return err
			}
			cfg.Queries = q
		default:
			return fmt.Errorf("%s:%d: unknown field %q (want nodeLabel, queries)", file, k.Line, k.Value)
		}
	}
	return nil
}

func decodeQueries(file string, n *yaml.Node) (map[string]string, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: queries: must be a mapping of built-in metric name to PromQL", file, n.Line)
	}
	out := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, dup := out[k.Value]; dup {
			return nil, fmt.Errorf("%s:%d: queries.%s: duplicate key", file, k.Line, k.Value)
		}
		if !v1.IsBuiltinMetric(k.Value) {
			return nil, fmt.Errorf("%s:%d: queries: unknown metric %q (want one of %s; custom metrics take their query in the rule)",
				file, k.Line, k.Value, strings.Join(v1.BuiltinMetrics(), ", "))
		}
		s, err := scalarString(file, "queries."+k.Value, v)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("%s:%d: queries.%s: empty query", file, v.Line, k.Value)
		}
		out[k.Value] = s
	}
	return out, nil
}

func scalarString(file, field string, n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return "", fmt.Errorf("%s:%d: %s: must be a string", file, n.Line, field)
	}
	return n.Value, nil
}
