package metrics

import (
	"fmt"
	"math"
	"net"
	"sort"
	"strings"

	"github.com/prometheus/common/model"

	"github.com/nodeguardian/nodeguardian/internal/series"
)

// maxNamed bounds how many nodes or series a warning names.
const maxNamed = 5

// mapped is a query's series assigned to nodes, plus what did not fit.
type mapped struct {
	label     string
	samples   map[string][]series.Sample // node → samples
	dups      []string                   // nodes with more than one series (left out)
	noLabel   int                        // series without the node label
	noLabelEx string
	foreign   int // series of nodes not in the fleet
	foreignEx string
	nonFinite int // NaN and infinite samples dropped
}

// NodeName is the node a node-label value names: the value itself, exactly, except for
// the "instance" label, whose ":port" is stripped ("10.0.0.7:9100" → "10.0.0.7").
func NodeName(label, value string) string {
	if label != LabelInstance {
		return value
	}
	if host, _, err := net.SplitHostPort(value); err == nil {
		return host
	}
	return value
}

// mapSeries assigns each series to the node its label names (exact match). Series for
// nodes outside want (when want is not nil) are dropped; a node with two series gets
// none (Unknown, not a sum); NaN and infinite samples are missing samples, never values.
func mapSeries(m model.Matrix, label string, want map[string]bool) mapped {
	out := mapped{label: label, samples: map[string][]series.Sample{}}
	dup := map[string]bool{}
	for _, ss := range m {
		v, ok := ss.Metric[model.LabelName(label)]
		if !ok || v == "" {
			if out.noLabel == 0 {
				out.noLabelEx = ss.Metric.String()
			}
			out.noLabel++
			continue
		}
		node := NodeName(label, string(v))
		if want != nil && !want[node] {
			if out.foreign == 0 {
				out.foreignEx = string(v)
			}
			out.foreign++
			continue
		}
		if _, seen := out.samples[node]; seen {
			dup[node] = true
			continue
		}
		s := make([]series.Sample, 0, len(ss.Values))
		for _, pt := range ss.Values {
			f := float64(pt.Value)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				out.nonFinite++
				continue
			}
			s = append(s, series.Sample{T: pt.Timestamp.Time().UTC(), V: f})
		}
		out.samples[node] = s
	}
	for node := range dup {
		delete(out.samples, node)
		out.dups = append(out.dups, node)
	}
	sort.Strings(out.dups)
	return out
}

// warnings describes what mapSeries left out.
func (m mapped) warnings() []string {
	var w []string
	if len(m.dups) > 0 {
		w = append(w, fmt.Sprintf("several series for node %s; the query must return one series per node (aggregate by %s), so the metric is Unknown there",
			nameList(m.dups), m.label))
	}
	if m.noLabel > 0 {
		w = append(w, fmt.Sprintf("%d series without the node label %q ignored, e.g. %s", m.noLabel, m.label, m.noLabelEx))
	}
	if m.foreign > 0 && len(m.samples) == 0 && len(m.dups) == 0 {
		w = append(w, fmt.Sprintf("none of the %d series names a node of the fleet (e.g. %s=%q); check the node label", m.foreign, m.label, m.foreignEx))
	}
	if m.nonFinite > 0 {
		w = append(w, fmt.Sprintf("%d NaN or infinite samples treated as missing", m.nonFinite))
	}
	return w
}

// nameList shows at most maxNamed names: "a, b and 3 more".
func nameList(names []string) string {
	if len(names) <= maxNamed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxNamed], ", "), len(names)-maxNamed)
}
