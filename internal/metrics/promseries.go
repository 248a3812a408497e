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

// mapper assigns series to the nodes their label names (exact match), one series at a
// time, so that a response can be mapped while it is decoded. Series for nodes outside
// want (when want is not nil) are dropped; a node with two series gets none (Unknown,
// not a sum); NaN and infinite samples are missing samples, never values.
type mapper struct {
	out  mapped
	want map[string]bool
	dup  map[string]bool
}

func newMapper(label string, want map[string]bool) *mapper {
	return &mapper{out: mapped{label: label, samples: map[string][]series.Sample{}}, want: want, dup: map[string]bool{}}
}

// add maps one series: value is its node label's value (ok false when it has none),
// metric shows the series for a warning (called at most once), samples are its samples
// as returned, NaN included; add keeps a copy.
func (m *mapper) add(value string, ok bool, metric func() string, samples []series.Sample) {
	if !ok || value == "" {
		if m.out.noLabel == 0 {
			m.out.noLabelEx = metric()
		}
		m.out.noLabel++
		return
	}
	node := NodeName(m.out.label, value)
	if m.want != nil && !m.want[node] {
		if m.out.foreign == 0 {
			m.out.foreignEx = value
		}
		m.out.foreign++
		return
	}
	if _, seen := m.out.samples[node]; seen {
		m.dup[node] = true
		return
	}
	finite := 0
	for _, pt := range samples {
		if !math.IsNaN(pt.V) && !math.IsInf(pt.V, 0) {
			finite++
		}
	}
	s := make([]series.Sample, 0, finite)
	for _, pt := range samples {
		if math.IsNaN(pt.V) || math.IsInf(pt.V, 0) {
			m.out.nonFinite++
			continue
		}
		s = append(s, pt)
	}
	m.out.samples[node] = s
}

// done returns what was mapped; the mapper is not used after.
func (m *mapper) done() mapped {
	for node := range m.dup {
		delete(m.out.samples, node)
		m.out.dups = append(m.out.dups, node)
	}
	sort.Strings(m.out.dups)
	return m.out
}

// mapSeries maps a decoded matrix as the mapper does: the two-pass way of decoding a
// response (a model.Matrix first), kept as the reference the one-pass decoder is checked
// and benchmarked against.
func mapSeries(mat model.Matrix, label string, want map[string]bool) mapped {
	m := newMapper(label, want)
	var buf []series.Sample
	for _, ss := range mat {
		v, ok := ss.Metric[model.LabelName(label)]
		buf = buf[:0]
		for _, pt := range ss.Values {
			buf = append(buf, series.Sample{T: pt.Timestamp.Time().UTC(), V: float64(pt.Value)})
		}
		m.add(string(v), ok, ss.Metric.String, buf)
	}
	return m.done()
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
