// Package series holds metric samples per node and metric, and parses promtool's expanding
// series notation ("1+2x3 _ 5x2") used by fleet snapshots and rule tests.
package series

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MaxSamples bounds how many samples one notation may expand to.
const MaxSamples = 100000

// MaxInterval bounds the spacing of samples. With it, a series of MaxSamples samples
// spans at most MaxSamples×MaxInterval (about 274 years), which fits in a
// time.Duration: no placement of a valid series in time can overflow.
const MaxInterval = 24 * time.Hour

// Sample is one metric value at one instant.
type Sample struct {
	T time.Time
	V float64
}

// Value is one position of a parsed notation: a number, or a missing sample.
type Value struct {
	V       float64
	Missing bool
}

// Data is every sample an evaluation may look at: node → metric → samples in time order.
// Errors records metrics whose source failed (metric → error text); their conditions are
// Unknown on every node, never 0.
type Data struct {
	Samples map[string]map[string][]Sample
	Errors  map[string]string
}

// Get returns the samples of one node's metric (nil when there are none).
func (d *Data) Get(node, metric string) []Sample {
	if d == nil || d.Samples == nil {
		return nil
	}
	return d.Samples[node][metric]
}

// Add appends samples for a node's metric and keeps them in time order.
func (d *Data) Add(node, metric string, s ...Sample) {
	if d.Samples == nil {
		d.Samples = map[string]map[string][]Sample{}
	}
	m := d.Samples[node]
	if m == nil {
		m = map[string][]Sample{}
		d.Samples[node] = m
	}
	all := append(m[metric], s...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].T.Before(all[j].T) })
	m[metric] = all
}

// Parse expands a notation into values. Terms are separated by spaces:
// "a" one value; "axn" n+1 copies of a; "a+bxn" / "a-bxn" the n+1 values a, a±b, …;
// "_" a missing sample; "_xn" n missing samples.
func Parse(s string) ([]Value, error) {
	return ParseLimit(s, MaxSamples)
}

// ParseLimit is Parse for a notation that may expand to at most limit values (at most
// MaxSamples): callers that bound the samples of a whole file pass what is left.
func ParseLimit(s string, limit int) ([]Value, error) {
	limit = min(max(limit, 0), MaxSamples)
	var out []Value
	for _, term := range strings.Fields(s) {
		vals, err := parseTerm(term, limit, limit-len(out))
		if err != nil {
			return nil, fmt.Errorf("series %q: term %q: %w", s, term, err)
		}
		out = append(out, vals...)
	}
	return out, nil
}

// parseTerm expands one term into at most room values (limit: the notation's cap).
func parseTerm(term string, limit, room int) ([]Value, error) {
	base, count, hasCount := strings.Cut(term, "x")
	total, err := termSize(base, count, hasCount, limit, room)
	if err != nil {
		return nil, err
	}
	if base == "_" {
		vals := make([]Value, total)
		for i := range vals {
			vals[i].Missing = true
		}
		return vals, nil
	}
	start, step, err := parseBase(base)
	if err != nil {
		return nil, err
	}
	if !hasCount && step != 0 {
		return nil, fmt.Errorf("an increment needs a repeat count (a+bxn)")
	}
	vals := make([]Value, total)
	for i := range vals {
		v := start + float64(i)*step
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("value %d of the term overflows to %v: every value must be a finite number", i+1, v)
		}
		vals[i] = Value{V: v}
	}
	return vals, nil
}

// termSize is how many values a term expands to: n+1 for "axn", n for "_xn", 1
// without a repeat count. It fails, without overflowing, when that is more than room.
func termSize(base, count string, hasCount bool, limit, room int) (int, error) {
	if !hasCount {
		if room < 1 {
			return 0, fmt.Errorf("expands past %d samples", limit)
		}
		return 1, nil
	}
	n, err := strconv.ParseUint(count, 10, 64)
	if err != nil {
		var numErr *strconv.NumError
		if errors.As(err, &numErr) && errors.Is(numErr.Err, strconv.ErrRange) {
			return 0, fmt.Errorf("repeat count %s expands past %d samples", count, limit)
		}
		return 0, fmt.Errorf("repeat count %q is not a non-negative integer", count)
	}
	// Compare before adding one, so that no count can wrap around.
	if n >= uint64(max(room, 0))+1 || base != "_" && n >= uint64(max(room, 0)) {
		return 0, fmt.Errorf("repeat count %s expands past %d samples", count, limit)
	}
	if base == "_" {
		return int(n), nil
	}
	return int(n) + 1, nil
}

func parseBase(base string) (start, step float64, err error) {
	split := -1
	for i := 1; i < len(base); i++ {
		if (base[i] == '+' || base[i] == '-') && base[i-1] != 'e' && base[i-1] != 'E' {
			split = i
			break
		}
	}
	num := base
	if split > 0 {
		num = base[:split]
		step, err = parseNumber(base[split+1:])
		if err != nil {
			return 0, 0, err
		}
		if base[split] == '-' {
			step = -step
		}
	}
	start, err = parseNumber(num)
	return start, step, err
}

func parseNumber(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("number %s is out of range (at most about 1.8e308 in magnitude)", s)
	case err != nil:
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return v, nil
}

// Expand parses a notation and places its values in time: with k values, value i is at
// end - (k-1-i)*interval. Missing values produce no sample.
func Expand(s string, end time.Time, interval time.Duration) ([]Sample, error) {
	vals, err := Parse(s)
	if err != nil {
		return nil, err
	}
	if _, err := Span(len(vals), interval); err != nil {
		return nil, fmt.Errorf("series %q: %w", s, err)
	}
	out := make([]Sample, 0, len(vals))
	k := len(vals)
	for i, v := range vals {
		if v.Missing {
			continue
		}
		out = append(out, Sample{T: end.Add(-time.Duration(k-1-i) * interval), V: v.V})
	}
	return out, nil
}

// Span is the time from the first to the last of n samples interval apart:
// (n-1)×interval. It fails when interval is not positive or the product does not fit
// in a time.Duration (an interval at most MaxInterval with at most MaxSamples samples
// always fits).
func Span(n int, interval time.Duration) (time.Duration, error) {
	if interval <= 0 {
		return 0, fmt.Errorf("interval %s: must be positive", interval)
	}
	if n <= 1 {
		return 0, nil
	}
	if time.Duration(n-1) > math.MaxInt64/interval {
		return 0, fmt.Errorf("%d samples %s apart span more than %s", n, interval, time.Duration(math.MaxInt64))
	}
	return time.Duration(n-1) * interval, nil
}

// MetricsServerSource is the source part of the series a rule with
// monitoring.metricsSource.useMetricsServer reads (Name).
const MetricsServerSource = "metrics-server"

// Name is the name of a metric's series read from source: the metric itself for the
// default source (""), else "metric@source" — e.g. "memoryUtilizationPercent@metrics-server",
// "cpuLoadRatio@http://prom-b:9090" — so that rules reading one metric from two sources
// never read each other's samples.
func Name(metric, source string) string {
	if source == "" {
		return metric
	}
	return metric + "@" + source
}
