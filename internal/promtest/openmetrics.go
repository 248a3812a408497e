package promtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Sample is one value of one series at one instant, for backfilling.
type Sample struct {
	Metric string            // metric name, e.g. node_load1
	Labels map[string]string // labels besides the name
	Value  float64
	T      time.Time // millisecond precision
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// seriesID is the OpenMetrics text of a sample without value and timestamp:
// name{a="1",b="2"} with labels sorted.
func seriesID(s Sample) (string, error) {
	if !metricName.MatchString(s.Metric) {
		return "", fmt.Errorf("invalid metric name %q", s.Metric)
	}
	names := make([]string, 0, len(s.Labels))
	for k := range s.Labels {
		if !labelName.MatchString(k) || k == "__name__" {
			return "", fmt.Errorf("metric %s: invalid label name %q", s.Metric, k)
		}
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(s.Metric)
	if len(names) > 0 {
		b.WriteByte('{')
		for i, k := range names {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s=\"%s\"", k, escapeLabel(s.Labels[k]))
		}
		b.WriteByte('}')
	}
	return b.String(), nil
}

func escapeLabel(v string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)
}

func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// WriteOpenMetrics writes samples as OpenMetrics text with timestamps, the input of
// `promtool tsdb create-blocks-from openmetrics`: each metric's samples together, each
// series in time order, then "# EOF".
func WriteOpenMetrics(w io.Writer, samples []Sample) error {
	type line struct {
		metric, id string
		ms         int64
		value      float64
	}
	lines := make([]line, 0, len(samples))
	for _, s := range samples {
		id, err := seriesID(s)
		if err != nil {
			return err
		}
		lines = append(lines, line{metric: s.Metric, id: id, ms: s.T.UnixMilli(), value: s.Value})
	}
	sort.SliceStable(lines, func(i, j int) bool {
		a, b := lines[i], lines[j]
		if a.metric != b.metric {
			return a.metric < b.metric
		}
		if a.id != b.id {
			return a.id < b.id
		}
		return a.ms < b.ms
	})
	bw := bufio.NewWriter(w)
	for _, l := range lines {
		ts := strconv.FormatFloat(float64(l.ms)/1000, 'f', 3, 64)
		if _, err := fmt.Fprintf(bw, "%s %s %s\n", l.id, formatValue(l.value), ts); err != nil {
			return fmt.Errorf("writing OpenMetrics: %w", err)
		}
	}
	if _, err := bw.WriteString("# EOF\n"); err != nil {
		return fmt.Errorf("writing OpenMetrics: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing OpenMetrics: %w", err)
	}
	return nil
}

// Backfill writes samples into TSDB blocks in dataDir with promtool, before Prometheus
// starts on dataDir. Samples should be in the past (older than the head block Prometheus
// will open) and within its retention (15 days).
func Backfill(ctx context.Context, promtool, dataDir string, samples []Sample) error {
	if len(samples) == 0 {
		return nil
	}
	f, err := os.CreateTemp(filepath.Dir(filepath.Clean(dataDir)), "backfill-*.om")
	if err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	input := f.Name()
	defer os.Remove(input)
	werr := WriteOpenMetrics(f, samples)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("backfill: %w", werr)
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, promtool, "tsdb", "create-blocks-from", "openmetrics", input, dataDir)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("backfill: %s tsdb create-blocks-from openmetrics: %w\n%s", promtool, err, tail(out.String(), 2000))
	}
	return nil
}

// tail is the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
