package metrics

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    Config
		wantErr string
	}{
		{name: "empty file", yaml: "", want: DefaultConfig()},
		{name: "comment only", yaml: "# nothing\n", want: DefaultConfig()},
		{
			name: "instance and an override",
			yaml: "nodeLabel: instance\nqueries:\n  cpuLoadRatio: 'max by (instance) (node_load5)'\n",
			want: Config{NodeLabel: "instance", Queries: map[string]string{"cpuLoadRatio": "max by (instance) (node_load5)"}},
		},
		{name: "other label", yaml: "nodeLabel: kubernetes_node\n", want: Config{NodeLabel: "kubernetes_node"}},
		{name: "empty queries", yaml: "queries:\n", want: DefaultConfig()},
		{name: "unknown field", yaml: "nodeLabel: node\nnodelabel: node\n", wantErr: `cfg.yaml:2: unknown field "nodelabel" (want nodeLabel, queries)`},
		{name: "unknown metric", yaml: "queries:\n  cpuLoadRatio: x\n  gpuUtilization: y\n", wantErr: `cfg.yaml:3: queries: unknown metric "gpuUtilization"`},
		{name: "label not a string", yaml: "nodeLabel: [a]\n", wantErr: "cfg.yaml:1: nodeLabel: must be a string"},
		{name: "label not a name", yaml: "\nnodeLabel: a-b\n", wantErr: `cfg.yaml:2: nodeLabel "a-b" is not a valid Prometheus label name`},
		{name: "query not a string", yaml: "queries:\n  cpuLoadRatio: 3\n", wantErr: "cfg.yaml:2: queries.cpuLoadRatio: must be a string"},
		{name: "empty query", yaml: "queries:\n  cpuLoadRatio: ' '\n", wantErr: "cfg.yaml:2: queries.cpuLoadRatio: empty query"},
		{name: "duplicate key", yaml: "nodeLabel: node\nnodeLabel: instance\n", wantErr: "cfg.yaml:2:"},
		{name: "duplicate query", yaml: "queries:\n  cpuLoadRatio: a\n  cpuLoadRatio: b\n", wantErr: "cfg.yaml:3:"},
		{name: "queries not a mapping", yaml: "queries: [a]\n", wantErr: "cfg.yaml:1: queries: must be a mapping"},
		{name: "not a mapping", yaml: "- a\n", wantErr: "cfg.yaml:1: the metrics config must be a mapping"},
		{name: "syntax error", yaml: "nodeLabel: node\nqueries: {\n", wantErr: "cfg.yaml:"},
		{name: "two documents", yaml: "nodeLabel: node\n---\nnodeLabel: instance\n", wantErr: "cfg.yaml:2: only one YAML document is allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConfig("cfg.yaml", []byte(tt.yaml))
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) && !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "cfg.yaml:") {
					t.Errorf("err %q does not start with file:line", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.NodeLabel != tt.want.NodeLabel || len(got.Queries) != len(tt.want.Queries) ||
				(len(got.Queries) > 0 && !reflect.DeepEqual(got.Queries, tt.want.Queries)) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "metrics.yaml")
	if err := os.WriteFile(file, []byte("nodeLabel: instance\n\nqueries:\n  bogus: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(file)
	if err == nil || !strings.HasPrefix(err.Error(), file+":4: ") {
		t.Errorf("err = %v, want %s:4: …", err, file)
	}
	_, err = LoadConfig(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v, want fs.ErrNotExist", err)
	}
}

func TestBuiltinQueries(t *testing.T) {
	tests := []struct {
		cfg    Config
		metric string
		want   string
	}{
		{DefaultConfig(), v1.MetricMemoryUtilization,
			`100 * (1 - max by (node) (node_memory_MemAvailable_bytes) / max by (node) (node_memory_MemTotal_bytes))`},
		{DefaultConfig(), v1.MetricDiskUtilization,
			`100 * (1 - max by (node) (node_filesystem_avail_bytes{mountpoint="/"}) / max by (node) (node_filesystem_size_bytes{mountpoint="/"}))`},
		{DefaultConfig(), v1.MetricCPULoadRatio,
			`max by (node) (node_load1) / count by (node) (count by (node, cpu) (node_cpu_seconds_total{mode="idle"}))`},
		{DefaultConfig(), v1.MetricCPUUtilization,
			`100 * (1 - avg by (node) (rate(node_cpu_seconds_total{mode="idle"}[2m])))`},
		{Config{NodeLabel: "instance"}, v1.MetricCPUUtilization,
			`100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[2m])))`},
		{Config{}, v1.MetricCPULoadRatio,
			`max by (node) (node_load1) / count by (node) (count by (node, cpu) (node_cpu_seconds_total{mode="idle"}))`},
		{Config{Queries: map[string]string{v1.MetricCPULoadRatio: "my_load"}}, v1.MetricCPULoadRatio, "my_load"},
		{DefaultConfig(), "custom", ""},
	}
	for _, tt := range tests {
		t.Run(tt.cfg.NodeLabel+"/"+tt.metric, func(t *testing.T) {
			if got := tt.cfg.Query(tt.metric); got != tt.want {
				t.Errorf("Query(%s) = %s, want %s", tt.metric, got, tt.want)
			}
		})
	}
}
